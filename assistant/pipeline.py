"""The one entry point every surface calls: ``Assistant.ask(question, history) -> Answer``.

The chain is LCEL: condense the follow-up into a standalone query → hybrid retrieval → extractive
answer. Opening is lazy and thread-safe, so importing this module costs nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from assistant.answerer import ExtractiveAnswerer
from assistant.article import Article
from assistant.embeddings import MiniLMEmbeddings
from assistant.errors import InvalidQuestion
from assistant.index import IndexDirectory, OpenIndex, Progress
from assistant.ingest import load_article
from assistant.model import embedding_model_id
from assistant.prompts import AnswerTemplates
from assistant.query import Query, standalone_query
from assistant.retriever import HybridRetriever, LexicalIndex
from assistant.schema import Answer, Turn
from assistant.settings import Settings

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _silent(_: str) -> None:
    """Default progress sink."""


def clean_text(text: str) -> str:
    """Drop control characters and unpaired surrogates that cannot be encoded as UTF-8."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text).strip()


@dataclass(frozen=True)
class _Ready:
    marker: object
    index: OpenIndex
    retriever: HybridRetriever
    chain: Runnable


class Assistant:
    """Answers questions about one article with verbatim, attributed citations."""

    def __init__(self, settings: Settings | None = None, embeddings: MiniLMEmbeddings | None = None) -> None:
        self.settings = settings or Settings()
        self.embeddings = embeddings or MiniLMEmbeddings()
        self.templates = AnswerTemplates.load(self.settings.prompts_dir)
        self.article: Article = load_article(self.settings.article_path)
        self.index_directory = IndexDirectory(self.settings.index_dir)
        self._ready: _Ready | None = None
        self._lock = threading.Lock()

    def build_index(self, rebuild: bool = False, progress: Progress = _silent) -> bool:
        """Build the index if it is missing or stale (or always, with ``rebuild``); True if built."""
        model_id = embedding_model_id()
        if not rebuild and self.index_directory.is_fresh(self.article, model_id):
            return False
        with self.index_directory.locked(self.settings.index_lock_timeout, progress):
            if not rebuild and self.index_directory.is_fresh(self.article, model_id):
                return False
            self.index_directory.build(
                self.article, self.embeddings, progress, show_progress_bar=progress is not _silent
            )
        with self._lock:
            self._ready = None
        return True

    def open(self, progress: Progress = _silent) -> None:
        """Build if needed, open the index and warm the model, so the first question is fast."""
        self._get_ready(progress)
        self.embeddings.embed_query_vector("warm-up")

    def check(self) -> None:
        """Probe what answering needs: the index answers a search and the model embeds a text."""
        self._get_ready().index.passages.count()
        self.embeddings.probe()

    def _get_ready(self, progress: Progress = _silent) -> _Ready:
        """The opened index; a server follows a rebuild by another process (``CURRENT`` swapped)."""
        ready = self._ready
        marker = self.index_directory.marker()
        if ready is not None and ready.marker == marker:
            return ready
        if ready is None:
            self.build_index(progress=progress)
        with self._lock:
            marker = self.index_directory.marker()
            if self._ready is None or self._ready.marker != marker:
                self._ready = self._assemble(marker, self.index_directory.open())
            return self._ready

    def _assemble(self, marker: object, index: OpenIndex) -> _Ready:
        stored = index.passages.get(include=["documents", "metadatas"])
        passages = [
            Document(id=i, page_content=d, metadata=m)
            for i, d, m in zip(stored["ids"], stored["documents"], stored["metadatas"], strict=True)
        ]
        retriever = HybridRetriever(
            collection=index.passages,
            lexical=LexicalIndex(passages),
            embeddings=self.embeddings,
            k=self.settings.retrieval_k,
        )
        answerer = ExtractiveAnswerer(
            index.sentences, index.sentence_vectors, self.templates, self.settings.max_citations
        )

        def retrieve(query: Query, config: RunnableConfig) -> tuple[Query, list[Document]]:
            return query, retriever.invoke(query.search_text, config)

        def answer(retrieved: tuple[Query, list[Document]]) -> Answer:
            query, passages = retrieved
            vector = self.embeddings.embed_query_vector(query.search_text)
            return answerer.answer(query, vector, [d.metadata for d in passages])

        # A plain sequence, not RunnableParallel: parallel branches run in a thread pool, and moving
        # the model call onto another thread costs more than the whole rest of the chain.
        chain = (
            RunnableLambda(lambda inputs: standalone_query(inputs["question"], inputs["history"]))
            | RunnableLambda(retrieve)
            | RunnableLambda(answer)
        )
        return _Ready(marker, index, retriever, chain)

    def validate(self, question: str) -> str:
        if not isinstance(question, str):
            raise InvalidQuestion("the question must be text")
        cleaned = clean_text(question)
        if not cleaned:
            raise InvalidQuestion.empty()
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            raise InvalidQuestion.too_long(len(cleaned), limit)
        return cleaned

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer from the article, citing it; declines (answerable=False) when it does not say."""
        cleaned = self.validate(question)
        recent = list(history)[-self.settings.max_history_turns :] if history else []
        turns = (
            [
                Turn(role=t.role, content=clean_text(t.content)[: self.settings.max_question_chars])
                for t in recent
            ]
            if self.settings.max_history_turns
            else []
        )
        return self._get_ready().chain.invoke({"question": cleaned, "history": turns})
