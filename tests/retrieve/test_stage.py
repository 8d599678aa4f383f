"""The retrieve stage over a real index of the default article (fake embedder, in-memory Chroma): the
question is read, the pool and the windows around its best are ranked by the scorer's scores, and
all of it becomes ``Evidence``. A scripted scorer stands in for the cross-encoder, so the order is
known; what the real one ranks is the integration tier's (``tests/answer/test_golden.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.article import Voice
from assistant.cancellation import Cancel
from assistant.errors import AnswerCancelled, AnswerTimeout
from assistant.index.builds import IndexDirectory, silent
from assistant.index.stores.factory import chroma_store
from assistant.ingest.parse import load_article
from assistant.retrieve.candidates import POOL_TUNING
from assistant.retrieve.inputs import Question
from assistant.retrieve.stage import Retrieval
from assistant.retrieve.text import terms
from assistant.retrieve.windows import window_text
from assistant.schema import Turn
from assistant.settings import DEFAULT_ARTICLE
from tests.index.fakes import HashingEmbedder

K = 10


class ScriptedScorer:
    """Scores a (query, text) pair by the query's words the text holds, longer texts a little less;
    records every call, as the cross-encoder would be called."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, query: str, passages: Sequence[str], cancel: Cancel | None = None) -> np.ndarray:
        if cancel is not None:
            cancel.check()
        self.calls.append((query, list(passages)))
        asked = set(terms(query))
        return np.array([len(asked & set(terms(p))) - len(p) / 1000 for p in passages], dtype=np.float32)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    directory = IndexDirectory(tmp_path_factory.mktemp("stage") / "index", chroma_store(client=client))
    article = load_article(DEFAULT_ARTICLE)
    directory.build(article, HashingEmbedder(), silent)
    yield article, directory.open()


@pytest.fixture()
def retrieval(built) -> Retrieval:
    article, index = built
    return Retrieval.over(article, index, HashingEmbedder(), ScriptedScorer(), K)


def test_understand_mends_spelling_and_borrows_the_subject_of_a_follow_up(retrieval):
    alone = retrieval.understand(Question("Which provinces were the misiles fired from?"))
    assert alone.question == "Which provinces were the missiles fired from?"
    assert not alone.is_follow_up

    earlier = (Turn(role="user", content="How many people were killed in the Tehran attack?"),)
    follow_up = retrieval.understand(Question("And how many were injured?", earlier))
    assert follow_up.is_follow_up and "Tehran" in follow_up.search_text


def test_a_question_about_the_article_itself_stands_alone_whatever_came_before(retrieval):
    earlier = (Turn(role="user", content="Which provinces were the missiles fired from?"),)
    assert not retrieval.understand(Question("Who wrote it?", earlier)).is_follow_up


def test_a_question_about_the_author_as_a_person_is_searched_with_the_bylines_name(retrieval, built):
    article, _ = built
    alone = retrieval.understand(Question("does the author have a radio show?"))
    assert alone.question == "does the author have a radio show?"
    assert alone.search_text == f"does {article.author} have a radio show?"
    assert not alone.is_follow_up  # the reader's own words, nothing borrowed

    earlier = (Turn(role="user", content="Who fired the missiles?"),)
    follow_up = retrieval.understand(Question("and does the author have a radio show?", earlier))
    assert follow_up.is_follow_up and article.author not in follow_up.search_text


def test_gather_ranks_the_pool_by_the_scores_and_hands_on_what_retrieval_found(retrieval, built):
    _, index = built
    query = retrieval.understand(Question("Which provinces were the missiles fired from?"))
    evidence = retrieval.gather(query)

    scorer: ScriptedScorer = retrieval.reranker  # type: ignore[assignment]
    (asked, pool), _windows = scorer.calls
    assert asked == query.search_text and 0 < len(pool) <= POOL_TUNING.size
    scored = dict(zip(pool, scorer.score(asked, pool).tolist(), strict=True))
    ranked = [(evidence.sentences[r.position].text, r.rerank) for r in evidence.ranked]
    assert sorted(ranked) == sorted(scored.items())  # every pool sentence, with its score
    assert [r.rerank for r in evidence.ranked] == sorted((r.rerank for r in evidence.ranked), reverse=True)
    assert all(evidence.sentences[r.position].voice is not Voice.METADATA for r in evidence.ranked)

    assert np.array_equal(evidence.query_vector, HashingEmbedder().embed_query_vector(query.search_text))
    assert [p.rank for p in evidence.passages] == list(range(1, len(evidence.passages) + 1)) and len(
        evidence.passages
    ) == min(K, len(index.passage_rows))
    assert evidence.key_sentences == tuple(index.manifest.key_sentences)
    assert evidence.sentences is index.sentences and evidence.article is retrieval.article


