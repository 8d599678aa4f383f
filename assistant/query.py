"""Turn a question and the chat so far into a standalone search query, without an LLM.

A follow-up ("Where was he born?", "What did the image show?", "And Russia?") leans on the previous
question for its subject, so the previous user turn is added to the query. The question's own words
stay the focus: the answerer weighs them above the borrowed context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.schema import Turn
from assistant.terms import terms

_REFERRING = re.compile(
    r"\b(he|she|it|they|them|his|her|hers|its|their|theirs|him|this|that|these|those|there|then|"
    r"the same|the former|the latter)\b",
    re.IGNORECASE,
)
_ELLIPTICAL_START = re.compile(r"^\s*(and|but|so|also|what about|how about|why|how come)\b", re.I)
# Verbs and nouns that carry no topic of their own in a question.
GENERIC_TERMS = frozenset(
    terms(
        "article author writer piece text story say said says tell told mention mentioned show shows "
        "shown describe described explain explained mean means happen happened think thinks report "
        "reported according claim claimed write wrote written state stated give given call called "
        "do does did make made happen"
    )
)


@dataclass(frozen=True)
class Query:
    """The question's own terms (the focus) and the words borrowed from the conversation."""

    question: str
    search_text: str
    focus_terms: tuple[str, ...]
    context_terms: tuple[str, ...]

    @property
    def is_follow_up(self) -> bool:
        return bool(self.context_terms)


def topical_terms(text: str) -> list[str]:
    return [t for t in terms(text) if t not in GENERIC_TERMS]


def leans_on_context(question: str) -> bool:
    """Does the question need an earlier turn to know what it is about?"""
    return bool(
        _REFERRING.search(question)
        or _ELLIPTICAL_START.match(question)
        or len(topical_terms(question)) <= 1
    )


def standalone_query(question: str, history: Sequence[Turn]) -> Query:
    focus = tuple(terms(question))
    previous = [turn.content for turn in history if turn.role == "user" and turn.content.strip()]
    if not previous or not leans_on_context(question):
        return Query(question, question, focus, ())
    context = previous[-1]
    borrowed = tuple(t for t in terms(context) if t not in focus)
    return Query(question, f"{context} {question}", focus, borrowed)
