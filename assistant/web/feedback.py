"""``POST /api/feedback``: a reader's 👍/👎 on an answer, stored by ``assistant.feedback`` (thin)."""

# No postponed annotations here: FastAPI must see the request class built for each app.
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import FeedbackDisabled, FeedbackRateLimited
from assistant.feedback.model import MAX_ANSWER_CHARS, MAX_CITATIONS, Feedback
from assistant.pipeline import Assistant
from assistant.schema import Citation, ErrorResponse
from assistant.settings import Settings


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
            description="The answer's citations as returned: each must be a verbatim span of the article.",
        )

    return FeedbackRequest


REFUSALS: dict[int | str, dict] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing or invalid API key (when ASSISTANT_API_KEYS is set).",
        403: "Feedback is switched off (ASSISTANT_FEEDBACK_ENABLED=false); nothing is stored.",
        422: "Invalid rating: a field too long, or a citation that is not verbatim from the article.",
        429: "Too many ratings from this client this minute; `Retry-After` says when to try again.",
        500: "Unexpected error.",
        503: "The feedback database cannot be written.",
    }.items()
}


def feedback_route(api: APIRouter, assistant: Assistant, settings: Settings) -> None:
    """Adds ``POST /feedback`` to ``api``; the store is ``app.state.feedback`` (None when disabled)."""
    FeedbackRequest = feedback_request_model(settings)  # noqa: N806 - a class, named as one

    @api.post("/feedback", status_code=201, response_model=FeedbackReceipt, responses=REFUSALS)
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackReceipt:  # type: ignore[valid-type]
        """Rate an answer 👍 (`up`) or 👎 (`down`), optionally with a note; stored with the question,
        the answer, its citations and the article, never with the client's address."""
        store = request.app.state.feedback
        if store is None:
            raise FeedbackDisabled()
        rating = Feedback(**body.model_dump(), surface="api")  # type: ignore[attr-defined]
        client = request.client.host if request.client else "unknown"
        try:
            row_id = store.record(rating, assistant.article, client)
        except FeedbackRateLimited as error:
            raise StarletteHTTPException(429, str(error), {"Retry-After": str(error.retry_after)}) from None
        return FeedbackReceipt(id=row_id)
