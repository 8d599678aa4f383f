"""The default answerer: picks the sentences that answer, attributes them, or declines. No LLM.

Answerability is decided from evidence, not from one retrieval score (answerable questions score as
low as 0.03 while unanswerable ones reach 0.49). A question is declined when
- it asks for a task rather than about the article (translate, write a poem, ignore instructions);
- its topical words are missing from the best sentence and the meaning does not match either
  (weighted term coverage and sentence similarity, both low);
- it asks for a kind of answer the best sentence cannot hold (how many → a number, when → a time).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.article import Sentence, Voice
from assistant.prompts import AnswerTemplates
from assistant.query import GENERIC_TERMS, Query
from assistant.schema import Answer, Citation
from assistant.terms import terms

_TASK = re.compile(
    r"^\s*(please\s+)?(translate|write|compose|draft|generate|create|draw|sing|rewrite|paraphrase|"
    r"summari[sz]e|ignore|disregard|forget|pretend|act as|roleplay|role-play|you are now|from now on|"
    r"tell me a (joke|story|poem)|give me a (joke|poem|recipe)|code|print your|reveal|repeat after)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt|above)\b|\bsystem prompt\b|"
    r"\bjailbreak\b|\bDAN\b",
    re.IGNORECASE,
)
_NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|long|far|old)\b|\bwhat (number|percentage|share)\b", re.I
)
_TIME_QUESTION = re.compile(
    r"^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|day|date)\b", re.I
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|several|dozens?|single|twin|double|pair|many|few)\b",
    re.I,
)
_TIME = re.compile(
    r"\d{4}|\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|"
    r"week|weeks|month|months|year|years|decades?|morning|night|ago|since|after|before|same day)\b",
    re.I,
)
_METADATA_QUESTION = re.compile(
    r"\b(who (wrote|authored|penned)|author|byline|published|publication|posted|headline|title|"
    r"original(ly)? (source|published|appeared)|source of (the|this) article|which (site|outlet|"
    r"website|publication))\b",
    re.I,
)
_OPINION_CUES = re.compile(
    r"\b(should|could|might|may|must|perhaps|clearly|certainly|no doubt|seems?|likely|worrying|"
    r"suggests?|believe|argu\w+|think|mistake|surely|really|simply)\b",
    re.I,
)

DENSE_WEIGHT, COVERAGE_WEIGHT, CONTEXT_WEIGHT, RETRIEVAL_WEIGHT = 0.55, 0.45, 0.15, 0.1
METADATA_BONUS = 0.3
MIN_COVERAGE, MIN_DENSE = 0.5, 0.5
SECOND_SENTENCE_RATIO = 0.92
MAX_CITED_CHARS = 450


@dataclass(frozen=True)
class Candidate:
    """A sentence considered for the answer, with the evidence for and against it."""

    sentence: Sentence
    dense: float
    coverage: float
    context_coverage: float
    retrieval: float
    score: float


@dataclass(frozen=True)
class Decision:
    """The chosen sentences, or why the question is declined."""

    answerable: bool
    chosen: tuple[Candidate, ...]
    reason: str


class ArticleVocabulary:
    """Inverse document frequency of each stem over the article's sentences."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.sentence_terms = {s.position: frozenset(terms(s.text)) for s in sentences}
        counts = Counter(t for ts in self.sentence_terms.values() for t in ts)
        n = len(sentences)
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in counts.items()}
        self.unseen_idf = math.log((n + 1) / 0.5) + 1.0

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unseen_idf)

    def coverage(self, query_terms: Sequence[str], position: int) -> float:
        """IDF-weighted share of the query's terms that the sentence contains."""
        wanted = set(query_terms)
        if not wanted:
            return 0.0
        present = self.sentence_terms.get(position, frozenset())
        total = sum(self.weight(t) for t in wanted)
        return sum(self.weight(t) for t in wanted & present) / total


