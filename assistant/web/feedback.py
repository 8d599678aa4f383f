"""``POST /api/feedback``: a reader's 👍/👎 on an answer, stored by ``assistant.feedback`` (thin).

An answer may come from any article the shelf serves: each citation is checked against the article its
``source`` names, and the rating is stored with the article asked about (``article``, as sent to
``POST /api/ask``), else the one the citations quote, else the default article, so a client from
before the library (no ``source``, no ``article``) is checked against the default article as before.
Of each citation only its article and characters are taken: the rest is stored as the server has it
(``assistant.feedback.citations``).
"""

# No postponed annotations here: FastAPI must see the request class built for each app.
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.article import Article
from assistant.errors import FeedbackDisabled, FeedbackRateLimited
from assistant.feedback.model import MAX_ANSWER_CHARS, MAX_CITATIONS, Feedback
from assistant.library.errors import UnknownArticle
from assistant.library.shelf import ALL, Shelf
from assistant.library.slugs import ID_PATTERN, is_id
from assistant.schema import Citation, ErrorResponse
from assistant.settings import Settings

# How much of an unknown id a 404 repeats.
ID_IN_MESSAGES = 80


class FeedbackReceipt(BaseModel):
    id: int = Field(description="The stored rating's number (as `assistant feedback export` lists it).")


def feedback_request_model(settings: Settings) -> type[BaseModel]:
    """The request body, its limits taken from the settings so the OpenAPI schema states them exactly."""

    class FeedbackRequest(BaseModel):
        """A rating of one answer from `POST /api/ask`, sent back with the question and citations."""

        rating: Literal["up", "down"]
        note: str = Field(
            "",
            max_length=settings.feedback_max_note_chars,
            description="Optional words from the reader, at most ASSISTANT_FEEDBACK_MAX_NOTE_CHARS.",
        )
        question: str = Field(min_length=1, max_length=settings.max_question_chars)
        answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS, description="The answer rated.")
        citations: list[Citation] = Field(
            default_factory=list,
            max_length=MAX_CITATIONS,
            description="The answer's citations as returned: each must be a verbatim span of one sentence "
            "of the article its `source` names (no `source`: of `article`, or the default article); their "
            "speaker, section and title are stored as the server has them.",
        )
        article: str | None = Field(
            None,
            max_length=80,
            pattern=f"^{ID_PATTERN.pattern}$",
            description="The `article` the question was sent with to `POST /api/ask`; left out (or `all`), "
            "the article the citations quote, else the default article.",
        )

    return FeedbackRequest


REFUSALS: dict[int | str, dict] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing or invalid API key (when ASSISTANT_API_KEYS is set).",
        403: "Feedback is switched off (ASSISTANT_FEEDBACK_ENABLED=false); nothing is stored.",
        404: "No article with the id in `article` or in a citation's `source`.",
        422: "Invalid rating: a field too long, or a citation that is not verbatim from the article.",
        429: "Too many ratings from this client this minute; `Retry-After` says when to try again.",
        500: "Unexpected error.",
        503: "The feedback database cannot be written, or is full (ASSISTANT_FEEDBACK_MAX_DB_BYTES).",
    }.items()
}


def feedback_route(api: APIRouter, shelf: Shelf, settings: Settings) -> None:
    """Adds ``POST /feedback`` to ``api``; the store is ``app.state.feedback`` (None when disabled)."""
    FeedbackRequest = feedback_request_model(settings)  # noqa: N806 - a class, named as one

    @api.post("/feedback", status_code=201, response_model=FeedbackReceipt, responses=REFUSALS)
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackReceipt:  # type: ignore[valid-type]
        """Rate an answer 👍 (`up`) or 👎 (`down`), optionally with a note; stored with the question,
        the answer, its citations and the article, never with the client's address."""
        store = request.app.state.feedback
        if store is None:
            raise FeedbackDisabled()
        fields = body.model_dump(exclude={"article"})  # type: ignore[attr-defined]
        rating = Feedback(**fields, surface="api")
        asked = body.article  # type: ignore[attr-defined]
        cited = [_article(shelf, c.source.id if c.source else asked) for c in rating.citations]
        if asked is not None and asked != ALL:
            rated = _article(shelf, asked)
        else:
            rated = cited[0] if cited else _article(shelf, None)
        client = request.client.host if request.client else "unknown"
        try:
            row_id = store.record(rating, rated, client, cited)
        except FeedbackRateLimited as error:
            raise StarletteHTTPException(429, str(error), {"Retry-After": str(error.retry_after)}) from None
        return FeedbackReceipt(id=row_id)


def _article(shelf: Shelf, article_id: str | None) -> Article:
    """The served text of the article with this id (None or ``all``: the default); 404 if none."""
    if article_id is None or article_id == ALL:
        return shelf.default.article
    if not is_id(article_id):
        raise UnknownArticle.not_served(article_id[:ID_IN_MESSAGES], shelf.ids())
    return shelf.scoped(article_id).assistant.article
