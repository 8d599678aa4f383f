"""A chat tab costs the server a bounded amount (issue 21, items 2 and 3), over real HTTP as the page's
Gradio client talks to it (``queue/join``, then the session's event stream).

Before: a refused 250,000-character question was kept in the session's state and sent back with every
later answer (the 25th response of one session was 12.5 MB), and a reloaded tab's replay of four
2,000-character questions took 27 s. Now a refused question is kept as an excerpt, a conversation keeps
its newest questions within a size, its state expires when idle, and a replay is bounded in questions,
characters and time, its work stopped at its deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Mount

from assistant import Assistant, Settings
from assistant.retrieve.rerank import CrossEncoderReranker
from assistant.ui.guard import GradioGuard
from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

LOAD, ASK = 0, 2  # fn_index of the page's load event (replay) and of a question typed in the textbox
REFUSED = "Q" + "x" * 250_000
LONG = ("Which missiles did Iran fire at Deir Ezzor and why " * 40)[:1999] + "?"


class Served:
    """A served app and its sessions' server-side state."""

    def __init__(self, assistant: Assistant, app: Any, url: str) -> None:
        self.assistant = assistant
        self.app = app
        self.url = url
        mount = next(r for r in app.router.routes if isinstance(r, Mount) and isinstance(r.app, GradioGuard))
        self.gradio = mount.app.app

    def join(self, session: str, fn_index: int, data: list) -> str:
        """One event, as the page sends it; returns the session's event stream until it ends."""
        body = {"data": data, "fn_index": fn_index, "trigger_id": None, "session_hash": session}
        joined = httpx.post(f"{self.url}/gradio_api/queue/join", json=body, timeout=30)
        assert joined.status_code == 200, joined.text
        stream = httpx.get(f"{self.url}/gradio_api/queue/data", params={"session_hash": session}, timeout=60)
        messages = [json.loads(line[5:]) for line in stream.text.splitlines() if line.startswith("data:")]
        assert [m.get("success") for m in messages if m.get("msg") == "process_completed"] == [True]
        return stream.text

    def ask(self, session: str, question: str) -> str:
        return self.join(session, ASK, [question, None, None, None])

    def state(self, session: str) -> dict[int, Any]:
        return self.gradio.state_holder.session_data[session].state_data

    def state_chars(self, session: str) -> int:
        """Characters the session holds on the server: its states and the last values Gradio keeps."""
        held = self.gradio.state_holder.session_data[session]
        return len(json.dumps([held.state_data, held.config_values], default=str))

    def turns(self, session: str) -> list[dict] | None:
        """The conversation's turns (the state that opens on the overview), None once expired."""
        for value in self.state(session).values():
            if isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("opening"):
                return value
        return None


def _serve(index_dir, embeddings, reranker, serve, **changes: Any) -> Served:
    settings = Settings(index_dir=index_dir, **changes)
    assistant = Assistant(settings, embeddings=embeddings, reranker=reranker)
    assistant.open()
    app = create_app(assistant, settings)
    return Served(assistant, app, serve(app, settings))


@pytest.fixture(scope="module")
def bounded(index_dir, embeddings, reranker, serve) -> Served:
    return _serve(
        index_dir,
        embeddings,
        reranker,
        serve,
        chat_max_questions=3,
        chat_max_chars=20_000,
        chat_restore_chars=5_000,
        chat_max_sessions=2,
    )


@pytest.fixture(scope="module")
def short_lived(index_dir, embeddings, reranker, serve) -> Served:
    """Conversations expire after 1 s idle; a replay has 1 s in all."""
    return _serve(
        index_dir,
        embeddings,
        reranker,
        serve,
        chat_idle_seconds=1.0,
        chat_restore_seconds=1.0,
        request_timeout=60,
    )


def user_questions(turns: list[dict] | None) -> list[str]:
    return [t["content"] for t in turns or [] if t["role"] == "user"]


