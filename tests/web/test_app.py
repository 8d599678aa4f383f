"""The HTTP API served by a real uvicorn server on loopback, called with a real HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.web.app import create_app

DEFAULT_ID = "henningsen-2017-iran-missile-strike"  # the seed article's file name, as an id

pytestmark = [pytest.mark.integration, pytest.mark.server]


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    return serve(create_app(assistant))


@pytest.fixture()
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def test_ask_returns_answer_with_verbatim_citations(client, assistant):
    response = client.post("/api/ask", json={"question": "Which agency also cited General Ramazan Sharif?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer",
        "answerable",
        "status",
        "citations",
        "answered_by",
        "guardrail_notes",
        "notice",
    }
    assert body["status"] == "answered"
    assert body["answerable"] is True and "[1]" in body["answer"]
    assert body["answered_by"] == "extractive" and body["guardrail_notes"] == [] and body["notice"] is None
    for citation in body["citations"]:
        assert set(citation) == {"id", "text", "start", "end", "section", "speaker", "source"}
        assert citation["source"] == {"id": DEFAULT_ID, "title": assistant.article.title}
        assert assistant.article.text[citation["start"] : citation["end"]] == citation["text"]
    assert any("(also cited by AP)" in c["text"] for c in body["citations"])


def test_ask_uses_history_for_follow_ups(client):
    history = [
        {"role": "user", "content": "What did the Russian Defense Ministry announce?"},
        {"role": "assistant", "content": "It halted its Deconfliction cooperation [1]"},
    ]
    body = client.post("/api/ask", json={"question": "Why did it do that?", "history": history}).json()
    assert body["answerable"] and any("overt act of aggression" in c["text"] for c in body["citations"])


def test_unanswerable_question_is_declined(client):
    body = client.post("/api/ask", json={"question": "What is the capital of Australia?"}).json()
    assert body["answerable"] is False and body["answer"].startswith("The article does not say")
    assert body["status"] == "declined" and body["citations"] == []


def test_on_topic_question_the_article_does_not_answer_is_not_stated_with_its_closest_words(client):
    question = "How many tomahawks did the US fire at the Syrian airbase in April?"
    body = client.post("/api/ask", json={"question": question}).json()
    assert body["answerable"] is False and body["status"] == "not_stated" and body["citations"]
    assert all(f"[{c['id']}]" in body["answer"] for c in body["citations"])


def test_the_api_schema_documents_the_status(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AskResponse"]
    assert schema["properties"]["status"]["enum"] == ["answered", "not_stated", "declined"]
    assert "not_stated" in schema["properties"]["status"]["description"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   \n\t"}, "empty"),
        ({"question": "x" * 2001}, "limit is 2000"),
        ({}, "question: Field required"),
        ({"question": 42}, "question: Input should be a valid string"),
        ({"question": "ok?", "history": [{"role": "robot", "content": "hi"}]}, "history.0.role"),
        ({"question": "ok?", "history": "not a list"}, "history"),
    ],
)
def test_bad_input_gets_422_with_clear_message(client, payload, message):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_malformed_json_gets_4xx_with_message_not_500(client):
    response = client.post(
        "/api/ask", content=b'{"question": \xff', headers={"content-type": "application/json"}
    )
    assert response.status_code in {400, 422}
    assert response.json()["detail"]


def test_healthz_and_openapi_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]


def test_every_error_declares_its_http_status():
    """The API answers an error with the status its class declares; the CLI exits 1 for all of them."""
    import assistant.errors as errors

    kinds = [k for k in vars(errors).values() if isinstance(k, type) and issubclass(k, errors.AssistantError)]
    assert len(kinds) >= 9
    assert all(400 <= k.http_status < 600 for k in kinds)
    assert errors.NotAuthorized.http_status == 401 and errors.InvalidQuestion.http_status == 422
    assert errors.AnswerTimeout.http_status == errors.IndexUnavailable.http_status == 503
