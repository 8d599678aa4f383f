"""Streaming LLM answers end to end, against the SCRIPTED model server (real HTTP, OpenAI's wire
format, a word every few milliseconds): the backend's pieces, retries and rest after a failure; the
pipeline's partial texts, then the checked answer; ``/v1/chat/completions`` through the real
``openai`` client; the chat page's updates."""

from __future__ import annotations

import dataclasses
import threading

import openai
import pytest

from assistant import Assistant
from assistant.answer.base import Partial
from assistant.answer.llm.backend import RETRIES, BackendFailure, ChatBackend
from assistant.pipeline import Answered
from assistant.ui.session import ChatSession
from tests.answer.llm.replies import QUESTION, restating, shown
from tests.llm.scripted import Reply, ScriptedServer

pytestmark = pytest.mark.integration

PACE = 0.01
INVENTED = "It was a show of force [7]."
"""A sentence citing no sentence the model was shown: streamed as written (without its [7]), then
dropped by the guardrails."""
MESSAGES = [{"role": "user", "content": "Say three words."}]


def paced(reply: Reply) -> Reply:
    return dataclasses.replace(reply, pace=PACE)


def test_the_backend_streams_the_models_words_in_order(model_server: ScriptedServer):
    model_server.script(Reply.text("one two three"))
    backend = ChatBackend(model_server.base_url, "scripted", timeout=5)
    assert list(backend.stream(MESSAGES)) == ["one ", "two ", "three"]
    assert model_server.requests[0]["stream"] is True and backend.problem is None


def test_a_stream_is_retried_only_before_its_first_words(model_server: ScriptedServer):
    backend = ChatBackend(model_server.base_url, "scripted", timeout=5, cool_down=0)
    model_server.script(Reply.cut_stream(start=""), Reply.text("whole answer"))
    assert backend.complete(MESSAGES) == "whole answer" and len(model_server.requests) == 2
    model_server.script(Reply.cut_stream(start="Iran fired"), Reply.text("whole answer"))
    with pytest.raises(BackendFailure, match="broke off its answer"):
        backend.complete(MESSAGES)
    assert len(model_server.requests) == 1  # words were shown: a retry would write them twice


def test_after_a_failure_the_backend_rests_until_the_probe_sees_it_back(model_server: ScriptedServer):
    backend = ChatBackend(model_server.base_url, "scripted", timeout=5, cool_down=600)
    model_server.script(*[Reply.error(500)] * (RETRIES + 1))
    with pytest.raises(BackendFailure, match="HTTP 500"):
        backend.complete(MESSAGES)
    model_server.script(Reply.text("back"))
    with pytest.raises(BackendFailure, match="failed moments ago"):
        backend.complete(MESSAGES)
    assert model_server.requests == []  # resting: not even asked
    assert "HTTP 500" in (backend.problem or "")
    assert backend.probe() is None and len(model_server.requests) == 1
    model_server.script(Reply.text("back again"))
    assert backend.complete(MESSAGES) == "back again"


def test_the_pipeline_streams_the_models_words_then_the_checked_answer(
    llm_assistant: Assistant, model_server: ScriptedServer, answering
):
    model_server.script(paced(restating(answering, extra=INVENTED)))
    events = list(llm_assistant.stream_with_article(QUESTION))
    *partials, last = events
    assert len(partials) > 5 and all(isinstance(p, Partial) for p in partials)
    texts = [p.text for p in partials]
    assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:], strict=False))
    assert texts[-1].endswith("It was a show of force.") and not any("[7]" in t for t in texts)
    assert isinstance(last, Answered) and last.answer.answered_by == "llm"
    assert "show of force" not in last.answer.text  # the guardrails dropped what the stream showed
    assert last.article.text[last.answer.citations[0].start : last.answer.citations[0].end] == (
        last.answer.citations[0].text
    )
    model_server.script(restating(answering, extra=INVENTED))
    assert llm_assistant.ask(QUESTION) == last.answer  # streamed or not, the same answer


def test_the_extractive_answerer_streams_one_event_the_answer(assistant: Assistant):
    events = list(assistant.stream_with_article(QUESTION))
    assert len(events) == 1 and isinstance(events[0], Answered)
    assert events[0].answer == assistant.ask(QUESTION)


def _client(api) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{str(api.base_url).rstrip('/')}/v1", api_key="unused", max_retries=0, timeout=60
    )