class ExtractiveAnswerer:
    """Select, attribute and cite sentences of the article."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        vectors: np.ndarray,
        templates: AnswerTemplates,
        max_citations: int = 2,
    ) -> None:
        self.sentences = list(sentences)
        self.vectors = vectors
        self.templates = templates
        self.max_citations = max_citations
        self.vocabulary = ArticleVocabulary(self.sentences)
        self.metadata_positions = [s.position for s in self.sentences if s.voice is Voice.METADATA]

    def candidates(
        self, query: Query, query_vector: np.ndarray, passages: Sequence[dict]
    ) -> list[Candidate]:
        """Score every sentence of the retrieved passages (plus the header for metadata questions)."""
        retrieval: dict[int, float] = {}
        for rank, metadata in enumerate(passages):
            for position in range(metadata["first_sentence"], metadata["last_sentence"] + 1):
                retrieval.setdefault(position, 1.0 / (rank + 1))
        asks_metadata = bool(_METADATA_QUESTION.search(query.question))
        if asks_metadata:
            for position in self.metadata_positions:
                retrieval.setdefault(position, 0.0)
        topical = [t for t in query.focus_terms if t not in GENERIC_TERMS] or list(
            query.focus_terms
        )
        positions = sorted(retrieval)
        similarities = self.vectors[positions] @ query_vector
        scored = []
        for position, dense in zip(positions, similarities, strict=True):
            sentence = self.sentences[position]
            coverage = self.vocabulary.coverage(topical, position)
            context = self.vocabulary.coverage(query.context_terms, position)
            score = (
                DENSE_WEIGHT * float(dense)
                + COVERAGE_WEIGHT * coverage
                + CONTEXT_WEIGHT * context
                + RETRIEVAL_WEIGHT * retrieval[position]
            )
            if asks_metadata and sentence.voice is Voice.METADATA:
                score += METADATA_BONUS
            scored.append(
                Candidate(sentence, float(dense), coverage, context, retrieval[position], score)
            )
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def decide(self, query: Query, ranked: Sequence[Candidate]) -> Decision:
        question = query.question
        if _TASK.match(question) or _INJECTION.search(question):
            return Decision(False, tuple(ranked[:1]), "task")
        if not ranked:
            return Decision(False, (), "nothing retrieved")
        best = ranked[0]
        if best.coverage < MIN_COVERAGE and best.dense < MIN_DENSE:
            return Decision(False, (best,), "weak evidence")
        if _NUMBER_QUESTION.search(question) and not _NUMBER.search(best.sentence.text):
            return Decision(False, (best,), "no number")
        if _TIME_QUESTION.search(question) and not _TIME.search(best.sentence.text):
            return Decision(False, (best,), "no time")
        chosen = [best]
        for candidate in ranked[1:]:
            if len(chosen) >= self.max_citations:
                break
            cited = sum(len(c.sentence.text) for c in chosen) + len(candidate.sentence.text)
            if candidate.score >= SECOND_SENTENCE_RATIO * best.score and cited <= MAX_CITED_CHARS:
                chosen.append(candidate)
        chosen.sort(key=lambda c: c.sentence.position)
        return Decision(True, tuple(chosen), "answer")

    def answer(self, query: Query, query_vector: np.ndarray, passages: Sequence[dict]) -> Answer:
        ranked = self.candidates(query, query_vector, passages)
        decision = self.decide(query, ranked)
        citations = [
            Citation(
                id=n,
                text=c.sentence.text,
                start=c.sentence.start,
                end=c.sentence.end,
                section=c.sentence.section,
                speaker=c.sentence.speaker,
            )
            for n, c in enumerate(decision.chosen, start=1)
        ]
        if not decision.answerable:
            text = self.templates.decline(question=query.question, task=decision.reason == "task")
            markers = " ".join(f"[{c.id}]" for c in citations)
            if markers:
                text = f"{text} {self.templates.context(markers=markers)}"
            return Answer(text=text, answerable=False, citations=citations)
        parts = [
            self.templates.attribute(
                voice=c.sentence.voice.value,
                speaker=c.sentence.speaker,
                opinion=bool(_OPINION_CUES.search(c.sentence.text)),
                quote=c.sentence.text,
                marker=f"[{n}]",
            )
            for n, c in enumerate(decision.chosen, start=1)
        ]
        return Answer(text=" ".join(parts), answerable=True, citations=citations)
