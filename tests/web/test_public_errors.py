"""What a client is told keeps the server's paths to itself; the log has them (assistant/errors.py
``public_message``, applied wherever an error becomes a response or a chat message).

The report: with the store locked, unauthenticated /healthz, /api/ask and /v1 answered
``'…/builds/…/chroma.sqlite3' is locked…`` with the index directory's full path."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.errors import public_message
from assistant.web.app import create_app
from tests.index.test_faults import LockHolder, _store

CHAT = {"model": "article-assistant", "messages": [{"role": "user", "content": "Who fired the missiles?"}]}
LOCKED = "'…/chroma.sqlite3' is locked by another process"


@pytest.mark.parametrize(
    ("told", "public"),
    [
        (
            "the index store '/srv/assistant/index/builds/B/chroma.sqlite3' is locked",
            "the index store '…/chroma.sqlite3' is locked",
        ),
        (
            "ASSISTANT_ARTICLE_PATH: '/home/ann/My Articles/a.txt' is empty",
            "ASSISTANT_ARTICLE_PATH: '…/a.txt' is empty",
        ),
        (
            "cannot read /var/lib/assistant/index/CURRENT: Permission denied",
            "cannot read …/CURRENT: Permission denied",
        ),
        ("no such endpoint: /v1/x; see /docs for /v1/chat/completions", None),  # routes are not files
        ("the model server http://127.0.0.1:8080/v1 did not answer", None),  # nor URLs
        ("send text/plain or application/json", None),  # nor media types
    ],
)
def test_paths_are_shortened_to_their_last_name_and_nothing_else_changes(told, public, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.errors")
    assert public_message(told) == (public or told)
    assert [r.getMessage() for r in caplog.records] == (
        [f"told a client, without its paths: {told}"] if public else []
    )


@pytest.fixture()
def locked(assistant, index_dir, tmp_path, embeddings, reranker, serve):
    """A server, its chat page included, over a copy of the index whose store another process locks."""
    index = Path(shutil.copytree(index_dir, tmp_path / "index"))
    served = Assistant(
        Settings(index_dir=index, request_timeout=5.0), embeddings=embeddings, reranker=reranker
    )
    served.open()
    url = serve(create_app(served), served.settings)
    holder = LockHolder(_store(served))
    try:
        yield url, index
    finally:
        holder.release()


def _no_path(text: str, index: Path) -> None:
    assert str(index) not in text and "/builds/" not in text and str(Path.cwd()) not in text, text[:500]


def test_a_locked_store_is_reported_without_its_path_and_logged_with_it(locked, caplog):
    url, index = locked
    caplog.set_level(logging.WARNING)
    health = httpx.get(f"{url}/healthz", timeout=30)
    asked = httpx.post(f"{url}/api/ask", json={"question": "Who fired the missiles?"}, timeout=30)
    chat = httpx.post(f"{url}/v1/chat/completions", json=CHAT, timeout=30)
    streamed = httpx.post(f"{url}/v1/chat/completions", json={**CHAT, "stream": True}, timeout=30)
    for response in (health, asked, chat, streamed):
        assert response.status_code == 503, response.text
        assert LOCKED in response.text and "assistant index --rebuild" in response.text
        _no_path(response.text, index)
    assert chat.json()["error"]["message"] == chat.json()["detail"]
    called = httpx.post(
        f"{url}/gradio_api/call/chat", json={"data": ["Who fired the missiles?", []]}, timeout=30
    )
    page_answer = httpx.get(f"{url}/gradio_api/call/chat/{called.json()['event_id']}", timeout=30).text
    assert "event: error" in page_answer and "chroma.sqlite3' is locked by another process" in page_answer
    _no_path(page_answer, index)
    logged = [r.getMessage() for r in caplog.records if r.name == "assistant.errors"]
    assert logged and all(str(index) in line for line in logged)


def test_the_chat_page_says_it_without_the_path_too(locked):
    url, index = locked
    config = httpx.get(f"{url}/config", timeout=30).json()
    submit = next(
        d for d in config["dependencies"] if d["backend_fn"] and any(t[1] == "submit" for t in d["targets"])
    )
    session = f"locked{time.monotonic_ns()}"
    body = {
        "data": ["Who fired the missiles?", *[None] * (len(submit["inputs"]) - 1)],
        "fn_index": submit["id"],
        "session_hash": session,
    }
    assert httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30).status_code == 200
    stream = httpx.get(f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=30).text
    assert "process_completed" in stream and "chroma.sqlite3" in stream and "is locked by another" in stream
    _no_path(stream, index)