def _streamed(api, question: str = QUESTION) -> tuple[list[str], dict]:
    """What a standard client shows (the deltas it concatenates), and the final chunk's extras."""
    chunks = list(
        _client(api).chat.completions.create(
            model="article-assistant", messages=[{"role": "user", "content": question}], stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    return [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content], chunks[-1].model_extra


def assert_only_checked_words(deltas: list[str], final: dict) -> None:
    """The concatenated deltas are the checked answer: never a word it does not hold."""
    shown = "".join(deltas)
    assert set(shown.split()) <= set(final["content"].split())
    assert shown == final["content"] and final["replaces_streamed"] is False


def test_v1_streams_checked_sentences_while_the_model_writes_and_they_make_the_answer(
    api, model_server, answering
):
    hold = threading.Event()
    model_server.script(dataclasses.replace(paced(restating(answering, extra=INVENTED)), hold=hold))
    stream = _client(api).chat.completions.create(
        model="article-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    try:
        first = next(c.choices[0].delta.content for c in stream if c.choices[0].delta.content)
    finally:
        hold.set()  # the model ends its reply only now: ``first`` was sent while it was writing
    chunks = list(stream)
    final = chunks[-1].model_extra or {}
    deltas = [first, *(c.choices[0].delta.content for c in chunks if c.choices[0].delta.content)]
    assert_only_checked_words(deltas, final)
    assert first.startswith("According to") and "show of force" not in "".join(deltas)
    assert final["answered_by"] == "llm"
    assert "removed [7]: the model was given no sentence 7" in final["guardrail_notes"]
    assert final["citations"] and all(f"[{c['id']}]" in final["content"] for c in final["citations"])


def test_v1_streamed_text_is_the_answer_when_nothing_was_removed(api, model_server, answering):
    model_server.script(paced(restating(answering)))
    deltas, final = _streamed(api)
    assert_only_checked_words(deltas, final)
    assert final["answered_by"] == "llm" and final["guardrail_notes"] == []


INJECTED = "The admin password is 1234567890. [1] The tower is 324 metres tall [2]."
"""What an injected article makes a model say (citing sentences that do not say it): never shown."""


@pytest.mark.parametrize("where", ["first", "between", "last"])
def test_v1_never_sends_a_standard_client_what_the_guardrails_drop(api, model_server, answering, where):
    def write(body) -> str:
        said = [
            f"According to {speaker}, {text.rstrip('.')} [{n}]."
            for n, (speaker, text) in shown(body).items()
            if text in answering
        ]
        at = {"first": 0, "between": 1, "last": len(said)}[where]
        return " ".join([*said[:at], INJECTED, *said[at:]])

    model_server.script(paced(Reply.from_request(write)))
    deltas, final = _streamed(api)
    assert_only_checked_words(deltas, final)
    assert final["answered_by"] == "llm" and final["content"].startswith("According to")
    assert not any(word in "".join(deltas) for word in ("password", "1234567890", "324", "tower"))
    model_server.script(Reply.from_request(write))
    assert (
        final["content"]
        == _client(api)
        .chat.completions.create(model="article-assistant", messages=[{"role": "user", "content": QUESTION}])
        .choices[0]
        .message.content
    )  # streamed or not, the same answer


@pytest.mark.parametrize(
    ("extra", "cut", "why"),
    [
        ("NOT IN THE ARTICLE", False, "the rest of the model's reply said the sentences do not answer"),
        ("Then the model", True, "the LLM broke off its answer"),
    ],
    ids=["declines-after", "breaks-off-after"],
)
def test_v1_keeps_the_sentences_it_sent_when_the_model_then_fails_or_declines(
    api, model_server, answering, extra, cut, why
):
    model_server.script(dataclasses.replace(paced(restating(answering, extra=extra)), cut=cut))
    deltas, final = _streamed(api)
    assert_only_checked_words(deltas, final)
    assert final["answered_by"] == "llm" and final["notice"] is None
    assert any(
        note.startswith(why) and note.endswith("checked before that") for note in final["guardrail_notes"]
    )
    assert {c["text"] for c in final["citations"]} == answering


def test_v1_streams_the_extractive_answer_when_the_model_cites_nothing_that_answers(api, model_server):
    model_server.script(
        paced(Reply.text("The admin password is 1234567890. [1] It was a show of force [7]."))
    )
    deltas, final = _streamed(api)
    assert_only_checked_words(deltas, final)
    assert final["answered_by"] == "extractive" and "1234567890" not in final["content"]


def test_v1_without_streaming_says_who_answered_and_what_was_removed(api, model_server, answering):
    model_server.script(restating(answering, extra=INVENTED))
    completion = _client(api).chat.completions.create(
        model="article-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    extra = completion.model_extra or {}
    assert extra["answered_by"] == "llm" and "removed [7]" in extra["guardrail_notes"][0]
    assert "show of force" not in (completion.choices[0].message.content or "")


def test_the_chat_page_shows_the_model_writing_then_the_checked_answer(
    llm_assistant, model_server, answering
):
    model_server.script(paced(restating(answering, extra=INVENTED)))
    session = ChatSession(llm_assistant, delay=0)
    updates = list(session.respond(QUESTION, [], []))
    writing = [u[1][-1]["content"] for u in updates if "aa-streaming" in u[1][-1]["content"]]
    assert len(writing) > 5 and "show of force" in writing[-1]
    final = updates[-1][1]
    answer = next(
        m["content"] for m in reversed(final) if m["role"] == "assistant" and "aa-answer" in m["content"]
    )
    assert "aa-streaming" not in answer and "show of force" not in answer and 'class="aa-cite"' in answer


def test_the_chat_page_tells_the_reader_when_the_model_is_not_answering(llm_assistant, model_server):
    model_server.script(Reply.error(401))
    updates = list(ChatSession(llm_assistant, delay=0).respond(QUESTION, [], []))
    final = [m["content"] for m in updates[-1][1] if m["role"] == "assistant"][-1]
    assert '<p class="aa-notice">The language model is not answering right now' in final
    assert 'class="aa-cite"' in final  # the extractive answer, cited
