"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``, so existing chat front ends and the
official ``openai`` client work unchanged. Thin over ``Assistant.ask``.

The message text carries the [n] markers and a sources list; the structured citations (the
``/api/ask`` shape) ride along in an extra ``citations`` field, on the response and on the final chunk.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.answer.sources import answer_with_sources
from assistant.errors import InvalidQuestion
from assistant.pipeline import Assistant
from assistant.schema import ERROR_RESPONSES, Answer, Citation, ErrorResponse, Turn
from assistant.ui.session import stream_prefixes
from assistant.web.deadline import ask_within

MODEL_ID = "article-assistant"


class ContentPart(BaseModel):
    type: Literal["text"] = Field(description="Only text parts are understood.")
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options are accepted and ignored (answers are extractive)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, description=f"Any name is accepted; answers come from {MODEL_ID!r}.")
    messages: list[ChatMessage] = Field(
        min_length=1, description="The conversation; the last one is the question."
    )
    stream: bool = False

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role != "user":
            msg = f"the last message must have role 'user' (the question); got {messages[-1].role!r}"
            raise ValueError(msg)
        return messages


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    """Whitespace-separated words, as a rough stand-in for tokens."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[Choice]
    usage: Usage
    answerable: bool = Field(description="Extra: False when the article does not answer the question.")
    citations: list[Citation] = Field(description="Extra: the verbatim spans behind the [n] markers.")


class OpenAIError(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorResponse(ErrorResponse):
    """Our ``detail``, plus the ``error`` object OpenAI clients read their message from."""

    error: OpenAIError


class Model(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "article-assistant"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def _question_and_history(request: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """System/developer messages are dropped: the assistant's behaviour is fixed, not promptable."""
    history = [
        Turn(role=m.role, content=m.text()) for m in request.messages[:-1] if m.role in {"user", "assistant"}
    ]
    return request.messages[-1].text(), history


def _chunk(completion_id: str, created: int, delta: dict[str, str], **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish_reason", None)}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _stream(answer: Answer, completion_id: str, created: int) -> Iterator[str]:
    """Role first, then the text in growing pieces, then the final chunk with citations, then [DONE]."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    sent = ""
    for prefix in stream_prefixes(answer_with_sources(answer)):
        yield _chunk(completion_id, created, {"content": prefix[len(sent) :]})
        sent = prefix
    citations = [c.model_dump() for c in answer.citations]
    yield _chunk(
        completion_id, created, {}, finish_reason="stop", answerable=answer.answerable, citations=citations
    )
    yield "data: [DONE]\n\n"


def openai_router(assistant: Assistant, require_api_key: Callable[..., None]) -> APIRouter:
    router = APIRouter(
        prefix="/v1",
        tags=["OpenAI-compatible"],
        dependencies=[Depends(require_api_key)],
        responses={status: {"model": OpenAIErrorResponse} for status in ERROR_RESPONSES},
    )

    @router.get("/models", response_model=ModelList)
    def models() -> ModelList:
        """The one model this server offers: the article assistant."""
        return ModelList(data=[Model()])

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def chat_completions(request: ChatCompletionRequest) -> ChatCompletion | StreamingResponse:
        """Answer the last user message from the article; ``stream: true`` sends SSE chunks, then [DONE]."""
        question, history = _question_and_history(request)
        if not question.strip():
            raise InvalidQuestion("the last user message is empty: put the question about the article there")
        answer = await ask_within(assistant, question, history)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if request.stream:
            return StreamingResponse(
                _stream(answer, completion_id, created),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        content = answer_with_sources(answer)
        prompt_words = sum(len(m.text().split()) for m in request.messages)
        return ChatCompletion(
            id=completion_id,
            created=created,
            choices=[Choice(message=AssistantMessage(content=content))],
            usage=Usage(
                prompt_tokens=prompt_words,
                completion_tokens=len(content.split()),
                total_tokens=prompt_words + len(content.split()),
            ),
            answerable=answer.answerable,
            citations=answer.citations,
        )

    return router
