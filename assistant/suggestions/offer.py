"""The validated pool of suggested questions, built once per article, and what to offer from it.

The pool is built lazily, under a lock, keyed by the article's sha256 (an index swap builds it anew), so
choosing follow-ups after an answer costs next to nothing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer.citations import Draft, finish
from assistant.article import Article, BlockKind, Sentence, Voice
from assistant.errors import AssistantError
from assistant.schema import Answer
from assistant.suggestions.writer import OVERVIEW_QUESTION, candidates

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

logger = logging.getLogger(__name__)

MAX_CHARS = 70
"""A suggestion is a reader's short question: longer ones are never offered."""
MAX_VALIDATED = 24
"""Candidates asked of the pipeline per article (~0.1 s each): bounds the pool's build time."""
NEARBY = 4
"""Sentences after an answer's last citation whose questions count as "what comes next"."""

STARTER_KINDS = {"speaker": 0, "place": 1, "person": 2, "number": 3, "topic": 4, "date": 5}
"""The order in which kinds of questions are offered to start a conversation."""

_WORD = re.compile(r"[a-z0-9]+")


def normalise(question: str) -> str:
    """Lower-case words only: "What is it about?" and "what is it about" are one question."""
    return " ".join(_WORD.findall(question.lower()))


@dataclass(frozen=True)
class Suggestion:
    """A question the article answers, what it was made from, and what its answer cites."""

    question: str
    kind: str
    source: int | None
    """Position of the sentence it was written from (None for questions about the whole article)."""
    section: str | None
    cited: frozenset[int]
    """Positions of the sentences its answer cites."""
    rank: int
    """Its place in the pool: lower is offered first."""


@dataclass(frozen=True)
class _Pool:
    sha256: str
    sentences: tuple[Sentence, ...]
    suggestions: tuple[Suggestion, ...]
    seconds: float


def _headings(article: Article) -> set[str]:
    headings = {normalise(article.block_text(b)) for b in article.blocks if b.kind is BlockKind.HEADING}
    return headings | {normalise(article.title)}


