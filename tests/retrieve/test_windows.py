"""Which two-sentence windows the cross-encoder scores: neighbours in the same paragraph only, never
a sentence that may not be cited, each window once. Fast: no model."""

from __future__ import annotations

import dataclasses

import numpy as np

from assistant.retrieve.windows import RankedWindow, window_starts, window_text
from tests.answer.fixture import THREE_SENTENCES

ALL = np.ones(3, dtype=bool)


def test_each_neighbour_in_the_paragraph_forms_one_window():
    assert window_starts([1], THREE_SENTENCES, ALL) == [0, 1]
    assert window_starts([0, 1, 2], THREE_SENTENCES, ALL) == [0, 1]  # each window once


def test_no_window_crosses_a_paragraph_or_takes_a_sentence_not_citable():
    split = (THREE_SENTENCES[0], *(dataclasses.replace(s, block=1) for s in THREE_SENTENCES[1:]))
    assert window_starts([0], split, ALL) == []
    assert window_starts([1], split, ALL) == [1]
    assert window_starts([1], THREE_SENTENCES, np.array([True, True, False])) == [0]


def test_a_window_is_its_two_sentences_joined():
    first, second = THREE_SENTENCES[0].text, THREE_SENTENCES[1].text
    assert window_text(THREE_SENTENCES, 0) == f"{first} {second}"
    assert RankedWindow(0, 1.0).positions == (0, 1)


def test_a_lead_in_forms_a_window_with_the_quotation_set_apart_after_it():
    lead_in = dataclasses.replace(THREE_SENTENCES[0], text="According to the Revolutionary Guard,")
    quoted = (lead_in, *(dataclasses.replace(s, block=1) for s in THREE_SENTENCES[1:]))
    assert window_starts([1], quoted, ALL) == [0, 1]
