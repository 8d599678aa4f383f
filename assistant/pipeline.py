"""The one entry point every surface calls: ``Assistant.ask(question, history) -> Answer``.

The chain is LCEL: condense the follow-up into a standalone query → embed it once → hybrid
retrieval → ``Evidence`` → the answerer ``ASSISTANT_ANSWERER`` names (``assistant.answer.factory``),
whose citations ``assistant.answer.citations`` builds and checks. Opening is lazy and thread-safe,
so importing this module costs nothing.

This module only wires the stages: the question is checked (``assistant.retrieve.inputs``), read and
turned into ``Evidence`` (``assistant.retrieve.stage.Retrieval``: ``understand`` then ``gather``), and
answered (``assistant.answer.base.answer``); the article and the index built from it are served as
one pair (``assistant.index.served.ServedIndex``), which follows rebuilds by other processes.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.base import Partial, answer, stream_answer
from assistant.answer.factory import make_answerer, make_extractive, make_question_writer
from assistant.article import Article, Sentence
from assistant.cancellation import Cancel
from assistant.errors import IndexUnavailable
from assistant.index.builds import IndexDirectory, OpenIndex, Progress, silent
from assistant.index.embedder import Embedder
from assistant.index.embeddings import MiniLMEmbeddings
from assistant.index.served import ServedIndex, read_article
from assistant.index.stores.base import LOCK_WAIT
from assistant.index.stores.factory import chroma_store
from assistant.retrieve.evidence import Evidence
from assistant.retrieve.inputs import Question, recent_turns, valid_question
from assistant.retrieve.rerank import CrossEncoderReranker
from assistant.retrieve.stage import Retrieval
from assistant.schema import Answer, Turn
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stages:
    """What answers from one served pair: its retrieve stage, and the chains over it."""

    retrieval: Retrieval
    evidence_chain: Runnable
    """``Question`` → ``Evidence``: ``Retrieval.understand``, then ``Retrieval.gather``."""
    model_evidence_chain: Runnable
    """The evidence chain after a model rewrote a follow-up to stand alone, when one is configured
    (``assistant.answer.llm.standalone``); else the evidence chain itself."""
    chain: Runnable
    """``Question`` → ``Answer``: the model's evidence chain, then the configured answerer."""


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
        self.reranker = reranker or CrossEncoderReranker(max_query_tokens=self.settings.rerank_query_tokens)
        self.extractive = make_extractive(self.settings)
        self.answerer = make_answerer(self.settings, self.extractive)
        self.question_writer = make_question_writer(self.settings, self.answerer)
        article = read_article(self.settings)
        self.index_directory = IndexDirectory(
            self.settings.index_dir, chroma_store(self.settings.chroma_url, chroma_client), scope
        )
        self.served: ServedIndex[Stages] = ServedIndex(
            article, self.index_directory, self.settings, self.embeddings, self._stages
        )
        self._probe_lock = threading.Lock()
        self._probe: Future[None] | None = None

    @property
    def article(self) -> Article:
        """The article answers come from: the one the served index was built from (follows swaps).

        Read it anew for every page rendered; ``ask_with_article`` returns an answer together with the
        article its citations point into, should a swap happen in between.
        """
        return self.served.article

    def build_index(self, rebuild: bool = False, progress: Progress = silent) -> bool:
        """Build the index of the article file if it is missing, stale or damaged (or always, with
        ``rebuild``); True if built."""
        return self.served.build(rebuild, progress)

    def open(self, progress: Progress = silent) -> None:
        """Build if needed, open the index and warm the model, so the first question is fast."""
        self.served.get(progress)
        self.embeddings.embed_query_vector("warm-up")
        self.reranker.score("warm-up", ["warm-up"])

    def check(self) -> None:
        """Probe what answering needs: the store is readable and whole, a search answers, the model
        embeds a text, and the served pair is the current build. Raises what is wrong."""
        served = self.served.get()
        served.index.store.check(min(LOCK_WAIT, self.settings.health_timeout / 2))
        served.stages.retrieval.probe()
        self.embeddings.probe()
        self.reranker.probe()
        refusal = self.served.refusal
        if refusal is not None:
            raise IndexUnavailable(refusal)

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

    def _stages(self, article: Article, index: OpenIndex) -> Stages:
        """The stages over a pair just opened, wired as LCEL chains of named steps."""
        retrieval = Retrieval.over(article, index, self.embeddings, self.reranker, self.settings.retrieval_k)
        # A plain sequence, not RunnableParallel: parallel branches run in a thread pool, and moving
        # the model call onto another thread costs more than the whole rest of the chain.
        evidence_chain = RunnableLambda(retrieval.understand) | RunnableLambda(retrieval.gather)
        model_evidence_chain = evidence_chain
        if self.question_writer is not None:
            standalone = RunnableLambda(self.question_writer.rewrite, name="standalone_question")
            model_evidence_chain = standalone | evidence_chain
        chain = model_evidence_chain | RunnableLambda(partial(answer, self.answerer), name="answer")
        return Stages(retrieval, evidence_chain, model_evidence_chain, chain)

    def validate(self, question: str) -> str:
        return valid_question(question, self.settings.max_question_chars)

    def _question(self, question: str, history: Sequence[Turn], cancel: Cancel | None = None) -> Question:
        """The question checked, with the recent history cleaned and bounded as every answer sees it,
        carrying ``cancel`` (none given: it is never cancelled) through the stages."""
        cleaned = self.validate(question)
        limit = self.settings.max_question_chars
        turns = recent_turns(history, self.settings.max_history_turns, limit)
        return Question(cleaned, turns, cancel or Cancel())

    def contents(self) -> tuple[Article, tuple[Sentence, ...], tuple[int, ...]]:
        """The served article, its citable sentences in order and their key ones (best first), read
        as one snapshot: what suggested questions are made from, without any question asked."""
        served = self.served.get()
        return served.article, served.index.sentences, tuple(served.index.manifest.key_sentences)

    def evidence(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        cancel: Cancel | None = None,
        with_model: bool = False,
    ) -> Evidence:
        """What the answerer would be given for this question: ``assistant tune`` fits on it;
        ``with_model``: after a configured model rewrote a follow-up (``assistant tune-judge``)."""
        asked = self._question(question, history, cancel)
        stages = self.served.get().stages
        return (stages.model_evidence_chain if with_model else stages.evidence_chain).invoke(asked)

    def ask(self, question: str, history: Sequence[Turn] = (), *, cancel: Cancel | None = None) -> Answer:
        """Answer from the article, citing it; declines (answerable=False) when it does not say."""
        return self.ask_with_article(question, history, cancel=cancel)[0]

    def ask_with_article(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        extractive: bool = False,
        cancel: Cancel | None = None,
    ) -> tuple[Answer, Article]:
        """``ask``, and the article its citations point into (the pair served when it was answered).

        ``extractive`` answers with the extractive answerer whatever ``ASSISTANT_ANSWERER`` says:
        deterministic and fast, for what asks many questions at once (suggested questions are checked
        by asking them; a reloaded chat replays its questions). ``cancel``: the work stops (raising
        ``AnswerTimeout`` or ``AnswerCancelled``) once it passes its deadline or is cancelled."""
        asked = self._question(question, history, cancel)
        served = self.served.get()
        if extractive:
            return answer(self.extractive, served.stages.evidence_chain.invoke(asked)), served.article
        return served.stages.chain.invoke(asked), served.article

    def stream_with_article(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        extractive: bool = False,
        cancel: Cancel | None = None,
    ) -> Iterator[Partial | Answered]:
        """``ask_with_article`` as it happens: ``Partial`` texts while a model writes the answer (none
        from the extractive answerer), then ``Answered``, the checked answer and its article."""
        asked = self._question(question, history, cancel)
        served = self.served.get()
        chain = served.stages.evidence_chain if extractive else served.stages.model_evidence_chain
        evidence = chain.invoke(asked)
        for item in stream_answer(self.extractive if extractive else self.answerer, evidence):
            yield Answered(item, served.article) if isinstance(item, Answer) else item

    def close(self) -> None:
        """Stop holding the opened index: its vectors, passages and lexical index, and the embedded
        Chroma store it reads (kept by chromadb per folder until its last client closes), so a shelf of
        many articles holds only those it keeps open. A later call opens the index again.

        A call answering now keeps the pair it started with and finishes from it: the store is released
        when the last such call lets go of the pair's chain (a ``weakref.finalize``), not before. A Chroma
        server's client, or one given to the constructor, is left open: the index lives outside this
        process, or the client is shared."""
        ready = self.served.release()
        if ready is None or not self.index_directory.store.client_per_build:
            return
        client = ready.index.client
        if callable(getattr(client, "close", None)):  # chromadb >= 1.1: releases its share of the store
            weakref.finalize(ready.stages.evidence_chain, _close_store, client, ready.index.build_dir)


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
