"""A fake embedder for the fast tier: words hashed into a vector, so texts that share words are near.

A fake, on purpose: the real MiniLM model costs seconds to load and milliseconds a text, which the
fast tier (``pytest -m "not integration"``) cannot spend. It keeps the ``Embedder`` contract (unit
vectors, a model id, thread safety) so the index, retrieval and answering run as they do for real;
how well the real model answers is the integration tier's job (``tests/answer/test_golden.py``).
"""

from __future__ import annotations

import hashlib

import numpy as np

from assistant.retrieve.text import terms

DIMENSIONS = 1024


class HashingEmbedder:
    """Each stemmed word adds ±1 at a position its hash picks; the sum is scaled to unit length."""

    model_id = f"fake/hashed-words-{DIMENSIONS}@tests"

    def __init__(self) -> None:
        self.probes = 0

    def embed_many(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([_vector(text) for text in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def embed_query_vector(self, text: str) -> np.ndarray:
        return _vector(text)

    def probe(self) -> None:
        self.probes += 1


def _vector(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    for term in terms(text):
        digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        vector[number % DIMENSIONS] += 1.0 if number >> 63 else -1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:  # no words at all: any fixed unit vector keeps the contract
        vector[0], norm = 1.0, 1.0
    vector /= norm
    vector.setflags(write=False)
    return vector
