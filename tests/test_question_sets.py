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
SETS = (
    "golden.jsonl",
    "holdout.jsonl",
    "readers_tune.jsonl",
    "readers_holdout.jsonl",
    "opinion_tune.jsonl",
    "opinion_holdout.jsonl",
)
ARTICLE = load_article(DEFAULT_ARTICLE)
SENTENCES = [s.text for s in split_article(ARTICLE)[0]]


@pytest.mark.parametrize("name", SETS)
def test_every_evidence_phrase_is_one_sentence_of_the_article_verbatim(name):
    for item in load_golden_set(DATA / name):
        for phrase in item.evidence:
            assert any(phrase in sentence for sentence in SENTENCES), f"{name} {item.id}: {phrase!r}"


@pytest.mark.parametrize("name", SETS[2:])
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


def test_the_opinion_readers_sets_are_split_by_kind_and_share_no_question():
    """Written as an opinion piece's reader asks: each kind of question half in the set `assistant
    tune` fits on, half in the held-out one."""
    tune, held = (load_golden_set(DATA / f"opinion_{split}.jsonl") for split in ("tune", "holdout"))
    assert len(tune) + len(held) >= 60
    assert not {i.question.lower() for i in tune} & {i.question.lower() for i in held}
    for kind in ("author_view", "follow_up", "near_miss", "plain"):
        counts = [sum(i.kind == kind for i in split) for split in (tune, held)]
        assert min(counts) >= 5 and abs(counts[0] - counts[1]) <= 1, (kind, counts)
    assert all(i.unanswerable == (i.kind == "near_miss") for i in (*tune, *held))
    assert sum(bool(i.history) for i in held if i.kind == "follow_up") >= 5


def test_right_is_declined_when_unanswerable_else_the_evidence_and_keywords():
    from assistant.evaluation import ItemResult, right_by_kind

    def result(kind: str, unanswerable: bool, answerable: bool, found: bool) -> ItemResult:
        return ItemResult("x", "q", unanswerable, answerable, found, found, True, 0, 0.0, "", kind=kind)

    results = [
        result("near_miss", True, False, False),
        result("near_miss", True, True, True),
        result("plain", False, True, True),
        result("plain", False, True, False),
        result("plain", False, False, False),
    ]
    assert [r.right for r in results] == [True, False, True, False, False]
    assert right_by_kind(results) == {"near_miss": 0.5, "plain": 1 / 3}
