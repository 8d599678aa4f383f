"""Turn a question and the chat so far into a standalone search query, without an LLM.

A follow-up ("Where was he born?", "What did the image show?", "And Russia?") leans on the previous
question for its subject, so the previous user turn is added to the query. The question's own words
stay the focus: the answerer weighs them above the borrowed context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.cancellation import Cancel
from assistant.retrieve.text import terms
from assistant.schema import Turn

_REFERRING = re.compile(
    r"\b(he|she|it|they|them|his|her|hers|its|their|theirs|him|this|that|these|those|there|then|"
    r"the same|the former|the latter)\b",
    re.IGNORECASE,
)
# "Explain the second one", "who said the last point?": one of the previous answer's quotes, by its place.
_ORDINAL = re.compile(
    r"\bthe\s+(?P<nth>first|second|third|fourth|last)\s+(?:one|point|quote|sentence|part|claim|statement|"
    r"reason|thing|passage|citation)\b",
    re.IGNORECASE,
)
_NTH = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
# The reader says it is a new subject ("different question, …", "on another note", "changing the
# subject"): whatever words follow, nothing is borrowed.
_NEW_SUBJECT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|and|also|now)\W+)?(?:(?:a|an|one)\s+)?(?:different|new|another|separate|"
    r"unrelated|other)\s+(?:question|topic|subject|thing)\b|"
    r"^\W*(?:(?:ok(?:ay)?|so)\W+)?(?:changing|to change|switching)\s+(?:the\s+)?(?:subject|topic|gears)\b|"
    r"^\W*(?:(?:ok(?:ay)?|so)\W+)?on\s+(?:a\s+|an\s+)?(?:another|other|different|unrelated|separate)\s+"
    r"(?:note|topic|subject)\b|^\W*unrelated\b",
    re.IGNORECASE,
)
_ELLIPTICAL_START = re.compile(r"^\s*(and|but|so|also|what about|how about|why|how come)\b", re.I)
# English verbs and nouns that carry no topic of their own in a question (no article's words).
GENERIC_TERMS = frozenset(
    terms(
        "article author writer piece text story say said says tell told mention mentioned show shows "
        "shown describe described explain explained mean means happen happened think thinks report "
        "reported according claim claimed write wrote written state stated give given call called "
        "do does did make made happen current currently latest "
        # words that say what kind of answer is wanted, not what it is about
        "date day year years time name number kind type sort way exactly precise exact "
        # a chat's fillers ("from where tho", "ok and who gains", "btw what is …"): about nothing
        "tho though btw anyway ok okay please actually really"
    )
)


_QUESTION_WORD = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+)?(?:(?:from|in|to|at|for|by|with|on|since|until)\s+)?"
    r"(?:who|whom|whose|what|when|where|why|which|how)\b",
    re.I,
)
_QUESTION_OPENING = re.compile(
    r"^\s*(?:(?:who|whom|whose|what|when|where|why|which|how)(?:\s+(?:many|much|long|often|far|old))?)"
    r"(?:\s+(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could))?\s+",
    re.I,
)


def _without_question_word(question: str) -> str:
    """ "Who fired the missiles?" → "fired the missiles?": the borrowed topic, without asking it again
    ("Why?" after it asks why they were fired, not who fired them)."""
    return _QUESTION_OPENING.sub("", question, count=1)


@dataclass(frozen=True)
class QueryTuning:
    """The query stage's numbers, in one place so they can be swept and refitted.

    Provenance: set by hand in session 6 (commit 6e7bfc6); not fitted by any script yet, and no
    held-out score has been measured for them on their own (only the whole golden set's).
    """

    borrowed_weight: float = 0.5
    """A word borrowed from the previous question weighs this much of one of the question's own."""
    max_topical_terms_of_follow_up: int = 1
    """A question with at most this many topical words ("Where was he born?") leans on an earlier turn."""
    answer_names: int = 0
    """A follow-up's search also names this many of the names the previous answer quoted (the
    previous answer's "he", "it", "the other one"), newest first; 0: the previous question only."""


QUERY_TUNING = QueryTuning()


_NAME_RUN = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*|of|al|az|el|de|bin)){1,5}\b(?<![a-z] )")


@dataclass(frozen=True)
class Query:
    """The question's topical terms with their weights (borrowed context weighs less)."""

    question: str
    search_text: str
    weights: dict[str, float]
    own_weights: dict[str, float]
    previous_answer: str = ""
    cancel: Cancel = field(default_factory=Cancel, compare=False, repr=False)
    """The question's: whether its answer is still wanted (``assistant.cancellation``)."""
    rewritten: bool = False
    """``search_text`` is the follow-up as a model rewrote it to stand alone."""
    borrows: bool = False
    """``search_text`` borrows from the chat: the previous question, or a quote of the previous answer."""

    @property
    def is_follow_up(self) -> bool:
        return self.rewritten or self.borrows


