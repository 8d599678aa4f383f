"""The retrieve stage over one opened index: a ``Question`` becomes the ``Evidence`` an answerer reads.

``understand`` mends the question's spelling against the article's words and makes it standalone
from the chat so far (``Query``). ``gather`` embeds the search text once (retrieval and the answerer
share the vector), runs hybrid retrieval, lets the cross-encoder rank a pool of candidate sentences
(``assistant.retrieve.candidates``) and the two-sentence windows around the best of them
(``assistant.retrieve.windows``), and hands all of it on as ``Evidence``.

The question's ``Cancel`` goes along in the ``Query``: each step checks it before it starts and the
cross-encoder before each pair, so an answer nobody waits for stops within one pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.documents import Document

from assistant.index.stores.build_collections import GuardedCollection
from assistant.retrieve.candidates import POOL_TUNING, candidate_pool, eligible_sentences
from assistant.retrieve.evidence import Evidence, RankedSentence, RetrievedPassage
from assistant.retrieve.hybrid import HybridRetriever, LexicalIndex
from assistant.retrieve.previous_answer import following
from assistant.retrieve.query import Query, rewritten_query, standalone_query
from assistant.retrieve.question import asks_about_article, mentions_the_page, naming_the_author
from assistant.retrieve.rerank import CrossEncoderReranker, reranker_dir
from assistant.retrieve.spelling import Speller, english_words
from assistant.retrieve.windows import RankedWindow, window_starts, window_text

if TYPE_CHECKING:
    from assistant.article import Article, Sentence
    from assistant.index.builds import OpenIndex
    from assistant.index.embedder import Embedder
    from assistant.retrieve.inputs import Question


@dataclass(frozen=True, eq=False)
class Retrieval:
    """What retrieving from one opened index needs: its article, sentences and their vectors, its
    overview, the hybrid retriever over its passages, a speller of its words, and the two models."""

    article: Article
    sentences: tuple[Sentence, ...]
    sentence_vectors: np.ndarray = field(repr=False)
    key_sentences: tuple[int, ...]
    retriever: HybridRetriever
    speller: Speller
    embeddings: Embedder
    reranker: CrossEncoderReranker

    @classmethod
    def over(
        cls,
        article: Article,
        index: OpenIndex,
        embeddings: Embedder,
        reranker: CrossEncoderReranker,
        k: int,
    ) -> Retrieval:
        """Retrieval from a build just opened, of the article it was built from: the lexical index
        and the speller are rebuilt in memory (both are small)."""
        passages = [Document(id=i, page_content=d, metadata=m) for i, d, m in index.passage_rows]
        retriever = HybridRetriever(
            collection=GuardedCollection(index.passages, index.store),
            lexical=LexicalIndex(passages),
            embeddings=embeddings,
            k=k,
        )
        speller = Speller((s.text for s in index.sentences), english_words(reranker_dir() / "vocab.txt"))
        return cls(
            article=article,
            sentences=index.sentences,
            sentence_vectors=index.sentence_vectors,
            key_sentences=tuple(index.manifest.key_sentences),
            retriever=retriever,
            speller=speller,
            embeddings=embeddings,
            reranker=reranker,
        )

    def understand(self, question: Question) -> Query:
        """Spelling mended against the article's words, then made standalone from the history; a
        question standing alone about the author as a person is searched with the byline's name."""
        question.cancel.check()
        mended = self.speller.correct(question.text)
        if question.standalone is not None:
            query = rewritten_query(mended, self.speller.correct(question.standalone), question.history)
        else:
            query = standalone_query(mended, question.history, stands_alone=asks_about_article)
        if not query.is_follow_up:
            query = replace(query, search_text=naming_the_author(query.search_text, self.article.author))
        return replace(query, cancel=question.cancel)

    def gather(self, query: Query) -> Evidence:
        """Embed the search text once (retrieval and the answerer share the vector), then let the
        cross-encoder rank the candidate sentences and the windows around the best of them."""
        query.cancel.check()
        vector = self.embeddings.embed_query_vector(query.search_text)
        passages = self.passages(query.search_text, vector)
        eligible = eligible_sentences(self.article, self.sentences, mentions_the_page(query.question))
        ranked = self.rank_sentences(query, vector, passages, eligible)
        return Evidence(
            query=query,
            article=self.article,
            passages=passages,
            sentences=self.sentences,
            sentence_vectors=self.sentence_vectors,
            query_vector=vector,
            ranked=ranked,
            key_sentences=self.key_sentences,
            windows=self.rank_windows(query, ranked, eligible),
        )

    def passages(self, search_text: str, vector: np.ndarray) -> tuple[RetrievedPassage, ...]:
        """The hybrid retriever's passages for the query, best first."""
        documents = self.retriever.search(search_text, vector)
        return tuple(RetrievedPassage.from_document(d, rank) for rank, d in enumerate(documents, 1))

    def rank_sentences(
        self, query: Query, vector: np.ndarray, passages: tuple[RetrievedPassage, ...], eligible: np.ndarray
    ) -> tuple[RankedSentence, ...]:
        """The candidate pool (dense and passage ranks fused) as the cross-encoder ranks it, best first.

        A follow-up (searched with the previous question borrowed, or as a model rewrote it) also
        puts the sentences after the previous answer's quotes in the pool, and has every candidate
        scored for the question as asked too (``RankedSentence.question_rerank``): the answerer
        weighs the two."""
        spans = [(p.first_sentence, p.last_sentence) for p in passages]
        pool = [(c.position, c.dense) for c in candidate_pool(eligible, self.sentence_vectors, vector, spans)]
        if query.is_follow_up:
            known = {position for position, _ in pool}
            pool += [
                (p, float(self.sentence_vectors[p] @ vector))
                for p in following(query.previous_answer, self.sentences)
                if eligible[p] and p not in known
            ]
        texts = [self.sentences[p].text for p, _ in pool]
        scores = self.reranker.score(query.search_text, texts, query.cancel)
        own = (
            self.reranker.score(query.question, texts, query.cancel)
            if query.is_follow_up
            else [None] * len(texts)
        )
        return tuple(
            sorted(
                (
                    RankedSentence(p, dense, float(r), None if q is None else float(q))
                    for (p, dense), r, q in zip(pool, scores, own, strict=True)
                ),
                key=lambda r: (-r.rerank, r.position),
            )
        )

    def rank_windows(
        self, query: Query, ranked: tuple[RankedSentence, ...], eligible: np.ndarray
    ) -> tuple[RankedWindow, ...]:
        """The two-sentence windows around the best ranked sentences, as the cross-encoder ranks them.

        A follow-up's windows lie around the best sentences by the mean of their two logits (search
        text, question as asked) and are scored for both texts too: the answerer blends a window's
        logits as it blends a sentence's, so a window only the borrowed context favours cannot
        outscore the answer."""
        best = ranked
        if query.is_follow_up:
            best = sorted(ranked, key=lambda r: (-(r.rerank + (r.question_rerank or 0.0)), r.position))
        around = [r.position for r in best[: POOL_TUNING.windows_around]]
        starts = window_starts(around, self.sentences, eligible)
        texts = [window_text(self.sentences, first) for first in starts]
        scores = self.reranker.score(query.search_text, texts, query.cancel)
        own = (
            self.reranker.score(query.question, texts, query.cancel)
            if query.is_follow_up
            else [None] * len(texts)
        )
        return tuple(
            sorted(
                (
                    RankedWindow(first, float(r), None if q is None else float(q))
                    for first, r, q in zip(starts, scores, own, strict=True)
                ),
                key=lambda w: (-w.rerank, w.first),
            )
        )

    def probe(self) -> None:
        """A search answers: the nearest passage to the first sentence's vector (``/healthz``)."""
        for vector in self.sentence_vectors[:1]:
            self.retriever.collection.query(query_embeddings=[vector], n_results=1, include=["distances"])
