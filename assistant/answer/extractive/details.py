"""The one detail a typed question pins down — a count *of something*, a duration, an age, a year —
and whether a sentence states it.

The entity labels (``Intent.fits``) only tell whether a sentence holds *some* number or date: "how
many Russian troops are in Syria?" is answered by "one member of its combat team", "how long did the
attacks go on?" by "on June 6th". A careful reader checks the detail itself: a count next to the
thing counted, a span of time, an age, a year. English wording only, no article's words; the
decline model weighs the result (``detail_missing``), it never declines alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from assistant.retrieve.text import stem_found, terms

_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    r"ninety|hundreds?|thousands?|millions?|billions?|dozens?|single|couple|pair)"
)
_COUNT_WORD = re.compile(rf"{_NUMBER}", re.IGNORECASE)
_UNITS = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centur(?:y|ies))"

COUNT_WINDOW = 6
"""Words between a number and the thing it counts ("21 diverse combinatorial and graph problems")."""

# "How many (of the) <thing> …": the words up to the verb; the thing is the last of them.
_HOW_MANY = re.compile(
    r"\bhow many\s+(?:of\s+(?:the|its|their|his|her|these|those|[\w'’]+)\s+)?(?P<rest>.*)", re.IGNORECASE
)
_PHRASE_ENDS = frozenset(
    "did do does are were is was has have had will would can could got get gets of the a an in on at "
    "to for by from that this there so far exactly actually really".split()
)
# "How long before the strike …" asks for a gap between two dated events, which dates answer.
_HOW_LONG = re.compile(r"\bhow long\b(?!\s+(?:before|after|ago|since|has it been))", re.IGNORECASE)
_DURATION = re.compile(
    rf"\b(?:{_NUMBER}|a|an|several|few|many|some)[\s-]+(?:\w+[\s-]+)?{_UNITS}\b|\bfor {_UNITS}\b|"
    r"\b(?:since|until|till)\b",
    re.IGNORECASE,
)
_HOW_OLD = re.compile(r"\bhow old\b", re.IGNORECASE)
_AGE = re.compile(
    rf"\b{_NUMBER}[\s-]+years?[\s-]+old\b|\baged?\s+\d|\bage of\b|\bborn (?:in|on)\b", re.IGNORECASE
)
_WHAT_YEAR = re.compile(r"\b(?:what|which)(?:'s|’s| is| was)?\s+(?:the\s+)?year\b", re.IGNORECASE)
_YEAR = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:last|this|next|that|the same|the following|the previous) year\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[\w'’-]+|[,;:?!.]")


class DetailKind(StrEnum):
    COUNT = "count"
    DURATION = "duration"
    AGE = "age"
    YEAR = "year"


@dataclass(frozen=True)
class AskedDetail:
    """What a sentence must state to answer the question; ``counted``: the stem of what is counted."""

    kind: DetailKind
    counted: str | None = None

    def stated_in(self, text: str) -> bool:
        if self.kind is DetailKind.AGE:
            return bool(_AGE.search(text))
        if self.kind is DetailKind.DURATION:
            return bool(_DURATION.search(text))
        if self.kind is DetailKind.YEAR:
            return bool(_YEAR.search(text))
        return self.counted is not None and _counts(text, self.counted)


def _counts(text: str, counted: str) -> bool:
    """Is a number within ``COUNT_WINDOW`` words of the thing counted ("killed 13 people")?"""
    tokens = [token.lower() for token in _TOKEN.findall(text)]
    numbers = [i for i, token in enumerate(tokens) if _COUNT_WORD.fullmatch(token)]
    if not numbers:
        return False
    things = [i for i, token in enumerate(tokens) if any(stem_found(counted, (s,)) for s in terms(token))]
    return any(abs(n - t) <= COUNT_WINDOW for n in numbers for t in things)


def _counted_thing(question: str) -> str | None:
    """The thing a "how many" question counts: the last word of the phrase after it ("how many Russian
    troops are …" → troop), skipping adverbs and conjunctions; None when the phrase is empty
    ("and how many were injured?")."""
    match = _HOW_MANY.search(question)
    if match is None:
        return None
    thing = None
    for token in _TOKEN.findall(match.group("rest")):
        word = token.lower()
        if word in _PHRASE_ENDS or not word[0].isalnum() or (word.endswith("ed") and thing is not None):
            break
        if word.endswith("ly") or word in {"and", "or"}:
            continue
        thing = word
    found = terms(thing) if thing else []
    return found[0] if found else None


def asked_detail(question: str) -> AskedDetail | None:
    """The detail the question pins down, if it is one of the kinds checked here."""
    if _HOW_OLD.search(question):
        return AskedDetail(DetailKind.AGE)
    if _HOW_LONG.search(question):
        return AskedDetail(DetailKind.DURATION)
    if _WHAT_YEAR.search(question):
        return AskedDetail(DetailKind.YEAR)
    counted = _counted_thing(question)
    return AskedDetail(DetailKind.COUNT, counted) if counted else None