def name_weights(text: str) -> dict[str, float]:
    """A multi-word name ("Deir Az Zor") is one concept: its words share one term's weight."""
    weights: dict[str, float] = {}
    for match in _NAME_RUN.finditer(text):
        parts = terms(match.group(0))
        for part in parts:
            weights[part] = min(weights.get(part, 1.0), 1.0 / len(parts))
    return weights


def weighted_terms(text: str, scale: float = 1.0) -> dict[str, float]:
    names = name_weights(text)
    return {t: scale * names.get(t, 1.0) for t in terms(text) if t not in GENERIC_TERMS}


def topical_terms(text: str) -> list[str]:
    return [t for t in terms(text) if t not in GENERIC_TERMS]


def leans_on_context(question: str, tuning: QueryTuning = QUERY_TUNING) -> bool:
    """Does the question need an earlier turn to know what it is about? Not when the reader says it
    is a new subject, however it is worded after that."""
    if _NEW_SUBJECT.match(question):
        return False
    few_words = len(topical_terms(question)) <= tuning.max_topical_terms_of_follow_up
    return bool(
        _REFERRING.search(question)
        or _ORDINAL.search(question)
        or _ELLIPTICAL_START.match(question)
        or (few_words and not names_something(question))
    )


# A capitalised word after the first ("What happened in Raqqa?") or a year-like number ("in 2003").
_NAME_AFTER_FIRST_WORD = re.compile(r"^\s*\S+.*?\s(?!I\b)[A-Z][\w’'-]*")
_SPECIFIC_NUMBER = re.compile(r"\b\d{3,}\b")


def names_something(question: str) -> bool:
    """Does the question name its subject: a capitalised word other than its first ("I" aside), or a
    number of three digits or more?"""
    return bool(_NAME_AFTER_FIRST_WORD.match(question) or _SPECIFIC_NUMBER.search(question))


def _never(_: str) -> bool:
    return False


_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"")


def quoted_by_place(question: str, answer: str) -> str | None:
    """The previous answer's quote a question points at by its place ("the second one"), if it has one."""
    match = _ORDINAL.search(question)
    if match is None:
        return None
    quotes = [a or b for a, b in _QUOTED.findall(answer)]
    nth = _NTH[match.group("nth").lower()]
    return quotes[nth] if -len(quotes) <= nth < len(quotes) else None


def quoted_names(answer: str, limit: int) -> list[str]:
    """The multi-word names inside the quotes of an answer (its cited sentences' entities), each once,
    the last quoted first: what "he", "they" or "the other one" of a follow-up most likely means."""
    if limit <= 0:
        return []
    quotes = [a or b for a, b in _QUOTED.findall(answer)]
    names = [m.group(0) for quote in reversed(quotes) for m in _NAME_RUN.finditer(quote)]
    return list(dict.fromkeys(names))[:limit]


def standalone_query(
    question: str,
    history: Sequence[Turn],
    tuning: QueryTuning = QUERY_TUNING,
    stands_alone: Callable[[str], bool] = _never,
) -> Query:
    """The question alone, or, for a follow-up, with the previous user turn as weaker context (or the
    previous answer's quote it points at by place: "explain the second one").

    ``stands_alone`` names questions that never need an earlier turn however short they are ("Who is
    the author?", "What is this article about?"): the answerer knows which ones it answers so."""
    own = weighted_terms(question)
    previous = [turn.content for turn in history if turn.role == "user" and turn.content.strip()]
    if not previous or stands_alone(question) or not leans_on_context(question, tuning):
        return Query(question, question, own, own)
    answers = [turn.content for turn in history if turn.role == "assistant"]
    answer = answers[-1] if answers else ""
    pointed = quoted_by_place(question, answer)
    if pointed is not None:
        context = pointed
    else:
        context = _without_question_word(previous[-1]) if _QUESTION_WORD.match(question) else previous[-1]
        named = [n for n in quoted_names(answer, tuning.answer_names) if n.lower() not in context.lower()]
        context = " ".join([context, *named])
    borrowed = {t: w for t, w in weighted_terms(context, tuning.borrowed_weight).items() if t not in own}
    return Query(question, f"{context} {question}", own | borrowed, own, answer, borrows=True)


def rewritten_query(question: str, standalone: str, history: Sequence[Turn]) -> Query:
    """A follow-up a model rewrote to stand alone: searched for as written, its words all its own (the
    reader's question stays what the answerer reads for the kind of answer asked)."""
    answers = [turn.content for turn in history if turn.role == "assistant"]
    own = weighted_terms(standalone)
    return Query(question, standalone, own, own, answers[-1] if answers else "", rewritten=True)