def test_refused_questions_are_not_kept_and_responses_stay_small(bounded):
    """The reported repro: one session sends the 250,000-character question again and again. The guard
    refuses it at the door (longer than the textbox takes), so nothing of it reaches the session; what
    the session keeps of a question refused for its length anyway is ``tests/ui/test_bounds.py``'s."""
    session = f"refused{time.monotonic_ns()}"
    body = {"data": [REFUSED, None, None, None], "fn_index": ASK, "trigger_id": None, "session_hash": session}
    for _ in range(6):
        refused = httpx.post(f"{bounded.url}/gradio_api/queue/join", json=body, timeout=30)
        assert refused.status_code == 400 and len(refused.content) < 1_000, refused.text[:300]
    answered = bounded.ask(session, "Who wrote this article?")
    assert len(answered) < 150_000 and "xxxxxxxxxx" not in answered  # an answer with its article view
    assert bounded.state_chars(session) < 120_000
    assert user_questions(bounded.turns(session)) == ["Who wrote this article?"]


def test_a_conversation_keeps_its_newest_questions(bounded):
    session = f"long{time.monotonic_ns()}"
    questions = [f"Who wrote this article? ({n})" for n in range(5)]
    for question in questions:
        last = bounded.ask(session, question)
    assert user_questions(bounded.turns(session)) == questions[-3:]
    assert "Who wrote this article? (0)" not in last.split("process_completed")[-1]


def test_a_reload_replays_only_its_newest_questions_within_the_budget(bounded):
    """The reported repro: the load event with four questions of 2,000 characters (25 s before)."""
    session = f"reload{time.monotonic_ns()}"
    questions = [LONG.replace("Which", f"Which ({n})")[:2000] for n in range(4)]
    bounded.join(session, LOAD, [json.dumps(questions), ""])
    assert user_questions(bounded.turns(session)) == questions[-2:]  # 5,000 characters: two of them


def test_the_server_keeps_a_bounded_number_of_conversations(bounded):
    sessions = [f"many{n}_{time.monotonic_ns()}" for n in range(4)]
    for session in sessions:
        bounded.ask(session, "Who fired the missiles?")
    assert set(bounded.gradio.state_holder.session_data) == set(sessions[-2:])


@pytest.fixture()
def gate(monkeypatch) -> Iterator[tuple[threading.Event, list[int]]]:
    """Holds every cross-encoder pair until the event is set; the list counts the pairs started."""
    release, pairs = threading.Event(), []
    feeds = CrossEncoderReranker._feeds

    def gated(model: CrossEncoderReranker, encodings: list) -> dict:
        pairs.append(len(encodings))
        release.wait(30)
        return feeds(model, encodings)

    monkeypatch.setattr(CrossEncoderReranker, "_feeds", gated)
    yield release, pairs
    release.set()


def test_a_replay_past_its_deadline_stops_and_says_so(short_lived, gate, monkeypatch):
    release, pairs = gate
    finished = threading.Event()
    stream_with_article = short_lived.assistant.stream_with_article

    def watched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from stream_with_article(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(short_lived.assistant, "stream_with_article", watched)
    session = f"slow{time.monotonic_ns()}"
    # Questions no other test asks: the session's cross-encoder remembers the pairs it scored before.
    unasked = [f"Who fired the missiles at {session}?", "Why?"]
    stream = short_lived.join(session, LOAD, [json.dumps(unasked), ""])
    assert "Only 0 of the 2 questions of this conversation were restored" in stream
    assert "restoring took longer than 1 s" in stream and user_questions(short_lived.turns(session)) == []
    release.set()
    assert finished.wait(30)
    assert len(pairs) <= 1, f"{len(pairs)} cross-encoder pairs were scored for a replay past its deadline"


def test_an_idle_conversation_is_dropped_from_the_server(short_lived):
    session = f"idle{time.monotonic_ns()}"
    short_lived.ask(session, "Who fired the missiles?")
    assert user_questions(short_lived.turns(session)) == ["Who fired the missiles?"]
    deadline = time.monotonic() + 20
    while short_lived.turns(session) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert short_lived.turns(session) is None, "the conversation outlived ASSISTANT_CHAT_IDLE_SECONDS"
    short_lived.ask(session, "Who wrote this article?")
    assert user_questions(short_lived.turns(session)) == ["Who wrote this article?"], "a new conversation"
