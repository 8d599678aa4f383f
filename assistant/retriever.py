"""Hybrid retrieval as a LangChain retriever: dense (Chroma) and BM25 (bm25s), fused by RRF.

Reciprocal rank fusion needs no score calibration between the two lists, which matters because
cosine similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

from typing import Any

import bm25s
import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.embeddings import MiniLMEmbeddings
from assistant.terms import terms

RRF_K = 60


class LexicalIndex:
    """BM25 over the passages' stemmed words; tiny, so it is rebuilt in memory when opened."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
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

    vectorstore: Any = Field(description="A langchain_chroma.Chroma over the index collection.")
    lexical: LexicalIndex
    embeddings: MiniLMEmbeddings
    k: int = 6
    fetch_k: int = 20

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        k = self.k if k is None else k
        vector = self.embeddings.embed_query(query)
        dense = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            vector, k=self.fetch_k, filter={"unit": "passage"}
        )
        fused: dict[str, float] = {}
        found: dict[str, Document] = {}
        for rank, (document, distance) in enumerate(dense):
            fused[document.id] = fused.get(document.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            document.metadata["dense_similarity"] = 1.0 - distance
            found[document.id] = document
        bm25 = self.lexical.scores(query)
        for rank, position in enumerate(np.argsort(-bm25)[: self.fetch_k]):
            if bm25[position] <= 0:
                break
            document = self.lexical.documents[int(position)]
            fused[document.id] = fused.get(document.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            found.setdefault(document.id, document.model_copy(deep=True))
            found[document.id].metadata["bm25"] = float(bm25[position])
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        for document_id in ranked:
            found[document_id].metadata["score"] = fused[document_id]
        return [found[document_id] for document_id in ranked]
