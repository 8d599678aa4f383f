"""Which sentences the cross-encoder scores for a question: the best of two cheap rankings, fused.

The cross-encoder is the costly model (its time grows with every pair), so it sees a pool of
``size`` sentences: those the dense ranking over every sentence and the hybrid passage retrieval
(dense + BM25) agree on, by reciprocal-rank fusion. Header, byline, tags and credits never enter the
pool: they answer questions about the article itself, which the answerer reads from the header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.article import Article, BlockKind, Sentence, Voice


@dataclass(frozen=True)
class PoolTuning:
    """Provenance: ``size`` is a quality/speed trade-off: ``assistant tune`` reports each set's evidence
    recall with the pool cut to 6, 8 and 12 (``fitted.json``, ``pool_size_recall``): 12 costs up to
    0.012 on two sets against 16, for ~7 ms of cross-encoder time per pair saved
    (``benchmarks/rerank.py``). ``rrf_k`` is the usual 60. ``windows_around``: the best ranked
    sentences whose neighbours form two-sentence windows the cross-encoder scores too
    (``assistant.retrieve.windows``): at most two windows each, each pair about twice a sentence's
    tokens, so 3 costs the cross-encoder about 10 more sentences' worth per question."""

    size: int = 16
    rrf_k: float = 60.0
    windows_around: int = 3


POOL_TUNING = PoolTuning()


@dataclass(frozen=True)
class PoolEntry:
    position: int
    dense: float


def eligible_sentences(article: Article, sentences: Sequence[Sentence], with_page: bool) -> np.ndarray:
    """Which sentences may be candidates: all of them when the question names a part of the page
    (``with_page``), else all but the page's header lines, tags and credits."""
    return np.array(
        [
            with_page or s.voice is not Voice.METADATA or article.blocks[s.block].kind is BlockKind.BIO
            for s in sentences
        ],
        dtype=bool,
    )


def candidate_pool(
    eligible: np.ndarray,
    sentence_vectors: np.ndarray,
    query_vector: np.ndarray,
    passage_ranks: Sequence[tuple[int, int]],
    tuning: PoolTuning = POOL_TUNING,
) -> list[PoolEntry]:
    """The ``tuning.size`` best eligible sentences, by fused dense and passage rank.

    ``passage_ranks`` are (first_sentence, last_sentence) of the retrieved passages, best first.
    """
    citable = eligible
    if not citable.any():
        return []
    similarities = sentence_vectors @ query_vector
    order = [int(i) for i in np.argsort(-similarities, kind="stable") if citable[i]]
    fused = {position: 1.0 / (tuning.rrf_k + rank) for rank, position in enumerate(order, start=1)}
    seen: set[int] = set()
    for rank, (first, last) in enumerate(passage_ranks, start=1):
        for position in range(first, last + 1):
            if position in fused and position not in seen:
                seen.add(position)
                fused[position] += 1.0 / (tuning.rrf_k + rank)
    best = sorted(fused, key=lambda p: (-fused[p], p))[: tuning.size]
    return [PoolEntry(p, float(similarities[p])) for p in best]
