"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``, so existing chat front ends and the
official ``openai`` client work unchanged. Thin over ``Assistant.ask``.

Each article is a model: ``model`` is an article id (``/v1/models`` lists them), ``article-assistant``
for the default article, or ``all``: across all articles (the answer names the article it is from, and
each citation its ``source``). Any other name is OpenAI's 404 ``model_not_found``.

The message text carries the [n] markers and a sources list; the structured citations (the
``/api/ask`` shape), ``answered_by`` and ``guardrail_notes`` ride along in extra fields, on the
response and on the final chunk.

Streaming (``stream: true``) sends only checked words: with an LLM answerer, each sentence once it is
whole and the guardrails kept it (and the answer is sure to be the model's); the rest of the checked
answer, its sources and notice at the end (the extractive answer is sent in growing pieces). A client
that concatenates the deltas shows exactly what a non-streamed response holds. The final chunk also
carries that text as ``content``, and ``replaces_streamed`` (false: kept for clients that read it).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.answer.base import Partial
from assistant.answer.sources import answer_with_sources
from assistant.delivery.deadline import ask_within, stream_within_sync
from assistant.delivery.streaming import stream_prefixes
from assistant.errors import AssistantError, InvalidQuestion, public_message
from assistant.library.errors import IDS_IN_MESSAGES, UnknownArticle
from assistant.library.shelf import ALL, Scoped, Shelf
from assistant.pipeline import Answered
from assistant.schema import (
    ERROR_RESPONSES,
    STATUS_DESCRIPTION,
    Answer,
    AnsweredBy,
    AnswerStatus,
    Citation,
    ErrorResponse,
    Turn,
)
from assistant.web.disconnect import client_left
from assistant.web.errors import error_content

logger = logging.getLogger(__name__)

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

    model: str = Field(
        MODEL_ID,
        description=f"An article id from /v1/models, {MODEL_ID!r} for the default article, or {ALL!r} "
        "to answer from the article that answers best.",
    )
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
    status: AnswerStatus = Field(description=f"Extra: {STATUS_DESCRIPTION}")
    citations: list[Citation] = Field(description="Extra: the verbatim spans behind the [n] markers.")
    answered_by: AnsweredBy = Field(description="Extra: which answerer wrote the answer.")
    guardrail_notes: list[str] = Field(
        description="Extra: what the guardrails removed from a model's answer."
    )
    notice: str | None = Field(description="Extra: for the reader, when the LLM could not answer.")


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
    description: str | None = Field(None, description="Extra: what the model answers from.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def _question_and_history(request: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """System/developer messages are dropped: the assistant's behaviour is fixed, not promptable."""
    history = [
        Turn(role=m.role, content=m.text()) for m in request.messages[:-1] if m.role in {"user", "assistant"}
    ]
    return request.messages[-1].text(), history


def _chunk(completion_id: str, created: int, delta: dict[str, str], model: str, **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish_reason", None)}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _stream(
    first: Partial | Answered,
    rest: Iterator[Partial | Answered],
    completion_id: str,
    created: int,
    model: str,
    attribute: Callable[[Answer], Answer],
) -> Iterator[str]:
    """Role first, then the checked text as it is settled, then the rest of the checked answer, the
    final chunk with its citations (and its whole text), then [DONE]. The deltas are only ever words
    of the checked answer, and together they are its whole text: a client that concatenates them
    shows what a non-streamed response holds. A failure after the first chunk is OpenAI's error event."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""}, model)
    sent = ""
    try:
        for event in itertools.chain([first], rest):
            if isinstance(event, Partial):
                if event.settled.startswith(sent) and len(event.settled) > len(sent):
                    yield _chunk(completion_id, created, {"content": event.settled[len(sent) :]}, model)
                    sent = event.settled
                continue
            answer, content = attribute(event.answer), answer_with_sources(event.answer)
            if not content.startswith(sent):  # the answerer's contract (``Streaming``) was broken
                logger.error("a streamed answer's checked text does not start with what was sent")
            pieces = stream_prefixes(content) if not sent else [content] if content.startswith(sent) else []
            for prefix in pieces:
                yield _chunk(completion_id, created, {"content": prefix[len(sent) :]}, model)
                sent = prefix
            yield _chunk(
                completion_id,
                created,
                {},
                model,
                finish_reason="stop",
                answerable=answer.answerable,
                status=answer.status,
                citations=[c.model_dump() for c in answer.citations],
                answered_by=answer.answered_by,
                guardrail_notes=answer.guardrail_notes,
                notice=answer.notice,
                content=content,
                replaces_streamed=sent != content,
            )
    except AssistantError as error:
        logger.warning("a streamed answer failed after it started: %s", error)
        message = public_message(error)
        error_body = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
        yield f"data: {json.dumps(error_body, ensure_ascii=False)}\n\n"
        return
    yield "data: [DONE]\n\n"


def _model_not_found(request: Request, model: str, known: list[str]) -> JSONResponse:
    """OpenAI's answer to a model it does not serve: 404, ``code`` ``model_not_found``, ``param`` model."""
    named = ", ".join([MODEL_ID, *known][:IDS_IN_MESSAGES])
    detail = (
        f"the model {model!r} does not exist: use an article id from GET /v1/models (such as {named}); "
        f"{MODEL_ID!r} answers from the default article"
    )
    content = error_content(request.url.path, 404, detail, "model")
    content["error"]["code"] = "model_not_found"  # type: ignore[index]
    return JSONResponse(status_code=404, content=content)


def openai_router(shelf: Shelf, require_api_key: Callable[..., None]) -> APIRouter:
    router = APIRouter(
        prefix="/v1",
        tags=["OpenAI-compatible"],
        dependencies=[Depends(require_api_key)],
        responses={status: {"model": OpenAIErrorResponse} for status in ERROR_RESPONSES},
    )

    @router.get("/models", response_model=ModelList)
    def models() -> ModelList:
        """One model per article (its id), ``article-assistant``: the default article, and ``all``:
        across all articles."""
        across = Model(id=ALL, description="All articles: each answer from the one that answers best")
        return ModelList(data=[Model(), *(Model(id=article_id) for article_id in shelf.ids()), across])

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={
            200: {"content": {"text/event-stream": {}}},
            404: {"model": OpenAIErrorResponse, "description": "No such model (`model_not_found`)."},
        },
    )
    async def chat_completions(
        request: ChatCompletionRequest, http: Request
    ) -> ChatCompletion | StreamingResponse | JSONResponse:
        """Answer the last user message from the article ``model`` names; ``stream: true`` sends SSE
        chunks, then [DONE]."""
        try:
            if request.model == MODEL_ID:
                scoped: Scoped = shelf.scoped()
            else:
                scoped = await anyio.to_thread.run_sync(partial(shelf.scoped, request.model, across=True))
        except UnknownArticle as error:
            return _model_not_found(http, error.article_id, shelf.ids())
        assistant = scoped.assistant
        question, history = _question_and_history(request)
        if not question.strip():
            raise InvalidQuestion("the last user message is empty: put the question about the article there")
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if request.stream:
            events = stream_within_sync(assistant, question, history)
            # The first event before any byte is sent: a refused question is still a 4xx, a dead index a 503.
            first = await anyio.to_thread.run_sync(next, events)
            return StreamingResponse(
                _stream(first, events, completion_id, created, request.model, scoped.attribute),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        gone = partial(client_left, http)
        answer = scoped.attribute(await ask_within(assistant, question, history, gone=gone))
        content = answer_with_sources(answer)
        prompt_words = sum(len(m.text().split()) for m in request.messages)
        return ChatCompletion(
            id=completion_id,
            created=created,
            model=request.model,
            choices=[Choice(message=AssistantMessage(content=content))],
            usage=Usage(
                prompt_tokens=prompt_words,
                completion_tokens=len(content.split()),
                total_tokens=prompt_words + len(content.split()),
            ),
            answerable=answer.answerable,
            status=answer.status,
            citations=answer.citations,
            answered_by=answer.answered_by,
            guardrail_notes=answer.guardrail_notes,
            notice=answer.notice,
        )

    return router