def test_gather_scores_the_windows_around_the_best_ranked_and_ranks_them(retrieval):
    evidence = retrieval.gather(retrieval.understand(Question("Why did Iran fire the missiles?")))
    scorer: ScriptedScorer = retrieval.reranker  # type: ignore[assignment]
    _, (asked, texts) = scorer.calls
    best = {r.position for r in evidence.ranked[: POOL_TUNING.windows_around]}
    assert texts and len(evidence.windows) == len(texts)
    for window in evidence.windows:
        assert best & set(window.positions)
        text = window_text(evidence.sentences, window.first)
        assert text in texts
        assert window.rerank == float(scorer.score(asked, [text])[0])
    assert [w.rerank for w in evidence.windows] == sorted((w.rerank for w in evidence.windows), reverse=True)


def test_the_header_joins_the_pool_when_the_question_names_a_part_of_the_page(retrieval):
    evidence = retrieval.gather(retrieval.understand(Question("Who is the author of this article?")))
    assert any(evidence.sentences[r.position].voice is Voice.METADATA for r in evidence.ranked)


def test_a_question_nobody_waits_for_goes_no_further(retrieval):
    """Its ``Cancel`` goes into the query; each step checks it, and the scorer is handed it."""
    cancel = Cancel()
    query = retrieval.understand(Question("Why did Iran fire the missiles?", cancel=cancel))
    assert query.cancel is cancel
    cancel.cancel("the client closed its connection")
    with pytest.raises(AnswerCancelled, match="client closed"):
        retrieval.gather(query)
    with pytest.raises(AnswerTimeout):
        retrieval.understand(Question("Why?", cancel=Cancel(0.0)))
    scorer: ScriptedScorer = retrieval.reranker  # type: ignore[assignment]
    assert scorer.calls == []


def test_probe_searches_the_store(retrieval):
    retrieval.probe()  # raises when the store cannot answer a search


def test_a_follow_up_is_scored_for_the_question_as_asked_too_with_what_follows_the_previous_answer(
    retrieval,
):
    """The previous answer quoted a sentence: the next two of its section join the pool, and every
    candidate is scored twice, for the search text (the previous question borrowed) and for the
    reader's own words alone (so is a model's rewrite of it). A question with its own subject is
    scored once, as before."""
    sentences = retrieval.sentences
    quoted = next(
        s
        for s in sentences
        if s.voice is Voice.AUTHOR
        and all(
            n.section == s.section and n.voice is not Voice.METADATA
            for n in sentences[s.position + 1 : s.position + 3]
        )
    )
    history = (
        Turn(role="user", content="Which provinces were the missiles fired from?"),
        Turn(role="assistant", content=f"The author writes: “{quoted.text}” [1]"),
    )
    query = retrieval.understand(Question("And how did they justify that?", history))
    assert query.is_follow_up
    evidence = retrieval.gather(query)

    scorer: ScriptedScorer = retrieval.reranker  # type: ignore[assignment]
    (searched, pool), (asked, again), (window_search, windows), (window_asked, windows_again) = scorer.calls
    assert searched == query.search_text and asked == query.question and again == pool
    positions = {r.position for r in evidence.ranked}
    assert {quoted.position + 1, quoted.position + 2} <= positions
    for r in evidence.ranked:
        text = sentences[r.position].text
        assert r.rerank == float(scorer.score(searched, [text])[0])
        assert r.question_rerank == float(scorer.score(asked, [text])[0])
    # Its windows lie around the best by the mean of both scores, and are scored for both texts too.
    assert (window_search, window_asked, windows_again) == (searched, asked, windows)
    by_mean = sorted(evidence.ranked, key=lambda r: (-(r.rerank + r.question_rerank), r.position))
    best = {r.position for r in by_mean[: POOL_TUNING.windows_around]}
    for window in evidence.windows:
        assert best & set(window.positions)
        text = window_text(sentences, window.first)
        assert window.rerank == float(scorer.score(searched, [text])[0])
        assert window.question_rerank == float(scorer.score(asked, [text])[0])

    scorer.calls.clear()
    standalone = "How did Washington justify shooting down the Syrian jet?"
    rewritten = retrieval.understand(
        Question("And how did they justify that?", history, standalone=standalone)
    )
    retrieval.gather(rewritten)
    (searched, pool), (asked, again), *_windows = scorer.calls
    assert (searched, asked, again) == (standalone, "And how did they justify that?", pool)

    scorer.calls.clear()
    alone = retrieval.gather(
        retrieval.understand(Question("What did the Revolutionary Guard announce?", history))
    )
    assert len(scorer.calls) == 2  # the pool, then the windows
    assert all(r.question_rerank is None for r in alone.ranked)
    assert all(w.question_rerank is None for w in alone.windows)
