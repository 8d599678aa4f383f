"""The one detail a typed question pins down — a count *of something*, a duration, an age, a year,
the date *of an event* — and whether a sentence states it.

The entity labels (``Intent.fits``) only tell whether a sentence holds *some* number or date: "how
many Russian troops are in Syria?" is answered by "one member of its combat team", "how long did the
attacks go on?" by "on June 6th", "when was the group founded?" by a dated sentence about something
else. A careful reader checks the detail itself: a count next to the thing counted, a span of time,
an age, a year, the event whose date is asked (a calendar date when "the exact date" is). English
wording only, no article's words; the decline model weighs the result (``detail_missing``), it never
declines alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
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
# "Two weeks ago", "a day later" date a moment: a span of time says how long.
_DURATION = re.compile(
    rf"\b(?:{_NUMBER}|a|an|several|few|many|some)[\s-]+(?:\w+[\s-]+)?{_UNITS}\b"
    rf"(?!\s+(?:ago|earlier|later|prior)\b)|\bfor {_UNITS}\b|"
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
# "When did … ?", "on what date …": the date of an event, named by the question's own words.
_WHEN = re.compile(
    r"^\s*(?:and\s+|so\s+)?when\b|\b(?:what|which)\s+(?:exact\s+)?(?:date|day)\b", re.IGNORECASE
)
# The wording of asking for a time, not of the event asked about; and the piece's own publication,
# which its dateline states without naming it ("on which date did <site> publish the article?").
# "What is the exact date …?", "on what date …": a calendar date, which "last month" or "this week" is not.
_ASKS_CALENDAR_DATE = re.compile(
    r"\b(?:what|which)(?:'s|’s|s| is| was)?\s+(?:the\s+)?(?:exact\s+|precise\s+|specific\s+)?date\b|"
    r"\b(?:exact|precise|specific)\s+date\b",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_CALENDAR_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?!\w)|"
    r"\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b",
    re.IGNORECASE,
)
_TIME_WORDS = frozenset(
    terms(
        "when what whats date day exact exactly precise specific first last time year month happen happened "
        "take took place "
        "publish published post posted write wrote written article piece"
    )
)
_NAME = re.compile(r"(?<!^)\b[A-Z][\w'’-]*")


class DetailKind(StrEnum):
    COUNT = "count"
    DURATION = "duration"
    AGE = "age"
    YEAR = "year"
    EVENT_DATE = "event_date"


@dataclass(frozen=True)
class AskedDetail:
    """What a sentence must state to answer the question; ``counted``: the stem of what is counted;
    ``event``: the stems naming the event whose date is asked (one must be there)."""

    kind: DetailKind
    counted: str | None = None
    event: tuple[str, ...] = ()
    calendar: bool = False
    """An event's date asked as a date ("the exact date"): only a calendar date states it."""

    def stated_in(self, text: str) -> bool:
        if self.kind is DetailKind.AGE:
            return bool(_AGE.search(text))
        if self.kind is DetailKind.DURATION:
            return bool(_DURATION.search(text))
        if self.kind is DetailKind.YEAR:
            return bool(_YEAR.search(text))
        if self.kind is DetailKind.EVENT_DATE:
            if self.calendar and not _CALENDAR_DATE.search(text):
                return False
            present = terms(text)
            return not self.event or any(stem_found(word, present) for word in self.event)
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


def _event(question: str, proper_terms: Collection[str]) -> tuple[str, ...]:
    """The words naming the event a "when" question dates: its own content words, less the wording
    of asking for a time and less names (the names are checked by ``names_not_near``)."""
    names = {stem for name in _NAME.findall(question) for stem in terms(name)}
    return tuple(
        dict.fromkeys(
            word
            for word in terms(question)
            if word not in _TIME_WORDS and word not in names and word not in proper_terms
        )
    )


def asked_detail(question: str, proper_terms: Collection[str] = frozenset()) -> AskedDetail | None:
    """The detail the question pins down, if it is one of the kinds checked here; ``proper_terms``:
    the stems the article writes as names (a reader types "iran" in lower case)."""
    if _HOW_OLD.search(question):
        return AskedDetail(DetailKind.AGE)
    if _HOW_LONG.search(question):
        return AskedDetail(DetailKind.DURATION)
    if _WHAT_YEAR.search(question):
        return AskedDetail(DetailKind.YEAR)
    counted = _counted_thing(question)
    if counted:
        return AskedDetail(DetailKind.COUNT, counted)
    calendar = bool(_ASKS_CALENDAR_DATE.search(question))
    event = _event(question, proper_terms) if calendar or _WHEN.search(question) else ()
    return AskedDetail(DetailKind.EVENT_DATE, event=event, calendar=calendar) if event or calendar else None
