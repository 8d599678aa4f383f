"""What retrieval hands an answerer: ``Evidence``, the one object every answerer reads.

The retrieve stage builds it (``assistant.retrieve.stage``); the answer stage's seam
(``assistant.answer.base``) takes it in and gives an ``Answer`` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.article import Article, Sentence
from assistant.retrieve.query import Query
from assistant.retrieve.windows import RankedWindow

if TYPE_CHECKING:
    from langchain_core.documents import Document


@dataclass(frozen=True)
class RankedSentence:
    """A candidate sentence as the cross-encoder ranked it for the question."""

    position: int
    """Its position in ``Evidence.sentences``."""
    dense: float
    """Cosine similarity of its embedding to the query's."""
    rerank: float
    """The cross-encoder's logit for (question, sentence): comparable across questions and articles.
    For a follow-up the question is its search text (the previous question borrowed, or the model's
    rewrite)."""
    question_rerank: float | None = None
    """A follow-up's only: the logit for the question as asked, alone. The borrowed words pull
    towards what the previous answer already quoted (a rewrite may add a detail of its own); the
    reader's own words towards what is new."""


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
