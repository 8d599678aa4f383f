"""Shared helpers for the benchmark scripts: a server on loopback, a lean HTTP client, statistics.

``free_port`` is also the tests' (tests/conftest.py imports it): one way to pick a loopback port.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.schema import Turn

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
GOLDEN_SET = ROOT / "tests" / "data" / "golden.jsonl"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    """A keep-alive HTTP/1.1 connection: the least client overhead Python offers."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body)
        headers = {} if body is None else {"content-type": "application/json"}
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def ask(self, question: str, history: Sequence[Turn] = ()) -> dict:
        turns = [turn.model_dump() for turn in history]
        status, body = self.request("POST", "/api/ask", {"question": question, "history": turns})
        if status != 200:
            raise RuntimeError(f"/api/ask answered {status}: {body[:200]!r}")
        return json.loads(body)


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 300) -> float:
    """Poll /healthz until it answers 200; returns the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            sys.exit(f"server exited with {server.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if Client(port).request("GET", "/healthz")[0] == 200:
                return time.perf_counter() - started
        time.sleep(0.02)
    sys.exit("server did not become ready")


@contextlib.contextmanager
def running_server(
    command: Sequence[str], port: int, env: dict | None = None, log: IO[bytes] | None = None
) -> Iterator[subprocess.Popen]:
    """``command`` running while the block lasts; its output (both streams) goes to ``log``, if given."""
    server = subprocess.Popen(
        list(command),
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=env or os.environ.copy(),
    )
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def assistant_server(port: int) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]


# Set by tests/test_benchmarks.py for the smoke runs: the port and pid of one `assistant serve` they share.
SHARED_PORT, SHARED_PID = "BENCHMARK_SHARED_SERVER_PORT", "BENCHMARK_SHARED_SERVER_PID"


@dataclass(frozen=True)
class SharedServer:
    """A server this script did not start (only ``pid`` and ``poll`` of a ``Popen`` are used)."""

    pid: int

    def poll(self) -> None:
        return None


@contextlib.contextmanager
def serving() -> Iterator[tuple[int, subprocess.Popen | SharedServer]]:
    """`assistant serve` on a free port, ready for questions: its port and process. In the test suite's
    smoke runs, the server they all share (started once, with the index already built): starting one
    per script cost a Python start and an index build each, and their figures are not read."""
    if os.environ.get(SHARED_PORT):
        port = int(os.environ[SHARED_PORT])
        shared = SharedServer(int(os.environ[SHARED_PID]))
        wait_ready(port, shared)  # type: ignore[arg-type]
        yield port, shared
        return
    port = free_port()
    with running_server(assistant_server(port), port) as server:
        wait_ready(port, server)
        yield port, server


def options(
    description: str, quick: str, switches: dict[str, str] | None = None, **defaults: float
) -> argparse.Namespace:
    """Parse ``--name VALUE`` for each default (typed like it), ``--switch`` for each of ``switches``
    (name: help) and ``--quick`` (the CI smoke run)."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=type(default), default=default, help=f"default {default}")
    for name, help_text in (switches or {}).items():
        parser.add_argument(f"--{name}", action="store_true", help=help_text)
    parser.add_argument("--quick", action="store_true", help=f"{quick} (CI smoke run)")
    return parser.parse_args()


def repetitions(description: str, default: int = 3) -> int:
    """Parse ``--repeat N`` and ``--quick`` (one repetition)."""
    args = options(description, "one repetition", repeat=default)
    return 1 if args.quick else args.repeat


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    from assistant.evaluation import percentile  # the evaluation's own p95, imported only when needed

    return {"p50_ms": statistics.median(values), "p95_ms": percentile(values, 0.95)}


def rss_mb(pid: int) -> dict[str, float]:
    """Current and peak resident memory of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process (all its threads) has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def load_average() -> str:
    """The 1/5/15-minute load average: how busy the shared machine was while the figures were taken."""
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


@dataclass(frozen=True)
class ModelWork:
    """What the models do for one question: embed its search text once, score each candidate
    sentence against that text with the cross-encoder, then the two-sentence windows around the best."""

    search_text: str
    sentences: tuple[str, ...]
    windows: tuple[str, ...] = ()
    question: str | None = None
    """A follow-up's question as asked: its candidates and windows are scored for it too."""


