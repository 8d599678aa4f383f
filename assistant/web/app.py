"""The HTTP app: ``POST /api/ask``, ``GET /api/articles``, ``POST /api/feedback``, the OpenAI-compatible
``/v1``, ``/embed``, ``GET /healthz``, OpenAPI docs at ``/docs`` and ``/redoc``, and the chat page at ``/``.
Thin over ``Assistant``: the ``Shelf`` says which one answers about which article."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.delivery.deadline import ask_within
from assistant.errors import (
    AssistantError,
    InvalidQuestion,
    public_message,
)
from assistant.feedback import open_feedback_store
from assistant.library.errors import InvalidPage
from assistant.library.paging import DEFAULT_LIMIT, MAX_LIMIT
from assistant.library.shelf import LibraryState, Shelf, ShelfArticle, ShelfPage
from assistant.library.slugs import ID_PATTERN
from assistant.pipeline import Assistant
from assistant.schema import ERROR_RESPONSES, AskResponse, ErrorResponse, Turn
from assistant.settings import Settings
from assistant.web.disconnect import client_left
from assistant.web.docs import add_offline_docs
from assistant.web.errors import error_content
from assistant.web.fairness import share_fairly
from assistant.web.feedback import feedback_route
from assistant.web.health import health_problem, library_state
from assistant.web.limits import limit_request_bodies
from assistant.web.openai_compat import openai_router
from assistant.web.page_auth import protect_the_page
from assistant.web.portal import api_key_dependency, embed_router, protect
from assistant.web.proxies import trust_forwarded_headers

logger = logging.getLogger(__name__)


# At least one character that is neither white space nor a control character: what survives cleaning.
# White space is spelled out, not ``\s``: the schema's regex dialect (ECMA-262, what clients and
# fuzzers validate against) and pydantic's disagree about ``\s`` (U+0085, U+FEFF), and a request
# the schema calls valid must never get a 422. This is the union of both dialects' white space.
BLANKS = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
SOMETHING_TO_ASK = f"[^\\x00-\\x20\\x7f{BLANKS}]"


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
        article: str | None = Field(
            None,
            max_length=80,
            pattern=f"^{ID_PATTERN.pattern}$",
            description="The id of the article to answer from (`GET /api/articles` lists them); "
            "left out, the default article (ASSISTANT_ARTICLE_PATH); `all`: the article that answers best "
            "of all of them, named in the answer and in each citation's `source`.",
        )

    return AskRequest


class ArticleListing(BaseModel):
    """One article the API answers about."""

    id: str = Field(description="What `article` in `POST /api/ask` and `model` in `/v1` take.")
    title: str
    byline: str | None = None
    date: str | None = None
    source: Literal["configured", "library"] = Field(
        description="`configured`: ASSISTANT_ARTICLE_PATH; `library`: added with `assistant add`."
    )
    default: bool = Field(description="True for the article answered when no `article` is given.")

    @classmethod
    def of(cls, article: ShelfArticle) -> "ArticleListing":
        return cls(
            id=article.id,
            title=article.title,
            byline=article.byline,
            date=article.date,
            source=article.source,
            default=article.default,
        )


class ArticleList(BaseModel):
    """One page of the articles: `next_offset` asks for the next one."""

    articles: list[ArticleListing] = Field(
        description="This page: the default article first (at offset 0), then the library's, by id."
    )
    total: int = Field(description="How many articles there are in all, the default one included.")
    offset: int = Field(description="The `offset` asked for: how many articles come before this page.")
    limit: int = Field(description="The `limit` asked for: at most this many articles are on the page.")
    next_offset: int | None = Field(
        description="The `offset` of the next page; null on the last page (or past the end)."
    )

    @classmethod
    def of(cls, listed: ShelfPage) -> "ArticleList":
        page = listed.page
        return cls(
            articles=[ArticleListing.of(a) for a in listed.articles],
            total=page.total,
            offset=page.offset,
            limit=page.limit,
            next_offset=page.next_offset,
        )


# The query parameters of `GET /api/articles`: (name, smallest, largest or None) for their 422 messages.
PAGING = {"limit": (1, MAX_LIMIT), "offset": (0, None)}


UNKNOWN_ARTICLE = {404: {"model": ErrorResponse, "description": "No article with this id."}}


class LibraryHealth(BaseModel):
    """The library as this worker serves it."""

    articles: int = Field(
        description="How many articles this worker answers about, the default one included."
    )
    changed_at: datetime | None = Field(
        description="When an article was last added, updated or removed (ISO 8601, UTC); null: never."
    )

    @classmethod
    def of(cls, state: LibraryState) -> "LibraryHealth":
        return cls(articles=state.articles, changed_at=state.changed_at)


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    article: str = Field(description="The title of the default article, the one probed.")
    detail: str | None = Field(None, description="What is wrong, when degraded.")
    library: LibraryHealth | None = Field(
        None, description="The articles served; null when the library could not be read (see `detail`)."
    )


def _explain(error: dict, max_question_chars: int) -> str:
    """One validation problem in words: the question's own limits read as the issue states them, and
    a page's `limit` and `offset` say the range they take."""
    where = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
    if error["loc"][:1] == ("query",) and (name := where.removeprefix("query.")) in PAGING:
        return str(InvalidPage.out_of_range(name, error.get("input"), *PAGING[name]))
    if where == "question" and error["type"] in {"string_too_short", "string_pattern_mismatch"}:
        return str(InvalidQuestion.empty())
    if where == "question" and error["type"] == "string_too_long":
        length = len(error["input"]) if isinstance(error.get("input"), str) else "too many"
        return str(InvalidQuestion.too_long(length, max_question_chars))
    return f"{where}: {error['msg']}"


