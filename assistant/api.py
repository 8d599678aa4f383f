"""The HTTP app: ``POST /api/ask``, the OpenAI-compatible ``/v1``, ``/embed``, ``GET /healthz``, OpenAPI
docs at ``/docs``, and the chat page at ``/``. Thin over ``Assistant``."""

import logging
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.deadline import ask_within, within
from assistant.errors import (
    AnswerTimeout,
    AssistantError,
    IndexBusy,
    IndexUnavailable,
    InvalidQuestion,
    NotAuthorized,
)
from assistant.openai_api import openai_router
from assistant.pipeline import Assistant
from assistant.portal import api_key_dependency, embed_router, protect
from assistant.schema import ERROR_RESPONSES, Citation, Turn
from assistant.settings import Settings

logger = logging.getLogger(__name__)


# At least one character that is neither white space nor a control character: what survives cleaning.
SOMETHING_TO_ASK = r"[^\s\x00-\x1f\x7f]"


def ask_request_model(max_question_chars: int) -> type[BaseModel]:
    """The request body, its limits taken from the settings so the OpenAPI schema states them exactly."""

    class AskRequest(BaseModel):
        """A question about the article, with the conversation so far for follow-ups."""

        question: str = Field(
            min_length=1,
            max_length=max_question_chars,
            pattern=SOMETHING_TO_ASK,
            description="The question: some text to ask, at most ASSISTANT_MAX_QUESTION_CHARS characters.",
        )
        history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")

    return AskRequest


class AskResponse(BaseModel):
    answer: str = Field(description="Short answer with [n] markers pointing at the citations.")
    answerable: bool = Field(description="False when the article does not answer the question.")
    citations: list[Citation]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    article: str
    detail: str | None = None


def _explain(error: dict, max_question_chars: int) -> str:
    """One validation problem in words: the question's own limits read as the issue states them."""
    where = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
    if where == "question" and error["type"] in {"string_too_short", "string_pattern_mismatch"}:
        return str(InvalidQuestion.empty())
    if where == "question" and error["type"] == "string_too_long":
        length = len(error["input"]) if isinstance(error.get("input"), str) else "too many"
        return str(InvalidQuestion.too_long(length, max_question_chars))
    return f"{where}: {error['msg']}"


def _error(request: Request, status: int, detail: str, **extra: object) -> JSONResponse:
    """``{"detail": …}``; under ``/v1`` also OpenAI's ``{"error": {"message": …}}`` for its clients."""
    content: dict[str, object] = {"detail": detail, **extra}
    if request.url.path.startswith("/v1/"):
        kind = "authentication_error" if status == 401 else "invalid_request_error"
        content["error"] = {"message": detail, "type": kind, "param": None, "code": None}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content=content, headers=headers)


def create_app(assistant: Assistant, settings: Settings | None = None, *, with_ui: bool = True) -> FastAPI:
    """The ASGI app. ``settings`` (default: the assistant's) decides origins and API keys."""
    settings = settings or assistant.settings
    app = FastAPI(
        title="article-assistant",
        summary="Questions about one news article, answered with verbatim citations.",
        version="0.1.0",
    )
    protect(app, settings)
    require_api_key = api_key_dependency(settings)
    AskRequest = ask_request_model(settings.max_question_chars)  # noqa: N806 - a class, named as one
    api = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_explain(e, settings.max_question_chars) for e in error.errors())
        errors = jsonable_encoder(
            [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        )
        return _error(request, 422, f"invalid request: {problems}", errors=errors)

    @app.exception_handler(InvalidQuestion)
    async def invalid_question(request: Request, error: InvalidQuestion) -> JSONResponse:
        return _error(request, 422, str(error))

    @app.exception_handler(AssistantError)
    async def unavailable(request: Request, error: AssistantError) -> JSONResponse:
        if isinstance(error, NotAuthorized):
            return _error(request, 401, str(error))
        status = 503 if isinstance(error, IndexUnavailable | IndexBusy | AnswerTimeout) else 422
        return _error(request, status, str(error))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error while answering", exc_info=error)
        return _error(request, 500, "internal error: the assistant could not answer; try again")

    @api.post(
        "/ask",
        response_model=AskResponse,
        responses=ERROR_RESPONSES,
    )
    async def ask(request: AskRequest) -> AskResponse:  # type: ignore[valid-type]  (built per app)
        """Answer a question from the article, citing it verbatim (or decline when it does not say)."""
        answer = await ask_within(assistant, request.question, request.history)
        return AskResponse(answer=answer.text, answerable=answer.answerable, citations=answer.citations)

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Readiness: `degraded` when the index cannot be searched or the model does not answer in time."""
        try:
            await within(settings.health_timeout, "the health probe", assistant.check)
        except AssistantError as error:
            return Health(status="degraded", article=assistant.article.title, detail=str(error))
        return Health(status="ok", article=assistant.article.title)

    app.include_router(api)
    app.include_router(openai_router(assistant, require_api_key))
    app.include_router(embed_router(settings))
    if with_ui:
        from assistant.ui import mount_ui

        mount_ui(app, assistant, settings)  # last: the UI's catch-all mount at "/" goes after our routes
    return app