def model_work(
    texts: Iterable[str],
    histories: Iterable[Sequence[Turn]] | None = None,
    assistant: Assistant | None = None,
) -> list[ModelWork]:
    """The model work the server does for each question text, learned (untimed) from an ``Assistant``
    built here with the same settings, so on the same index as ``assistant_server`` (same ``ASSISTANT_*``
    environment and working directory): its search text after spelling and follow-up handling, and the
    sentences actually scored; ``histories``: each question's chat so far (none: asked alone);
    ``assistant``: one already built here (loading the models again costs seconds)."""
    from assistant.pipeline import Assistant
    from assistant.retrieve.windows import window_text

    assistant = assistant or Assistant()
    work = []
    texts = list(texts)
    for text, history in zip(texts, histories or [()] * len(texts), strict=True):
        evidence = assistant.evidence(text, history)
        scored = tuple(evidence.sentences[r.position].text for r in evidence.ranked)
        windows = tuple(window_text(evidence.sentences, w.first) for w in evidence.windows)
        twice = any(r.question_rerank is not None for r in evidence.ranked)
        question = evidence.query.question if twice else None
        work.append(ModelWork(evidence.query.search_text, scored, windows, question))
    return work


class Models:
    """Fresh model objects, warmed, with no query cache: every run pays the full embedding, as the
    server does for a search text it has not seen."""

    def __init__(self) -> None:
        from assistant.index.embeddings import MiniLMEmbeddings
        from assistant.retrieve.rerank import CrossEncoderReranker

        self.embeddings = MiniLMEmbeddings(query_cache_size=0)
        self.reranker = CrossEncoderReranker()
        self.embeddings.embed_query_vector("warm-up")
        self.reranker.score("warm-up", ["warm-up"])

    def run(self, work: ModelWork, clock: Callable[[], float] = time.perf_counter) -> tuple[float, float]:
        """Embed then rerank one question's work; the (embedding, reranking) time on ``clock``."""
        began = clock()
        self.embeddings.embed_query_vector(work.search_text)
        embedded = clock()
        self.reranker.score(work.search_text, work.sentences)
        if work.question is not None:
            self.reranker.score(work.question, work.sentences)
        self.reranker.score(work.search_text, work.windows)
        if work.question is not None:
            self.reranker.score(work.question, work.windows)
        return embedded - began, clock() - embedded


def follow_ups(assistant: Assistant, limit: int | None = None) -> list[tuple[str, list[Turn]]]:
    """The golden and holdout sets' follow-ups, each with its chat so far as the evaluation plays it
    (the earlier questions answered by ``assistant``, built here on the same index as the server)."""
    from assistant.evaluation import load_golden_set, played_chat

    items = [
        item
        for path in (GOLDEN_SET, GOLDEN_SET.with_name("holdout.jsonl"))
        for item in load_golden_set(path)
        if item.history
    ][:limit]
    return [(item.question, played_chat(assistant, item.history)) for item in items]


def golden_questions(limit: int | None = None) -> list[str]:
    from assistant.evaluation import load_golden_set

    questions = [item.question for item in load_golden_set(GOLDEN_SET) if not item.history]
    return questions[:limit] if limit else questions


def report(name: str, rows: dict[str, object]) -> None:
    """Print a two-column table and write benchmarks/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2))
    width = max(len(key) for key in rows)
    print(f"{name}")
    for key, value in rows.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")


CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"


@contextlib.contextmanager
def chroma_server(data: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A ``chroma run`` on loopback over ``data``: its URL and process, stopped on leaving."""
    port = free_port()
    server = subprocess.Popen(
        [CHROMA, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if Client(port).request("GET", "/api/v2/heartbeat")[0] == 200:
                    break
            time.sleep(0.1)
        else:
            sys.exit("`chroma run` did not start")
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(10)
