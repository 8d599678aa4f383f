"""Streaming LLM answers end to end, against the SCRIPTED model server (real HTTP, OpenAI's wire
format, a word every few milliseconds): the backend's pieces, retries and rest after a failure; the
pipeline's partial texts, then the checked answer; ``/v1/chat/completions`` through the real
``openai`` client; the chat page's updates."""

from __future__ import annotations

import dataclasses

import openai
import pytest

from assistant import Assistant
from assistant.answer.base import Partial
from assistant.answer.llm.backend import RETRIES, BackendFailure, ChatBackend
from assistant.pipeline import Answered
from assistant.ui.session import ChatSession
from tests.answer.llm.replies import QUESTION, restating
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


def test_v1_streams_the_models_words_and_ends_with_the_checked_answer(api, model_server, answering):
    model_server.script(paced(restating(answering, extra=INVENTED)))
    chunks = list(
        _client(api).chat.completions.create(
            model="article-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
    )
    words = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(words) > 5 and "".join(words).startswith("According to")
    final = chunks[-1].model_extra or {}
    assert chunks[-1].choices[0].finish_reason == "stop" and final["answered_by"] == "llm"
    assert final["replaces_streamed"] is True and "show of force" not in final["content"]
    assert "removed [7]: the model was given no sentence 7" in final["guardrail_notes"]
    assert final["citations"] and all(f"[{c['id']}]" in final["content"] for c in final["citations"])


def test_v1_streamed_text_is_the_answer_when_nothing_was_removed(api, model_server, answering):
    model_server.script(paced(restating(answering)))
    chunks = list(
        _client(api).chat.completions.create(
            model="article-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].model_extra or {}
    assert final["replaces_streamed"] is False and streamed == final["content"]
    assert final["answered_by"] == "llm" and final["guardrail_notes"] == []


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
