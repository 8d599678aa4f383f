"""Hybrid retrieval as a LangChain retriever: dense (Chroma) and BM25 (bm25s), fused by RRF.

Reciprocal rank fusion needs no score calibration between the two lists, which matters because
cosine similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.index.embedder import Embedder
from assistant.retrieve.text import terms


@dataclass(frozen=True)
class FusionTuning:
    """How the two rankings are fused. Provenance: RRF's k = 60 is the constant of Cormack et al. (2009),
    used as published; ``fetch_k`` (candidates taken from each ranking) was set by hand in session 6.
    Neither is fitted to this project's data yet."""

    rrf_k: int = 60
    fetch_k: int = 20


FUSION = FusionTuning()


class LexicalIndex:
    """BM25 over the passages' stemmed words; tiny, so it is rebuilt in memory when opened."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self.by_id = {d.id: d for d in documents}
        self._bm25 = bm25s.BM25()
        self._bm25.index([terms(d.page_content) or ["\x00"] for d in documents], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        query_terms = terms(query)
        if not query_terms:
            return np.zeros(len(self.documents), dtype=np.float32)
        return self._bm25.get_scores(query_terms)


class HybridRetriever(BaseRetriever):
    """Top ``k`` passages by reciprocal rank fusion of dense and BM25 rankings."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Any = Field(description="The Chroma collection of passages (ids match lexical's).")
    lexical: LexicalIndex
    embeddings: Embedder
    k: int = 6
    tuning: FusionTuning = FUSION

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        return self.search(query, self.embeddings.embed_query_vector(query), k)

    def search(self, query: str, vector: np.ndarray, k: int | None = None) -> list[Document]:
        """Top ``k`` passages for a query whose embedding the caller already has: the pipeline
        embeds each question once and hands the same vector to the answerer."""
        k = self.k if k is None else k
        # Ids and distances only: the passages' text and metadata are already in memory.
        dense = self.collection.query(
            query_embeddings=[vector],
            n_results=min(self.tuning.fetch_k, len(self.lexical.documents)),
            include=["distances"],
        )
        fused: dict[str, float] = {}
        for rank, document_id in enumerate(dense["ids"][0]):
            fused[document_id] = 1.0 / (self.tuning.rrf_k + rank + 1)
        bm25 = self.lexical.scores(query)
        for rank, position in enumerate(np.argsort(-bm25)[: self.tuning.fetch_k]):
            if bm25[position] <= 0:
                break
            document_id = self.lexical.documents[int(position)].id
            fused[document_id] = fused.get(document_id, 0.0) + 1.0 / (self.tuning.rrf_k + rank + 1)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [
            self.lexical.by_id[document_id].model_copy(
                update={"metadata": {**self.lexical.by_id[document_id].metadata, "score": fused[document_id]}}
            )
            for document_id in ranked
        ]
