"""The one entry point every surface calls: ``Assistant.ask(question, history) -> Answer``.

The chain is LCEL: condense the follow-up into a standalone query → embed it once → hybrid
retrieval → ``Evidence`` → the answerer ``ASSISTANT_ANSWERER`` names (``assistant.answer.factory``),
whose citations ``assistant.answer.citations`` builds and checks. Opening is lazy and thread-safe,
so importing this module costs nothing.

The article and the index built from it are served as one pair: a rebuild by another process is
followed only when the article file on disk is the one the new build's manifest names; otherwise
the previous pair keeps answering and ``check`` (so ``/healthz``) says why.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.base import Partial, answer, stream_answer
from assistant.answer.factory import make_answerer, make_extractive
from assistant.article import Article, Sentence
from assistant.errors import AssistantError, IndexUnavailable, InvalidQuestion
from assistant.index.builds import IndexDirectory, OpenIndex, Progress, silent
from assistant.index.chroma import FolderStores, chroma_store
from assistant.index.embedder import Embedder
from assistant.index.embeddings import MiniLMEmbeddings
from assistant.index.store import LOCK_WAIT, GuardedCollection
from assistant.ingest.parse import load_article
from assistant.retrieve.candidates import POOL_TUNING, candidate_pool, eligible_sentences
from assistant.retrieve.evidence import Evidence, RankedSentence, RetrievedPassage
from assistant.retrieve.hybrid import HybridRetriever, LexicalIndex
from assistant.retrieve.query import Query, standalone_query
from assistant.retrieve.question import asks_about_article, mentions_the_page
from assistant.retrieve.rerank import CrossEncoderReranker, reranker_dir
from assistant.retrieve.spelling import Speller, english_words
from assistant.retrieve.windows import RankedWindow, window_starts, window_text
from assistant.schema import Answer, Turn
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

logger = logging.getLogger(__name__)

# A refused swap is tried again this often even when nothing changed: a lock on the new store may go.
REFUSED_RETRY_SECONDS = 5.0

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters and unpaired surrogates that cannot be encoded as UTF-8."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text).strip()


@dataclass(frozen=True)
class _Ready:
    """An article and the index built from it: swapped together, never one without the other."""

    marker: object
    article: Article
    index: OpenIndex
    retriever: HybridRetriever
    chain: Runnable
    evidence_chain: Runnable


@dataclass(frozen=True)
class _Refused:
    """A build not switched to, and why: tried again when ``CURRENT`` or the article file changes,
    and every ``REFUSED_RETRY_SECONDS`` (a lock on its store may have gone)."""

    key: tuple[object, object]
    reason: str
    retry_at: float


class Assistant:
    """Answers questions about one article with verbatim, attributed citations."""

    def __init__(
        self,
        settings: Settings | None = None,
        embeddings: Embedder | None = None,
        chroma_client: ClientAPI | None = None,
        reranker: CrossEncoderReranker | None = None,
        scope: str = "",
    ) -> None:
        """Parts not given are built from ``settings``: the packaged MiniLM model, and the index's
        Chroma collections in the index directory (or on ``ASSISTANT_CHROMA_URL``'s server). An
        injected ``chroma_client`` (``chromadb.EphemeralClient()`` for tests) holds them instead.
        ``scope`` keeps this index apart from others on one Chroma server (a library article's id)."""
        self.settings = settings or Settings()
        self.embeddings: Embedder = embeddings or MiniLMEmbeddings()
        self.reranker = reranker or CrossEncoderReranker()
        self.extractive = make_extractive(self.settings)
        self.answerer = make_answerer(self.settings, self.extractive)
        self._article = self._read_article()
        self.index_directory = IndexDirectory(
            self.settings.index_dir, chroma_store(self.settings.chroma_url, chroma_client), scope
        )
        self._ready: _Ready | None = None
        self._refused: _Refused | None = None
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._probe: Future[None] | None = None

    @property
    def article(self) -> Article:
        """The article answers come from: the one the served index was built from (follows swaps).

        Read it anew for every page rendered; ``ask_with_article`` returns an answer together with the
        article its citations point into, should a swap happen in between.
        """
        ready = self._ready
        return ready.article if ready is not None else self._article

    def _read_article(self) -> Article:
        return load_article(self.settings.article_path, self.settings.max_article_chars)

    def _article_stamp(self) -> object:
        """Changes whenever the article file is replaced or written: a stat."""
        try:
            stat = os.stat(self.settings.article_path)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def build_index(self, rebuild: bool = False, progress: Progress = silent) -> bool:
        """Build the index of the article file if it is missing, stale or damaged (or always, with
        ``rebuild``); True if built."""
        article = self._read_article()
        model_id = self.embeddings.model_id
        if not rebuild and self.index_directory.is_fresh(article, model_id):
            return False
        with self.index_directory.locked(self.settings.index_lock_timeout, progress):
            reason = None if rebuild else self.index_directory.staleness(article, model_id)
            if not rebuild and reason is None:
                return False
            if reason and self.index_directory.current_build() is not None:
                progress(f"Rebuilding the index: {reason}.")
            self.index_directory.build(
                article, self.embeddings, progress, show_progress_bar=progress is not silent
            )
        with self._lock:
            self._article, self._ready, self._refused = article, None, None
        return True

    def open(self, progress: Progress = silent) -> None:
        """Build if needed, open the index and warm the model, so the first question is fast."""
        self._get_ready(progress)
        self.embeddings.embed_query_vector("warm-up")
        self.reranker.score("warm-up", ["warm-up"])

    def check(self) -> None:
        """Probe what answering needs: the store is readable and whole, a search answers, the model
        embeds a text, and the served pair is the current build. Raises what is wrong."""
        ready = self._get_ready()
        ready.index.store.check(min(LOCK_WAIT, self.settings.health_timeout / 2))
        for vector in ready.index.sentence_vectors[:1]:
            ready.retriever.collection.query(query_embeddings=[vector], n_results=1, include=["distances"])
        self.embeddings.probe()
        self.reranker.probe()
        refused = self._refused
        if refused is not None:
            raise IndexUnavailable(refused.reason)

    def start_check(self) -> Future[None]:
        """The health probe in flight, or a new one: one at a time however many callers wait, so a
        probe stuck on a lock held elsewhere never piles up threads."""
        with self._probe_lock:
            probe = self._probe
            if probe is None or probe.done():
                probe = self._probe = Future()
                threading.Thread(
                    target=self._run_check, args=(probe,), name="health-probe", daemon=True
                ).start()
            return probe

    def _run_check(self, probe: Future[None]) -> None:
        try:
            self.check()
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the probe
            probe.set_exception(error)
        else:
            probe.set_result(None)

    def _get_ready(self, progress: Progress = silent) -> _Ready:
        """The served pair. A rebuild by another process (``CURRENT`` replaced) is followed when the
        article file is the one the new build was made from; otherwise the previous pair stays."""
        ready = self._ready
        marker = self.index_directory.marker()
        if ready is None:
            return self._first_open(progress)
        if ready.marker == marker:
            if self._refused is not None:
                self._refused = None
            return ready
        if self._still_refused(marker) or not self._lock.acquire(blocking=False):
            return ready  # refused before, or another thread is opening the new build right now
        try:
            return self._swap(ready, self.index_directory.marker())
        finally:
            self._lock.release()

    def _first_open(self, progress: Progress) -> _Ready:
        self.build_index(progress=progress)
        with self._lock:
            if self._ready is None:
                self._ready = self._open_pair(self.index_directory.marker())
                self._article = self._ready.article
            return self._ready

    def _swap(self, ready: _Ready, marker: object) -> _Ready:
        try:
            new = self._open_pair(marker)
        except AssistantError as error:
            reason = f"{error}; still serving the previous index and article ({ready.index.build_dir.name})"
            if self._refused is None or self._refused.reason != reason:
                logger.warning("not switching to the new index: %s", reason)
            key = (marker, self._article_stamp())
            self._refused = _Refused(key, reason, time.monotonic() + REFUSED_RETRY_SECONDS)
            return ready
        self._ready, self._refused, self._article = new, None, new.article
        logger.info("now serving %r from the index build %s", new.article.title, new.index.build_dir.name)
        return new

    def _still_refused(self, marker: object) -> bool:
        refused = self._refused
        return (
            refused is not None
            and refused.key == (marker, self._article_stamp())
            and time.monotonic() < refused.retry_at
        )

    def _open_pair(self, marker: object) -> _Ready:
        """The article file and the current build, only if the build was made from that file."""
        article = self._read_article()
        manifest = self.index_directory.current_manifest()
        if manifest is None:
            msg = f"no index in {self.index_directory.where}; run `assistant index` to build it"
            raise IndexUnavailable(msg)
        self._same_article(manifest.article_sha256, article)
        index = self.index_directory.open(min(LOCK_WAIT, self.settings.request_timeout / 2))
        self._same_article(index.manifest.article_sha256, article)  # CURRENT may have moved meanwhile
        return self._assemble(marker, article, index)

    def _same_article(self, built_from: str, article: Article) -> None:
        if built_from != article.sha256:
            msg = (
                f"the index in {self.index_directory.where} was built from another article "
                f"(sha256 {built_from[:12]}) than {str(self.settings.article_path)!r} holds now "
                f"(sha256 {article.sha256[:12]}); run `assistant index` to index that file"
            )
            raise IndexUnavailable(msg)

    def _assemble(self, marker: object, article: Article, index: OpenIndex) -> _Ready:
        passages = [Document(id=i, page_content=d, metadata=m) for i, d, m in index.passage_rows]
        retriever = HybridRetriever(
            collection=GuardedCollection(index.passages, index.store),
            lexical=LexicalIndex(passages),
            embeddings=self.embeddings,
            k=self.settings.retrieval_k,
        )
        answerer, reranker = self.answerer, self.reranker
        speller = Speller((s.text for s in index.sentences), english_words(reranker_dir() / "vocab.txt"))
        overview = tuple(index.manifest.key_sentences)

        def understand(inputs: dict) -> Query:
            """Spelling mended against the article's words, then made standalone from the history."""
            question = speller.correct(inputs["question"])
            return standalone_query(question, inputs["history"], stands_alone=asks_about_article)

        def gather(query: Query) -> Evidence:
            """Embed the search text once (retrieval and the answerer share the vector), then let the
            cross-encoder rank the candidate sentences."""
            vector = self.embeddings.embed_query_vector(query.search_text)
            documents = retriever.search(query.search_text, vector)
            passages = tuple(RetrievedPassage.from_document(d, rank) for rank, d in enumerate(documents, 1))
            eligible = eligible_sentences(article, index.sentences, mentions_the_page(query.question))
            pool = candidate_pool(
                eligible,
                index.sentence_vectors,
                vector,
                [(p.first_sentence, p.last_sentence) for p in passages],
            )
            scores = reranker.score(query.search_text, [index.sentences[c.position].text for c in pool])
            ranked = sorted(
                (RankedSentence(c.position, c.dense, float(r)) for c, r in zip(pool, scores, strict=True)),
                key=lambda r: (-r.rerank, r.position),
            )
            around = [r.position for r in ranked[: POOL_TUNING.windows_around]]
            starts = window_starts(around, index.sentences, eligible)
            texts = [window_text(index.sentences, first) for first in starts]
            windows = sorted(
                (
                    RankedWindow(first, float(r))
                    for first, r in zip(starts, reranker.score(query.search_text, texts), strict=True)
                ),
                key=lambda w: (-w.rerank, w.first),
            )
            return Evidence(
                query=query,
                article=article,
                passages=passages,
                sentences=index.sentences,
                sentence_vectors=index.sentence_vectors,
                query_vector=vector,
                ranked=tuple(ranked),
                key_sentences=overview,
                windows=tuple(windows),
            )

        # A plain sequence, not RunnableParallel: parallel branches run in a thread pool, and moving
        # the model call onto another thread costs more than the whole rest of the chain.
        evidence_chain = RunnableLambda(understand) | RunnableLambda(gather)
        chain = evidence_chain | RunnableLambda(lambda evidence: answer(answerer, evidence))
        return _Ready(marker, article, index, retriever, chain, evidence_chain)

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

    def _turns(self, history: Sequence[Turn]) -> list[Turn]:
        """The recent history, cleaned and bounded as every answer sees it."""
        if not history or not self.settings.max_history_turns:
            return []
        recent = list(history)[-self.settings.max_history_turns :]
        limit = self.settings.max_question_chars
        return [Turn(role=t.role, content=clean_text(t.content)[:limit]) for t in recent]

    def contents(self) -> tuple[Article, tuple[Sentence, ...], tuple[int, ...]]:
        """The served article, its citable sentences in order and their key ones (best first), read
        as one snapshot: what suggested questions are made from, without any question asked."""
        ready = self._get_ready()
        return ready.article, ready.index.sentences, tuple(ready.index.manifest.key_sentences)

    def evidence(self, question: str, history: Sequence[Turn] = ()) -> Evidence:
        """What the answerer would be given for this question: ``assistant tune`` fits on it."""
        cleaned = self.validate(question)
        return self._get_ready().evidence_chain.invoke({"question": cleaned, "history": self._turns(history)})

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer from the article, citing it; declines (answerable=False) when it does not say."""
        return self.ask_with_article(question, history)[0]

    def ask_with_article(
        self, question: str, history: Sequence[Turn] = (), *, extractive: bool = False
    ) -> tuple[Answer, Article]:
        """``ask``, and the article its citations point into (the pair served when it was answered).

        ``extractive`` answers with the extractive answerer whatever ``ASSISTANT_ANSWERER`` says:
        deterministic and fast, for what asks many questions at once (suggested questions are checked
        by asking them; a reloaded chat replays its questions)."""
        cleaned = self.validate(question)
        turns = self._turns(history)
        ready = self._get_ready()
        inputs = {"question": cleaned, "history": turns}
        if extractive:
            return answer(self.extractive, ready.evidence_chain.invoke(inputs)), ready.article
        return ready.chain.invoke(inputs), ready.article

    def stream_with_article(
        self, question: str, history: Sequence[Turn] = (), *, extractive: bool = False
    ) -> Iterator[Partial | Answered]:
        """``ask_with_article`` as it happens: ``Partial`` texts while a model writes the answer (none
        from the extractive answerer), then ``Answered``, the checked answer and its article."""
        cleaned = self.validate(question)
        turns = self._turns(history)
        ready = self._get_ready()
        evidence = ready.evidence_chain.invoke({"question": cleaned, "history": turns})
        for item in stream_answer(self.extractive if extractive else self.answerer, evidence):
            yield Answered(item, ready.article) if isinstance(item, Answer) else item

    def close(self) -> None:
        """Stop holding the opened index: its vectors, passages and lexical index, and the embedded
        Chroma store it reads (kept by chromadb per folder until its last client closes), so a shelf of
        many articles holds only those it keeps open. A later call opens the index again.

        A call answering now keeps the pair it started with and finishes from it: the store is released
        when the last such call lets go of the pair's chain (a ``weakref.finalize``), not before. A Chroma
        server's client, or one given to the constructor, is left open: the index lives outside this
        process, or the client is shared."""
        with self._lock:
            ready, self._ready, self._refused = self._ready, None, None
        if ready is None or not isinstance(self.index_directory.store, FolderStores):
            return
        client = ready.index.client
        if callable(getattr(client, "close", None)):  # chromadb >= 1.1: releases its share of the store
            weakref.finalize(ready.evidence_chain, _close_store, client, ready.index.build_dir)


def _close_store(client: ClientAPI, build_dir: object) -> None:
    """Close a closed assistant's Chroma client; a failure costs memory, never an answer."""
    try:
        client.close()  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - runs from a finalizer: log, never raise
        logger.warning("could not close the Chroma store of %s: %r", build_dir, error)


@dataclass(frozen=True)
class Answered:
    """The end of a streamed answer: the checked answer, and the article its citations point into."""

    answer: Answer
    article: Article