def _error(
    request: Request,
    status: int,
    detail: str,
    *,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    """``{"detail": …}``; under ``/v1`` also OpenAI's ``{"error": {"message", "type", …}}`` for clients."""
    content = {**error_content(request.url.path, status, detail, param), **extra}
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return JSONResponse(status_code=status, content=content, headers=headers or None)


def _first_field(error: RequestValidationError) -> str | None:
    """OpenAI's ``param``: the first field a validation error names (``messages.0.content``)."""
    for problem in error.errors():
        where = [str(part) for part in problem["loc"] if part != "body"]
        if where:
            return ".".join(where)
    return None


UNKNOWN_V1_PATH = "/v1/{path:path}"


def _unknown_v1_route(v1: APIRouter) -> Callable[[Request], Awaitable[None]]:
    """Below the chat UI's catch-all mount, ``/v1`` would answer unknown paths with Gradio's 404 page."""

    def allowed_methods(path: str) -> list[str]:
        routes = [r for r in v1.routes if isinstance(r, APIRoute) and r.path_regex.match(path)]
        return sorted({method for route in routes for method in route.methods})

    async def unknown_v1_route(request: Request) -> None:
        if allowed := allowed_methods(request.url.path):
            detail = f"method {request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
            raise StarletteHTTPException(405, detail, headers={"Allow": ", ".join(allowed)})
        detail = f"no such endpoint: {request.url.path}; see /docs for /v1/chat/completions and /v1/models"
        raise StarletteHTTPException(404, detail)

    return unknown_v1_route


def create_app(
    assistant: Assistant,
    settings: Settings | None = None,
    *,
    with_ui: bool = True,
    shelf: Shelf | None = None,
) -> FastAPI:
    """The ASGI app. ``settings`` (default: the assistant's) decides origins and API keys; ``assistant``
    answers about the default article, ``shelf`` (default: it and the settings' library) about each."""
    settings = settings or assistant.settings
    if shelf is None:
        from assistant.library.library import Library

        shelf = Shelf(assistant, Library(settings, assistant.embeddings, assistant.reranker))
    app = FastAPI(
        title="article-assistant",
        summary="Questions about one news article, answered with verbatim citations.",
        version="0.1.0",
        docs_url=None,  # served by add_offline_docs, with local assets
        redoc_url=None,
    )
    limit_request_bodies(app, settings)  # inside CORS, so a portal can read the 413
    share_fairly(app, settings)  # likewise the 429; inside the proxy handling, which sets the client address
    protect_the_page(app, settings)  # ASSISTANT_PAGE_AUTH; inside CORS, which answers preflights itself
    protect(app, settings)
    trust_forwarded_headers(app, settings)  # outermost: no code below sees unvetted forwarded headers
    require_api_key = api_key_dependency(settings)
    AskRequest = ask_request_model(settings.max_question_chars)  # noqa: N806 - a class, named as one
    api = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_explain(e, settings.max_question_chars) for e in error.errors())
        errors = jsonable_encoder(
            [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        )
        return _error(request, 422, f"invalid request: {problems}", param=_first_field(error), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(request, error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(AssistantError)
    async def refused(request: Request, error: AssistantError) -> JSONResponse:
        return _error(request, error.http_status, public_message(error))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error while answering", exc_info=error)
        return _error(request, 500, "internal error: the assistant could not answer; try again")

    @api.post(
        "/ask",
        response_model=AskResponse,
        responses={**ERROR_RESPONSES, **UNKNOWN_ARTICLE},
    )
    async def ask(request: AskRequest, connection: Request) -> AskResponse:  # type: ignore[valid-type]
        """Answer a question from the article (`article`, or the default one; `all`: across all of
        them), citing it verbatim (or decline when it does not say); every citation names its article
        in `source`."""
        article = request.article
        if article is None:
            scoped = shelf.scoped()
        else:
            scoped = await anyio.to_thread.run_sync(partial(shelf.scoped, article, across=True))
        gone = partial(client_left, connection)
        answer = await ask_within(scoped.assistant, request.question, request.history, gone=gone)
        return AskResponse.of(scoped.attribute(answer))

    @api.get("/articles", response_model=ArticleList, responses=ERROR_RESPONSES)
    async def articles(
        limit: Annotated[
            int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many articles (1 to {MAX_LIMIT:,}).")
        ] = DEFAULT_LIMIT,
        offset: Annotated[
            int, Query(ge=0, description="Skip this many first: `next_offset` of the page before.")
        ] = 0,
    ) -> ArticleList:
        """The articles questions can be about, a page at a time: the default one first, then the
        library's, by id. Follow `next_offset` until it is null to see them all."""
        listed = await anyio.to_thread.run_sync(shelf.page, offset, limit)
        return ArticleList.of(listed)

    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health, "description": "Degraded: `detail` says what is wrong."}},
    )
    async def healthz() -> Health | JSONResponse:
        """Readiness: 200 `ok`, or 503 `degraded` when the index cannot be searched, the model does not
        answer within ASSISTANT_HEALTH_TIMEOUT, a new index could not be served with its article, or the
        library cannot be read. `library` says how many articles this worker serves and when the
        library last changed, so the workers behind one address can be seen to agree."""
        seconds = settings.health_timeout
        problem, (state, unread) = await asyncio.gather(
            health_problem(assistant, seconds), library_state(shelf, seconds)
        )
        library = LibraryHealth.of(state) if state is not None else None
        problems = [p for p in (problem, unread) if p is not None]
        if not problems:
            return Health(status="ok", article=assistant.article.title, library=library)
        detail = public_message("; ".join(problems))
        degraded = Health(status="degraded", article=assistant.article.title, detail=detail, library=library)
        return JSONResponse(status_code=503, content=degraded.model_dump(mode="json"))

    feedback_route(api, shelf, settings)
    app.include_router(api)
    v1 = openai_router(shelf, require_api_key)
    app.include_router(v1)
    app.add_api_route(
        UNKNOWN_V1_PATH,
        _unknown_v1_route(v1),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
        include_in_schema=False,
        dependencies=[Depends(require_api_key)],
    )
    app.include_router(embed_router(settings))
    add_offline_docs(app)
    app.state.feedback = open_feedback_store(settings)
    if with_ui:
        from assistant.ui.app import mount_ui

        # Last: the UI's catch-all mount at "/" goes after our routes.
        mount_ui(app, assistant, settings, shelf)
    return app
