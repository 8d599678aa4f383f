"""HTTP API: ``POST /api/ask``, ``GET /healthz`` and OpenAPI docs at ``/docs``. Thin over ``Assistant``."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.errors import AssistantError, IndexBusy, IndexUnavailable, InvalidQuestion
from assistant.pipeline import Assistant
from assistant.schema import Citation, Turn

logger = logging.getLogger(__name__)


class AskRequest(BaseModel):
    """A question about the article, with the conversation so far for follow-ups."""

    question: str = Field(description="The question; 1 to ASSISTANT_MAX_QUESTION_CHARS characters.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")


class AskResponse(BaseModel):
    answer: str = Field(description="Short answer with [n] markers pointing at the citations.")
    answerable: bool = Field(description="False when the article does not answer the question.")
    citations: list[Citation]


class ErrorResponse(BaseModel):
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    article: str
    detail: str | None = None


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


def create_app(assistant: Assistant) -> FastAPI:
    """The ASGI app; the chat UI mounts into this same app."""
    app = FastAPI(
        title="article-assistant",
        summary="Questions about one news article, answered with verbatim citations.",
        version="0.1.0",
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'] if part != 'body') or 'body'}: {e['msg']}"
            for e in error.errors()
        )
        return JSONResponse(
            status_code=422,
            content={
                "detail": f"invalid request: {problems}",
                "errors": jsonable_encoder(
                    [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
                ),
            },
        )

    @app.exception_handler(InvalidQuestion)
    async def invalid_question(_: Request, error: InvalidQuestion) -> JSONResponse:
        return _error(422, str(error))

    @app.exception_handler(AssistantError)
    async def unavailable(_: Request, error: AssistantError) -> JSONResponse:
        status = 503 if isinstance(error, IndexUnavailable | IndexBusy) else 422
        return _error(status, str(error))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error while answering", exc_info=error)
        return _error(500, "internal error: the assistant could not answer; try again")

    @app.post(
        "/api/ask",
        response_model=AskResponse,
        responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    )
    def ask(request: AskRequest) -> AskResponse:
        """Answer a question from the article, citing it verbatim (or decline when it does not say)."""
        answer = assistant.ask(request.question, request.history)
        return AskResponse(answer=answer.text, answerable=answer.answerable, citations=answer.citations)

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Liveness and readiness: `degraded` when the index cannot be opened."""
        try:
            assistant.open()
        except AssistantError as error:
            return Health(status="degraded", article=assistant.article.title, detail=str(error))
        return Health(status="ok", article=assistant.article.title)

    return app
