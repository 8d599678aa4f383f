"""The cross-encoder's pool: dense and passage rankings fused, the page's header never in it."""

from __future__ import annotations

import dataclasses

import numpy as np

from assistant.article import Voice
from assistant.retrieve.candidates import PoolTuning, candidate_pool, eligible_sentences
from tests.answer.fixture import ARTICLE, SENTENCE_VECTORS, THREE_SENTENCES, towards


def test_the_pool_holds_the_best_sentences_by_fused_rank_and_no_more_than_its_size():
    everything = np.ones(3, dtype=bool)
    pool = candidate_pool(everything, SENTENCE_VECTORS, towards(0.2, 1, 0.5), [(2, 2)], PoolTuning(size=2))
    # dense alone ranks 1, 2, 0; sentence 2's passage ranks first, which lifts it above 1
    assert [entry.position for entry in pool] == [2, 1]
    assert np.isclose(pool[1].dense, float(SENTENCE_VECTORS[1] @ towards(0.2, 1, 0.5)))


def test_sentences_not_eligible_never_enter_the_pool():
    only_first = np.array([True, False, False])
    pool = candidate_pool(only_first, SENTENCE_VECTORS, towards(0, 1), [(0, 2)])
    assert [entry.position for entry in pool] == [0]
    assert candidate_pool(np.zeros(3, dtype=bool), SENTENCE_VECTORS, towards(1), []) == []


def test_eligible_sentences_are_all_but_the_header_unless_the_page_is_asked_about():
    header = dataclasses.replace(THREE_SENTENCES[0], voice=Voice.METADATA)
    sentences = (header, *THREE_SENTENCES[1:])
    assert eligible_sentences(ARTICLE, sentences, with_page=False).tolist() == [False, True, True]
    assert eligible_sentences(ARTICLE, sentences, with_page=True).tolist() == [True, True, True]
