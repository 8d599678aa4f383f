"""`assistant llm serve` as the LLM answerer uses it: the official openai client against the real server."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.llm.server import LlamaServer

pytestmark = pytest.mark.llm

QUESTION = [{"role": "user", "content": "Name one colour of the sky."}]


def client(server: LlamaServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", timeout=60, max_retries=0)


def test_models_endpoint_lists_the_served_model_name(llm_server: LlamaServer) -> None:
    assert [model.id for model in client(llm_server).models.list()] == ["smollm2"]


def test_health_endpoint_reports_ok(llm_server: LlamaServer) -> None:
    response = httpx.get(llm_server.base_url.removesuffix("/v1") + "/health", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_chat_completion_answers_within_max_completion_tokens(llm_server: LlamaServer) -> None:
    completion = client(llm_server).chat.completions.create(
        model=llm_server.model, messages=QUESTION, max_completion_tokens=12, temperature=0, seed=7
    )
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content and choice.message.content.strip()
    assert choice.finish_reason in {"stop", "length"}
    assert completion.model == "smollm2"
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 12


def test_streamed_chat_completion_arrives_token_by_token(llm_server: LlamaServer) -> None:
    stream = client(llm_server).chat.completions.create(
        model=llm_server.model,
        messages=QUESTION,
        max_completion_tokens=12,
        temperature=0,
        seed=7,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(pieces) >= 2, f"expected several content deltas, got {pieces!r}"
    assert "".join(pieces).strip()
    assert finishes in (["stop"], ["length"])
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 12


def test_stopped_server_refuses_connections_and_answers_again_once_restarted(llm_server: LlamaServer) -> None:
    before = llm_server.base_url
    llm_server.stop()
    try:
        with pytest.raises(openai.APIConnectionError):
            client(llm_server).chat.completions.create(
                model=llm_server.model, messages=QUESTION, max_tokens=4
            )
        with pytest.raises(httpx.ConnectError):
            httpx.get(before.removesuffix("/v1") + "/health", timeout=5)
    finally:
        assert llm_server.start() == before
    completion = client(llm_server).chat.completions.create(
        model=llm_server.model, messages=QUESTION, max_completion_tokens=4
    )
    assert completion.choices[0].message.content


def test_web_pages_on_other_origins_are_not_allowed_to_call_it(llm_server: LlamaServer) -> None:
    response = httpx.get(
        f"{llm_server.base_url}/models", headers={"Origin": "https://elsewhere.example"}, timeout=10
    )
    assert response.headers.get("access-control-allow-origin", "") == ""
