"""Shared fixtures: a clean environment for every test, and one real index built per session."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from assistant import Assistant, Settings
from assistant.index.embeddings import MiniLMEmbeddings
from assistant.web import serving
from benchmarks.common import free_port
from tests.llm.server import llm_server  # noqa: F401  (a session fixture: one model server for all tests)

SHARED_DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"


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


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def assistant(index_dir: Path, embeddings: MiniLMEmbeddings) -> Assistant:
    """An assistant over the default article, with its real Chroma index built on disk."""
    ready = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
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
