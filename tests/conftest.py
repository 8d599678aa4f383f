"""Shared fixtures: a clean environment for every test, one set of real models and one real index per
session, and the two tiers: a test that uses a real model, server or browser is an integration test
whether or not its module says so, and the fast tier (``-m "not integration"``) refuses to load MiniLM."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

from assistant import Assistant, Settings
from assistant.cancellation import Cancel
from assistant.index.embeddings import MiniLMEmbeddings
from assistant.retrieve.rerank import CrossEncoderReranker
from assistant.web import serving
from benchmarks.common import free_port
from tests.llm.server import llm_server  # noqa: F401  (a session fixture: one model server for all tests)

SHARED_DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"
# Fixtures that are real parts (a model, a server, a browser): a test asking for one is an integration test.
REAL_PARTS = frozenset(
    {
        "embeddings",
        "reranker",
        "assistant",
        "serve",
        "llm_server",
        "llm_assistant",
        "chroma",
        "page",
        "context",
    }
)
# Markers that imply real parts.
REAL_MARKERS = ("server", "browser", "benchmark", "llm", "llm_quality")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full-eval",
        action="store_true",
        help="quality gates on every question of every set (make eval), not CI's fixed samples",
    )


@pytest.fixture(scope="session")
def full_eval(request: pytest.FixtureRequest) -> bool:
    """Whether the quality gates run their full sets (``make eval``) or CI's fixed samples."""
    return bool(request.config.getoption("--full-eval"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark integration every test that uses a real part, so ``-m "not integration"`` stays fast."""
    for item in items:
        if item.get_closest_marker("integration"):
            continue
        uses = REAL_PARTS.intersection(getattr(item, "fixturenames", ()))
        if uses or any(item.get_closest_marker(name) for name in REAL_MARKERS):
            item.add_marker(pytest.mark.integration)


def _no_model_in_the_fast_tier() -> None:
    raise AssertionError(
        "a fast-tier test loaded the real MiniLM model: give it tests.index.fakes.HashingEmbedder, "
        "or use the session's `embeddings` fixture (which marks it integration)"
    )


@pytest.fixture(autouse=True)
def fast_tier_loads_no_embedding_model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test not marked integration that loads MiniLM fails, naming the fix (it would slow the tier)."""
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setattr("assistant.index.embeddings._load_model", _no_model_in_the_fast_tier)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ASSISTANT_* setting leaks in, and nothing is written into the repository's index/ or
    feedback/ (a browser test that rates an answer writes to its own temporary database)."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DB", str(tmp_path / "feedback" / "feedback.sqlite3"))
    yield


@pytest.fixture(scope="session")
def embeddings() -> MiniLMEmbeddings:
    """The real all-MiniLM-L6-v2 model, loaded once."""
    return MiniLMEmbeddings()


class RememberingReranker(CrossEncoderReranker):
    """The real cross-encoder, remembering every pair's score for the session.

    Exact, not an approximation: pairs are scored one at a time (``batch_size=1``), so a pair's score is
    a fixed function of the pair, and a remembered one is the very float the model gives. Tests ask the
    same questions of the same article again and again (each app's suggested questions are checked by
    asking them, the server-mode golden pass repeats the embedded one); on a CPU where the model is 2.5
    times slower that repetition alone was minutes of the suite. ``tests/retrieve/test_rerank.py`` tests
    the model itself, without this.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scores: dict[tuple[str, str], float] = {}
        self._memory = threading.Lock()

    def score(self, query: str, passages: Sequence[str], cancel: Cancel | None = None) -> np.ndarray:
        with self._memory:
            missing = list(dict.fromkeys(p for p in passages if (query, p) not in self._scores))
        if missing:
            found = super().score(query, missing, cancel)
            with self._memory:
                self._scores.update(((query, p), float(s)) for p, s in zip(missing, found, strict=True))
        with self._memory:
            return np.array([self._scores[(query, p)] for p in passages], dtype=np.float32)


@pytest.fixture(scope="session")
def reranker() -> CrossEncoderReranker:
    """The real cross-encoder, loaded once and remembering its scores: every assistant a test makes
    shares it."""
    return RememberingReranker()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def assistant(index_dir: Path, embeddings: MiniLMEmbeddings, reranker: CrossEncoderReranker) -> Assistant:
    """An assistant over the default article, with its real Chroma index built on disk."""
    ready = Assistant(Settings(index_dir=index_dir), embeddings=embeddings, reranker=reranker)
    ready.open()
    return ready


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[..., str]]:
    """Starts ASGI apps on real uvicorn servers on loopback, configured as `assistant serve` runs them
    (guarded h11 protocol, the deadlines and connection limits of ``settings``, default ones if not
    given); returns each one's base URL."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any, settings: Settings | None = None, *, port: int | None = None) -> str:
        settings = settings or Settings()
        listener = serving.prepare(settings, "127.0.0.1", port or free_port())
        server = uvicorn.Server(serving.server_config(app, settings, listener, log_config=None))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, f"uvicorn did not start on port {listener.port}"
        running.append((server, thread))
        return f"http://127.0.0.1:{listener.port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's chromium (installed by `make setup`), never a Playwright download; nothing phones home."""
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# pytest-playwright keeps one Playwright (and its browser) for the whole session. Its sync API runs an
# asyncio loop on the main thread while it lives, so every test run after the first browser module in the
# same process would meet a running loop: asyncio tests and in-process Playwright (benchmarks/first_token.py)
# then fail by where the scheduler put them. Here each browser module gets its own, stopped at its end.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser_type(playwright: Any, browser_name: str) -> Any:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args: dict, browser_type: Any) -> Callable[..., Any]:
    return lambda **options: browser_type.launch(**{**browser_type_launch_args, **options})


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Any]) -> Iterator[Any]:
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def browser_context_args(
    pytestconfig: pytest.Config,
    playwright: Any,
    device: str | None,
    base_url: str | None,
    _pw_artifacts_folder: Any,
) -> dict[str, Any]:
    """pytest-playwright's, at the scope of the Playwright it reads."""
    arguments: dict[str, Any] = dict(playwright.devices[device]) if device else {}
    if base_url:
        arguments["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        arguments["record_video_dir"] = _pw_artifacts_folder.name
    return arguments
