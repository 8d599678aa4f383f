"""The article's key sentences, ranked once when the index is built: the answer to "what is it about?".

An extractive overview as news editors write one: the lede (the first sentence of the body) first,
then the sentences closest to what the whole article is about (the centroid of its sentence
embeddings), each new one kept only if it adds something the ones before did not say (maximal
marginal relevance), preferring sections not yet covered. Only the author's own sentences qualify:
an overview is what the article says, not what someone it quotes says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.article import Sentence, Voice


@dataclass(frozen=True)
class OverviewTuning:
    """Provenance: the usual MMR trade-off (Carbonell & Goldstein, 1998: λ = 0.7), not fitted."""

    relevance: float = 0.7
    """MMR's λ: the weight of closeness to the article's centroid against novelty."""
    section_repeat_penalty: float = 0.05
    """Subtracted from a sentence whose section already has a key sentence."""
    min_chars: int = 40
    max_chars: int = 400
    ranked: int = 12
    """How many key sentences are kept (the most an overview asks for is fewer)."""


OVERVIEW_TUNING = OverviewTuning()


def key_sentences(
    sentences: Sequence[Sentence], vectors: np.ndarray, tuning: OverviewTuning = OVERVIEW_TUNING
) -> list[int]:
    """Positions of the article's key sentences, most important first (the lede leads)."""
    eligible = [
        s.position
        for s in sentences
        if s.voice is Voice.AUTHOR and tuning.min_chars <= len(s.text) <= tuning.max_chars
    ]
    if not eligible:
        eligible = [s.position for s in sentences if s.voice is not Voice.METADATA]
    if not eligible:
        return []
    matrix = vectors[eligible]
    centroid = matrix.mean(axis=0)
    norm = float(np.linalg.norm(centroid)) or 1.0
    relevance = matrix @ (centroid / norm)
    chosen = [0]  # the lede
    covered = {sentences[eligible[0]].section}
    while len(chosen) < min(tuning.ranked, len(eligible)):
        redundancy = (matrix @ matrix[chosen].T).max(axis=1)
        scores = tuning.relevance * relevance - (1 - tuning.relevance) * redundancy
        for i, position in enumerate(eligible):
            if i in chosen:
                scores[i] = -np.inf
            elif sentences[position].section in covered:
                scores[i] -= tuning.section_repeat_penalty
        best = int(np.argmax(scores))
        chosen.append(best)
        covered.add(sentences[eligible[best]].section)
    return [eligible[i] for i in chosen]
