"""Candidate questions written from one article's sentences with English templates, each with the
sentences its answer must cite to count."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.article import Article, Sentence, Voice
from assistant.suggestions.names import (
    ACRONYM,
    MONTHS,
    WEEKDAYS,
    article_names,
    looks_like_person,
    speaker_name,
)

OVERVIEW_QUESTION = "What is this article about?"
SUMMARY_QUESTION = "Summarize the article in 3 points"
CONCLUSION_QUESTION = "What does the author conclude?"
AUTHOR_QUESTION = "Who wrote this article?"
DATE_QUESTION = "When was this article published?"

_DATE = re.compile(
    rf"\b(?:(?:{WEEKDAYS}),?\s+)?(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})(?:\s+\d{{4}})?|(?:{MONTHS})\s+\d{{4}})\b"
)
_DAY = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\b(?!,?\s*\d{3})|\b\d{1,2}(?:st|nd|rd|th)?,")
_YEAR = re.compile(r"\bin (\d{4})\b")  # a year; a candidate that is no year is asked and dropped
_NUMBER = (
    r"(?:\d[\d,.]*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens|hundreds|thousands)"
)
_PLURAL = r"(?:[a-z]{3,}s|people|men|women|children)"
# "killed 13 people": a past participle, then what it counted → "How many people were killed?"
_COUNTED = re.compile(
    rf"\b(?P<verb>[a-z]{{3,}}ed)\s+(?:about\s+|some\s+|over\s+|nearly\s+)?{_NUMBER}\s+(?P<noun>{_PLURAL})\b"
)
# "40,000 people visit it each year" → "How many people visit it each year?"
_COUNT_DOES = re.compile(
    rf"\b{_NUMBER}\s+(?P<noun>{_PLURAL})\s+(?P<rest>(?P<verb>[a-z]+)(?:\s+[a-z]+){{0,4}})(?=[.,;:!?]|$)"
)
_COMMON_VERBS = frozenset(
    """visit visited live lived work worked die died attend attended use used sleep slept vote voted travel
    travelled traveled come came go went take took make made buy bought sell sold watch watched join
    joined own owned hold held have had need needed want wanted receive received get got lose lost
    spend spent pay paid earn earned remain remained""".split()
)
_NOT_COUNTED = frozenset(
    {"others", "ones", "times", "years", "days", "months", "weeks", "hours", "minutes", "points"}
)
# Function words a capitalised sentence opener may be; never part of a name.
_ARTICLE_BEFORE = re.compile(r"\b(?:an?|the)\s+$", re.I)
MAX_SPEAKER_CHARS = 40
PER_SOURCE = 2
"""Candidates written from one sentence at most: a pool spread over the article."""


@dataclass(frozen=True)
class Candidate:
    question: str
    kind: str
    source: int | None
    accepts: frozenset[int] | None
    """The answer must cite one of these positions (None: being answered is enough)."""
    priority: float


class _Writer:
    """Writes candidate questions from one article's sentences, with the sentences each must cite."""

    def __init__(self, article: Article, sentences: Sequence[Sentence], keys: Sequence[int]) -> None:
        self.article = article
        self.sentences = sentences
        self.body = [s for s in sentences if s.voice in (Voice.AUTHOR, Voice.QUOTE)]
        self.key_rank = {p: r for r, p in enumerate(keys)}
        self.specific = max(3, len(self.body) // 15)
        """A name mentioned in more sentences than this is the article's subject, not a detail."""
        self.names = article_names(self.body)
        self.found: list[Candidate] = []

    def centrality(self, position: int) -> float:
        """0 for the article's key sentence, towards 1 for sentences that carry little of it."""
        return self.key_rank.get(position, len(self.sentences)) / max(1, len(self.sentences))

    def add(self, question: str, kind: str, source: int, accepts: Iterable[int], base: float) -> None:
        self.found.append(
            Candidate(question, kind, source, frozenset(accepts), base + self.centrality(source))
        )

    def whole(self) -> list[Candidate]:
        """Questions about the whole article, asked in the order offered."""
        whole: list[Candidate] = []
        if self.article.author:
            whole.append(Candidate(AUTHOR_QUESTION, "about", None, None, 0.0))
        if self.key_rank:
            whole.append(Candidate(SUMMARY_QUESTION, "overview", None, None, 0.1))
        if self.article.dates:
            whole.append(Candidate(DATE_QUESTION, "about", None, None, 0.2))
        if any(s.voice is Voice.AUTHOR for s in self.sentences):
            whole.append(Candidate(CONCLUSION_QUESTION, "conclusion", None, None, 0.3))
        return whole

    def speakers(self) -> None:
        """ "What did <speaker> say?", and "… say about <name>?" for a speaker quoted at length."""
        quoted: dict[str, list[Sentence]] = {}
        for sentence in self.body:
            if sentence.voice is Voice.QUOTE and sentence.speaker and sentence.speaker != self.article.author:
                quoted.setdefault(sentence.speaker, []).append(sentence)
        for speaker, said in quoted.items():
            if len(speaker) > MAX_SPEAKER_CHARS:
                continue
            who = speaker_name(speaker)
            best = min(said, key=lambda s: self.centrality(s.position))
            self.add(f"What did {who} say?", "speaker", best.position, (s.position for s in said), 0.0)
            if len(said) < 3:
                continue
            for name, entry in self.names.items():
                where = [s.position for s in said if s.position in entry.mentions]
                if where and name not in speaker and len(entry.mentions) <= self.specific:
                    self.add(f"What did {who} say about {entry.shown}?", "speaker", where[0], where, 0.3)

    def facts(self) -> None:
        """ "How many <things> were <done>?" and "What happened on <date>?" from the wording."""
        for sentence in self.body:
            position, text = sentence.position, sentence.text
            for match in _COUNTED.finditer(text):
                adjectival = _ARTICLE_BEFORE.search(text[: match.start()])  # "an estimated 3 farms"
                if match["noun"] not in _NOT_COUNTED and not adjectival:
                    self.add(
                        f"How many {match['noun']} were {match['verb']}?", "number", position, [position], 0.1
                    )
            for match in _COUNT_DOES.finditer(text):
                if match["noun"] not in _NOT_COUNTED and match["verb"] in _COMMON_VERBS:
                    self.add(
                        f"How many {match['noun']} {match['rest']}?", "number", position, [position], 0.1
                    )
            for date in _DATE.findall(text):
                on = "on" if _DAY.search(date) else "in"
                self.add(f"What happened {on} {date}?", "date", position, [position], 0.3)
            for year in _YEAR.findall(text):
                self.add(f"What happened in {year}?", "date", position, [position], 0.35)

    def named(self) -> None:
        """ "Who is <person>?", "What happened in <place>?", "What do we learn about <name>?" for
        names the article mentions a few times (more is its subject: an overview question)."""
        common = {w for s in self.body for w in re.findall(r"\b[a-z]+\b", s.text)}
        for name, entry in self.names.items():
            if len(entry.mentions) > self.specific:
                continue
            source = min(entry.mentions, key=self.centrality)
            labels = entry.labels or frozenset()
            if looks_like_person(name, entry, common):
                self.add(f"Who is {name}?", "person", source, entry.mentions, 0.1)
            elif labels & {"GPE", "LOC", "FAC"} and entry.locative and not ACRONYM.match(name):
                self.add(f"What happened in {entry.shown}?", "place", source, entry.mentions, 0.3)
            elif len(entry.mentions) > 1:
                # Said once, with no kind to ask by, a capitalised phrase is often a fragment of a
                # title ("Ensuring Air Safety"): only names the article comes back to are asked about.
                self.add(f"What do we learn about {entry.shown}?", "topic", source, entry.mentions, 0.6)


def candidates(article: Article, sentences: Sequence[Sentence], keys: Sequence[int]) -> list[Candidate]:
    """Questions a reader might ask, each with the sentences its answer must cite to count, in the
    order they are validated: questions about the whole article, then each section's best in turn
    (so the bound on validation never leaves a section out)."""
    writer = _Writer(article, sentences, keys)
    writer.speakers()
    writer.facts()
    writer.named()
    return writer.whole() + _interleaved(writer.found, sentences)


def _spread(items: Sequence[Candidate], group: Callable[[Candidate], object]) -> list[Candidate]:
    """The items in turns, one of each group per turn, each group keeping its own order."""
    queues: dict[object, list[Candidate]] = {}
    for item in items:
        queues.setdefault(group(item), []).append(item)
    ordered: list[Candidate] = []
    for turn in range(max((len(q) for q in queues.values()), default=0)):
        ordered.extend(q[turn] for q in queues.values() if turn < len(q))
    return ordered


def _interleaved(found: list[Candidate], sentences: Sequence[Sentence]) -> list[Candidate]:
    """Best first within each section, kinds taking turns (at most ``PER_SOURCE`` from one sentence),
    and the sections taking turns in article order."""
    per_source: dict[int | None, int] = {}
    kept: list[Candidate] = []
    for candidate in sorted(found, key=lambda c: (c.source or 0, c.priority, c.question)):
        if per_source.get(candidate.source, 0) < PER_SOURCE:
            per_source[candidate.source] = per_source.get(candidate.source, 0) + 1
            kept.append(candidate)
    kept.sort(key=lambda c: (c.priority, c.source or 0, c.question))

    def section(c: Candidate) -> str | None:
        return sentences[c.source].section if c.source is not None else None

    by_section: dict[str | None, list[Candidate]] = {}
    for candidate in kept:
        by_section.setdefault(section(candidate), []).append(candidate)
    mixed = [c for items in by_section.values() for c in _spread(items, lambda c: c.kind)]
    first_source = {s: min(c.source or 0 for c in items) for s, items in by_section.items()}
    mixed.sort(key=lambda c: first_source[section(c)])  # stable: sections in article order
    return _spread(mixed, section)
