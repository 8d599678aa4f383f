"""Work for an answer nobody waits for stops (issue 21, item 2), over real sockets.

Before: four valid 2,000-character questions got their 503s at 10 s and the server computed on for 15 s
more, each abandoned thread scoring its cross-encoder pairs to the end. Here the cross-encoder is held
at its first pair (``Gate``) while the request times out or its client hangs up; once let go, no further
pair is scored: the question's ``Cancel`` stops the work at its next check. Time is driven by events
and a short request timeout, never by how fast this machine scores.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.cancellation import Cancel
from assistant.errors import AnswerCancelled, AnswerTimeout
from assistant.retrieve.rerank import CrossEncoderReranker
from assistant.schema import Turn
from assistant.web.app import create_app
from tests.web.sockets import connect

pytestmark = [pytest.mark.integration, pytest.mark.server]

LONG_QUESTION = ("Which missiles did Iran fire at Deir Ezzor and why " * 40)[:1999] + "?"


class Gate:
    """Holds every cross-encoder pair until ``release`` is set; counts the pairs started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.pairs = 0
        feeds = CrossEncoderReranker._feeds

        def gated(model: CrossEncoderReranker, encodings: list) -> dict:
            self.pairs += len(encodings)
            self.entered.set()
            self.release.wait(30)
            return feeds(model, encodings)

        monkeypatch.setattr(CrossEncoderReranker, "_feeds", gated)


class Watched:
    """An assistant's ``ask`` observed: the ``Cancel`` it was handed, how it ended, and when."""

    def __init__(self, assistant: Assistant) -> None:
        self.cancel: Cancel | None = None
        self.error: BaseException | None = None
        self.finished = threading.Event()
        ask = assistant.ask

        def watched(question: str, history: Sequence[Turn] = (), *, cancel: Cancel | None = None) -> Any:
            self.cancel = cancel
            try:
                return ask(question, history, cancel=cancel)
            except BaseException as error:
                self.error = error
                raise
            finally:
                self.finished.set()

        assistant.ask = watched  # type: ignore[method-assign]


def _served(index_dir, embeddings, reranker, serve, request_timeout: float) -> tuple[str, Watched]:
    assistant = Assistant(
        Settings(index_dir=index_dir, request_timeout=request_timeout),
        embeddings=embeddings,
        reranker=reranker,
    )
    assistant.open()
    watched = Watched(assistant)
    return serve(create_app(assistant, with_ui=False), assistant.settings), watched


def test_a_question_whose_answer_timed_out_stops_computing(
    index_dir, embeddings, reranker, serve, monkeypatch
):
    url, watched = _served(index_dir, embeddings, reranker, serve, request_timeout=1.0)
    gate = Gate(monkeypatch)
    response = httpx.post(f"{url}/api/ask", json={"question": LONG_QUESTION}, timeout=30)
    assert response.status_code == 503 and "took longer than 1 s" in response.json()["detail"]
    gate.release.set()
    assert watched.finished.wait(30)
    assert isinstance(watched.error, AnswerTimeout | AnswerCancelled)
    assert gate.pairs <= 1, f"{gate.pairs} cross-encoder pairs were scored for an answer that had timed out"


ROUTES = {
    "/api/ask": {"question": LONG_QUESTION},
    "/v1/chat/completions": {
        "model": "article-assistant",
        "messages": [{"role": "user", "content": LONG_QUESTION}],
    },
}


@pytest.mark.parametrize("path", ROUTES)
def test_a_question_whose_client_left_stops_computing(
    index_dir, embeddings, reranker, serve, monkeypatch, path
):
    url, watched = _served(index_dir, embeddings, reranker, serve, request_timeout=60.0)
    gate = Gate(monkeypatch)
    body = json.dumps(ROUTES[path]).encode()
    client = connect(url)
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    try:
        assert gate.entered.wait(30), "the question never reached the cross-encoder"
    finally:
        client.close()
    deadline = time.monotonic() + 10
    while not (watched.cancel is not None and watched.cancel.stopped) and time.monotonic() < deadline:
        time.sleep(0.02)
    gate.release.set()
    assert watched.finished.wait(30)
    assert isinstance(watched.error, AnswerCancelled) and "closed its connection" in str(watched.error)
    assert gate.pairs == 1, f"{gate.pairs} cross-encoder pairs were scored after the client had left"
