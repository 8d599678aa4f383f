"""The answer stage's seam: ``Evidence`` in, ``Answer`` out, whichever answerer runs.

An answerer never builds citations itself: it returns a ``Draft`` naming the sentences it cites, and
``answer`` (the only way the pipeline runs an answerer) has ``citations.finish`` build and check
them. So a new answerer (an LLM one, say) is one module implementing ``Answerer`` plus one line in
``assistant.answer.factory``, and cannot cite words the article does not hold at those offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from assistant.answer.citations import Draft, finish
from assistant.article import Article, Sentence
from assistant.retrieve.query import Query
from assistant.retrieve.windows import RankedWindow
from assistant.schema import Answer

if TYPE_CHECKING:
    from langchain_core.documents import Document

__all__ = [
    "Answerer",
    "Draft",
    "Evidence",
    "Monitored",
    "Partial",
    "RankedSentence",
    "RetrievedPassage",
    "Streaming",
    "answer",
    "stream_answer",
]


@dataclass(frozen=True)
class RankedSentence:
    """A candidate sentence as the cross-encoder ranked it for the question."""

    position: int
    """Its position in ``Evidence.sentences``."""
    dense: float
    """Cosine similarity of its embedding to the query's."""
    rerank: float
    """The cross-encoder's logit for (question, sentence): comparable across questions and articles."""


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage retrieval ranked for the question, with the sentences it spans."""

    id: str
    text: str
    start: int
    end: int
    first_sentence: int
    """Position of its first sentence in ``Evidence.sentences``."""
    last_sentence: int
    """Position of its last sentence (inclusive)."""
    section: str | None
    score: float
    """The fused (reciprocal rank) retrieval score: comparable between passages of one question only."""
    rank: int
    """1 for the best passage."""

    @classmethod
    def from_document(cls, document: Document, rank: int) -> RetrievedPassage:
        """Read one of ``HybridRetriever``'s documents: the only place its metadata keys are named."""
        metadata = document.metadata
        return cls(
            id=str(document.id),
            text=document.page_content,
            start=metadata["start"],
            end=metadata["end"],
            first_sentence=metadata["first_sentence"],
            last_sentence=metadata["last_sentence"],
            section=metadata.get("section"),
            score=float(metadata["score"]),
            rank=rank,
        )


@dataclass(frozen=True, eq=False)
class Evidence:
    """Everything an answerer may use for one question, computed once by the pipeline.

    ``sentences`` are all the article's citable sentences in order (``sentences[i].position == i``)
    and ``sentence_vectors[i]`` is the normalised embedding of ``sentences[i]``; ``query_vector`` is
    the embedding of ``query.search_text`` retrieval searched with, so a dot product is a cosine.
    ``ranked`` are the candidate sentences the cross-encoder scored, best first (never header,
    byline or credits: those answer questions about the article, read from ``sentences``);
    ``key_sentences`` rank the article's sentences by how much of it they carry (its overview,
    computed when the index was built); ``windows`` are the two-sentence windows around the best
    ranked, as the cross-encoder ranked them, best first (``assistant.retrieve.windows``).
    """

    query: Query
    article: Article
    passages: tuple[RetrievedPassage, ...]
    sentences: tuple[Sentence, ...]
    sentence_vectors: np.ndarray = field(repr=False)
    query_vector: np.ndarray = field(repr=False)
    ranked: tuple[RankedSentence, ...] = ()
    key_sentences: tuple[int, ...] = ()
    windows: tuple[RankedWindow, ...] = ()

    def __post_init__(self) -> None:
        rows = self.sentence_vectors.shape[0] if self.sentence_vectors.ndim == 2 else None
        if rows != len(self.sentences) or self.query_vector.shape != self.sentence_vectors.shape[1:]:
            msg = (
                f"evidence vectors do not fit: {len(self.sentences)} sentences, sentence vectors of shape "
                f"{self.sentence_vectors.shape}, a query vector of shape {self.query_vector.shape}; "
                "expected one row per sentence and a query vector as long as a row"
            )
            raise ValueError(msg)
        if any(s.position != i for i, s in enumerate(self.sentences)):
            msg = "evidence sentences must be in article order with sentences[i].position == i"
            raise ValueError(msg)


class Answerer(Protocol):
    """Decides what to say about one question from its ``Evidence``.

    An answerer may assume the evidence is consistent (offsets into ``evidence.article``, vectors
    normalised, passages in rank order, possibly none). It is called from several threads at once,
    so what it learns about one question stays in locals.

    It must return a ``Draft``: the answer text with ``[n]`` markers, ``[n]`` pointing at
    ``draft.cited[n - 1]``; ``answerable=False`` when the article does not answer (the text then
    says so, and ``cited`` may hold the closest sentences as context); and only sentences taken
    from ``evidence.sentences``, unchanged. ``answer`` turns the draft into the ``Answer``.
    """

    def draft(self, evidence: Evidence) -> Draft: ...


@dataclass(frozen=True)
class Partial:
    """The answer as it is being written (by a model), before any check: shown while it streams,
    then replaced by the checked ``Answer``. Markers in it name sentences the writer was shown."""

    text: str


@runtime_checkable
class Streaming(Protocol):
    """An answerer that can show its answer while writing it (a model server streaming tokens)."""

    def stream_draft(self, evidence: Evidence) -> Iterator[Partial | Draft]:
        """Partials as the answer grows, then the ``Draft`` (always last, always one)."""
        ...


@runtime_checkable
class Monitored(Protocol):
    """An answerer leaning on a service that can fail on its own (a model server): it still answers
    (falling back), but ``/healthz`` reports the failure until the service works again."""

    def problem(self) -> str | None:
        """Why the service failed last, or None while it works."""
        ...

    def recheck(self) -> str | None:
        """Try the service again after a failure (cheaply, bounded); ``problem()`` afterwards."""
        ...


def answer(answerer: Answerer, evidence: Evidence) -> Answer:
    """Run an answerer: its draft, with the citations built and checked in the one shared place."""
    return finish(answerer.draft(evidence), evidence.article)


def stream_answer(answerer: Answerer, evidence: Evidence) -> Iterator[Partial | Answer]:
    """``answer``, showing a streaming answerer's text as it grows: partials, then the ``Answer``."""
    if not isinstance(answerer, Streaming):
        yield answer(answerer, evidence)
        return
    for item in answerer.stream_draft(evidence):
        yield finish(item, evidence.article) if isinstance(item, Draft) else item
