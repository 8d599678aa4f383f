"""The OpenAI-compatible API as portals use it: the official ``openai`` client against a live server."""

from __future__ import annotations

import httpx
import openai
import pytest

from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

QUESTION = "Which agency also cited General Ramazan Sharif?"


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    return serve(create_app(assistant, with_ui=False))


@pytest.fixture()
def client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0)


def _check_citations(citations, assistant):
    assert citations and set(citations[0]) == {"id", "text", "start", "end", "section", "speaker", "source"}
    for c in citations:
        assert assistant.article.text[c["start"] : c["end"]] == c["text"]


def test_models_lists_the_assistant(client):
    # the default article twice: as the legacy name and as its id (no library articles here), and
    # "all" (which, with no library, is that article too)
    assert [m.id for m in client.models.list()] == [
        "article-assistant",
        "henningsen-2017-iran-missile-strike",
        "all",
    ]


def test_completion_carries_markers_sources_and_citations(client, assistant):
    completion = client.chat.completions.create(
        model="article-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert (
        "[1]" in content
        and "\n\nSources:\n[1] “" in content
        and completion.choices[0].finish_reason == "stop"
    )
    assert completion.model_extra["answerable"] is True
    _check_citations(completion.model_extra["citations"], assistant)
    assert any("(also cited by AP)" in c["text"] for c in completion.model_extra["citations"])


def test_streaming_sends_chunks_then_citations_on_the_last(client, assistant):
    stream = client.chat.completions.create(
        model="henningsen-2017-iran-missile-strike",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 3 and "[1]" in text and "Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    _check_citations(chunks[-1].model_extra["citations"], assistant)
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


def test_stream_ends_with_done(base_url):
    body = {"model": "article-assistant", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)


def test_follow_up_from_message_history(client):
    completion = client.chat.completions.create(
        model="article-assistant",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What did the Russian Defense Ministry announce?"},
            {"role": "assistant", "content": "It halted its Deconfliction cooperation [1]"},
            {"role": "user", "content": [{"type": "text", "text": "Why did it do that?"}]},
        ],
    )
    assert completion.model_extra["answerable"] is True
    assert any("overt act of aggression" in c["text"] for c in completion.model_extra["citations"])


def test_unanswerable_is_declined(client):
    completion = client.chat.completions.create(
        model="article-assistant", messages=[{"role": "user", "content": "What is the capital of Australia?"}]
    )
    assert completion.choices[0].message.content.startswith("The article does not say")
    assert completion.model_extra["answerable"] is False and completion.model_extra["status"] == "declined"


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "messages: List should have at least 1 item"),
        ([{"role": "assistant", "content": "hi"}], "the last message must have role 'user'"),
        ([{"role": "user", "content": "  "}], "the last user message is empty"),
        ([{"role": "user", "content": "x" * 2001}], "limit is 2000"),
        ([{"role": "robot", "content": "hi"}], "messages.0.role"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "messages.0.content",
        ),
    ],
)
def test_bad_input_is_a_4xx_with_a_clear_message(client, messages, message):
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client.chat.completions.create(model="article-assistant", messages=messages)
    assert message in raised.value.message
    assert message in raised.value.body["message"]


def test_malformed_json_is_4xx(base_url):
    response = httpx.post(
        f"{base_url}/v1/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"]["message"]
