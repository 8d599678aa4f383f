"""A question and the chat so far as a surface hands them in, made safe to read before any stage does:
control characters and unpaired surrogates dropped, the question bounded, the history cut to its
recent turns, each bounded like a question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.cancellation import Cancel
from assistant.errors import InvalidQuestion
from assistant.schema import Turn

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Question:
    """What the retrieve stage reads: the question, valid, and the recent chat, cleaned; and whether
    its answer is still wanted (``cancel``, checked between the stages' units of work)."""

    text: str
    history: tuple[Turn, ...] = ()
    cancel: Cancel = field(default_factory=Cancel, compare=False, repr=False)
    standalone: str | None = None
    """The follow-up as a model rewrote it to stand alone (``assistant.answer.llm.standalone``), when a
    model is configured: retrieval searches for it instead of borrowing the previous question's words."""


def clean_text(text: str) -> str:
    """Drop control characters and unpaired surrogates that cannot be encoded as UTF-8."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text).strip()


def valid_question(question: object, limit: int) -> str:
    """The question cleaned; ``InvalidQuestion`` when it is not text, is empty, or is over ``limit``."""
    if not isinstance(question, str):
        raise InvalidQuestion("the question must be text")
    cleaned = clean_text(question)
    if not cleaned:
        raise InvalidQuestion.empty()
    if len(cleaned) > limit:
        raise InvalidQuestion.too_long(len(cleaned), limit)
    return cleaned


def recent_turns(history: Sequence[Turn], max_turns: int, limit: int) -> tuple[Turn, ...]:
    """The last ``max_turns`` turns, cleaned and cut to ``limit`` characters, as every answer sees them."""
    if not history or not max_turns:
        return ()
    return tuple(Turn(role=t.role, content=clean_text(t.content)[:limit]) for t in list(history)[-max_turns:])