class Suggestions:
    """Questions to offer a reader, each one the article really answers."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._lock = threading.Lock()
        self._pool: _Pool | None = None
        self._opening: tuple[str, Answer] | None = None

    # ---- the overview ----------------------------------------------------------------------------
    def opening(self) -> Answer:
        """The article's cited overview, as the answer engine gives it (never a decline): the first
        sentences of the article stand in if the engine has no key sentences."""
        article, sentences, _ = self.assistant.contents()
        cached = self._opening
        if cached is not None and cached[0] == article.sha256:
            return cached[1]
        answer, answered_from = self.assistant.ask_with_article(OVERVIEW_QUESTION, extractive=True)
        if not answer.answerable or not answer.citations or answered_from.sha256 != article.sha256:
            answer = self._lead(article, sentences)
        self._opening = (article.sha256, answer)
        return answer

    @staticmethod
    def _lead(article: Article, sentences: Sequence[Sentence]) -> Answer:
        lead = tuple(s for s in sentences if s.voice is not Voice.METADATA)[:3]
        if not lead:
            lead = tuple(sentences[:1])
        markers = " ".join(f"“{s.text}” [{n}]" for n, s in enumerate(lead, start=1))
        return finish(Draft(text=f"The article opens: {markers}", answerable=True, cited=lead), article)

    # ---- the pool --------------------------------------------------------------------------------
    def pool(self) -> tuple[Suggestion, ...]:
        """The validated questions of the article served now, best first (built on first use)."""
        return self._current().suggestions

    def build_seconds(self) -> float:
        """How long the current pool took to build."""
        return self._current().seconds

    def _current(self) -> _Pool:
        article, sentences, keys = self.assistant.contents()
        pool = self._pool
        if pool is not None and pool.sha256 == article.sha256:
            return pool
        with self._lock:
            pool = self._pool
            if pool is None or pool.sha256 != article.sha256:
                pool = self._build(article, sentences, keys)
                self._pool = pool
            return pool

    def _build(self, article: Article, sentences: tuple[Sentence, ...], keys: tuple[int, ...]) -> _Pool:
        began = time.perf_counter()
        headings = _headings(article)
        drafted = candidates(article, sentences, keys)
        seen: set[str] = set()
        unique = []
        for candidate in drafted:
            key = normalise(candidate.question)
            if key in seen or key in headings or len(candidate.question) > MAX_CHARS:
                continue
            seen.add(key)
            unique.append(candidate)
        by_start = {s.start: s.position for s in sentences}
        kept: list[Suggestion] = []
        for candidate in unique[:MAX_VALIDATED]:
            try:
                answer, answered_from = self.assistant.ask_with_article(candidate.question, extractive=True)
            except AssistantError as error:
                logger.debug("suggestion %r not asked: %s", candidate.question, error)
                continue
            if answered_from.sha256 != article.sha256 or not answer.answerable or not answer.citations:
                continue
            cited = frozenset(by_start[c.start] for c in answer.citations if c.start in by_start)
            if candidate.accepts is not None and not (candidate.accepts & cited):
                continue
            # What it was made from is the sentence its answer cites among those it could.
            source = min(candidate.accepts & cited) if candidate.accepts is not None else None
            section = sentences[source].section if source is not None else None
            kept.append(Suggestion(candidate.question, candidate.kind, source, section, cited, len(kept)))
        seconds = time.perf_counter() - began
        logger.info("%d suggested questions of %d candidates in %.2f s", len(kept), len(unique), seconds)
        return _Pool(article.sha256, sentences, tuple(kept), seconds)

    # ---- what to offer ---------------------------------------------------------------------------
    def starters(self, k: int = 4) -> list[str]:
        """A varied first set: a question about the article itself, an overview request, then the
        best questions of other kinds from different sections."""
        pool = self.pool()
        chosen: list[Suggestion] = []
        for kind in ("about", "overview"):
            chosen.extend([s for s in pool if s.kind == kind][:1])
        kinds = {"about", "overview", "conclusion"}
        sections: set[str | None] = set()
        # Who said what and where it happened open an article better than a bare date or a phrase.
        for suggestion in sorted(pool, key=lambda s: (STARTER_KINDS.get(s.kind, len(STARTER_KINDS)), s.rank)):
            if suggestion.kind in kinds or suggestion.section in sections:
                continue
            kinds.add(suggestion.kind)
            sections.add(suggestion.section)
            chosen.append(suggestion)
        chosen.extend(pool)  # too few sections or kinds: the rest of the pool fills in, in order
        return _distinct(chosen, k)

    def warm(self) -> threading.Thread:
        """Build the pool in the background (at start-up), so no reader waits for it."""
        thread = threading.Thread(target=self._current, name="suggestions", daemon=True)
        thread.start()
        return thread

    def follow_ups(self, answer: Answer, asked: Sequence[str], k: int = 3) -> list[str]:
        """Questions after ``answer``: first those about what comes right after its quotes or
        elsewhere in its section, citing something it did not; never one already asked."""
        pool = self._current()
        done = {normalise(q) for q in asked}
        by_start = {s.start: s for s in pool.sentences}
        quoted = [by_start[c.start] for c in answer.citations if c.start in by_start]
        cited = frozenset(s.position for s in quoted)
        sections = {s.section for s in quoted}
        last = max(cited, default=None)

        def nearness(s: Suggestion) -> tuple[int, int, int]:
            where = s.source if s.source is not None else min(s.cited, default=-1)
            if last is not None and last < where <= last + NEARBY:
                return (0, where - last, s.rank)
            if s.section is not None and s.section in sections:
                return (1, abs(where - (last or 0)), s.rank)
            return (2, 0, s.rank)

        fresh = [
            s
            for s in pool.suggestions
            if normalise(s.question) not in done
            and s.cited != cited
            and not (answer.answerable and s.cited <= cited)
        ]
        ordered = sorted(fresh, key=nearness) if answer.answerable and cited else fresh
        picked: list[Suggestion] = []
        answers: set[frozenset[int]] = set()
        for suggestion in ordered:
            if suggestion.cited in answers:
                continue  # two questions with one answer: offer one
            answers.add(suggestion.cited)
            picked.append(suggestion)
        return _distinct(picked, k)


def _distinct(suggestions: Iterable[Suggestion], k: int) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for suggestion in suggestions:
        key = normalise(suggestion.question)
        if key not in seen:
            seen.add(key)
            result.append(suggestion.question)
        if len(result) >= k:
            break
    return result
