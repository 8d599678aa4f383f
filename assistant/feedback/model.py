"""What a reader's rating of one answer is: plain data, checked against the article it rates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from assistant.article import Article
from assistant.errors import InvalidFeedback
from assistant.feedback.citations import known_citations
from assistant.schema import Citation

# An answer quotes at most a few sentences (ASSISTANT_MAX_CITATIONS ≤ 5); room to spare, never a dump.
MAX_CITATIONS = 10
# Answers are a few sentences plus their quotes; a rated "answer" longer than this is not one of ours.
MAX_ANSWER_CHARS = 20_000


class Feedback(BaseModel):
    """👍 or 👎 on one answer, with the question, the answer and its citations as the reader saw them."""

    rating: Literal["up", "down"]
    note: str = ""
    question: str
    answer: str
    citations: list[Citation] = []
    surface: Literal["chat", "api"] = "api"


def check_feedback(
    feedback: Feedback,
    article: Article,
    max_note_chars: int,
    max_question_chars: int,
    cited: Sequence[Article] | None = None,
) -> list[Citation]:
    """Refuse what was not an answer from this article: over-long text or a citation that is not a
    verbatim span of one of its sentences; the citations as the server knows them (``known_citations``).

    ``cited``: the article each citation quotes, in order (an answer across articles quotes several;
    default: ``article`` for all). The HTTP schema states the same limits; this holds them for every
    surface (the chat calls the store directly).
    """
    limits = (
        ("note", feedback.note, max_note_chars, "ASSISTANT_FEEDBACK_MAX_NOTE_CHARS"),
        ("question", feedback.question, max_question_chars, "ASSISTANT_MAX_QUESTION_CHARS"),
        ("answer", feedback.answer, MAX_ANSWER_CHARS, None),
    )
    for name, text, limit, setting in limits:
        if len(text) > limit:
            where = f" ({setting})" if setting else ""
            msg = f"the {name} is {len(text):,} characters long; the limit{where} is {limit:,}: shorten it"
            raise InvalidFeedback(msg)
        if not _is_unicode_text(text):
            raise InvalidFeedback(f"the {name} is not valid Unicode text (it holds a lone surrogate)")
    if len(feedback.citations) > MAX_CITATIONS:
        msg = f"{len(feedback.citations)} citations sent; an answer has at most {MAX_CITATIONS}"
        raise InvalidFeedback(msg)
    quoted = cited if cited is not None else [article] * len(feedback.citations)
    return known_citations(feedback.citations, quoted)


def _is_unicode_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class FeedbackEntry(BaseModel):
    """One stored rating as ``assistant feedback export`` writes it: never who sent it."""

    id: int
    created_at: str
    rating: Literal["up", "down"]
    note: str
    question: str
    answer: str
    citations: list[Citation]
    article_sha256: str
    article_title: str
    surface: Literal["chat", "api"]
