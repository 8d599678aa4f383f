"""Our question sets stay true to the article: every evidence phrase is in it, verbatim, inside one
sentence, and every answer keyword is in the evidence. Fast: the article is only parsed and split."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation import load_golden_set
from assistant.ingest.parse import load_article
from assistant.ingest.split import split_article
from assistant.settings import DEFAULT_ARTICLE

DATA = Path(__file__).parent / "data"
SETS = ("golden.jsonl", "holdout.jsonl", "readers_tune.jsonl", "readers_holdout.jsonl")
ARTICLE = load_article(DEFAULT_ARTICLE)
SENTENCES = [s.text for s in split_article(ARTICLE)[0]]


@pytest.mark.parametrize("name", SETS)
def test_every_evidence_phrase_is_one_sentence_of_the_article_verbatim(name):
    for item in load_golden_set(DATA / name):
        for phrase in item.evidence:
            assert any(phrase in sentence for sentence in SENTENCES), f"{name} {item.id}: {phrase!r}"


@pytest.mark.parametrize("name", ("readers_tune.jsonl", "readers_holdout.jsonl"))
def test_answer_keywords_are_words_of_the_evidence(name):
    for item in load_golden_set(DATA / name):
        evidence = " ".join(item.evidence).lower()
        for group in item.answer:
            assert any(keyword in evidence for keyword in group), f"{name} {item.id}: {group}"


def test_the_fitting_and_held_out_splits_share_no_question():
    tune = {(i.question.lower(), tuple(i.history)) for i in load_golden_set(DATA / "readers_tune.jsonl")}
    held = {(i.question.lower(), tuple(i.history)) for i in load_golden_set(DATA / "readers_holdout.jsonl")}
    assert not tune & held
    assert len(tune) >= 100 and len(held) >= 50
