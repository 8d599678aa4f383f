"""The feature-holdout benchmark (``benchmarks/feature_holdout.py``, figures in README "Quality") stays
whole: it imports, splits a set in alternate halves, and its "without" run really zeroes the feature
the answerer computes. The run itself observes the training sets and fits four times (about 15
minutes); no model here (the parts below need none)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from tests.answer.fixture import evidence, towards

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def holdout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("feature_holdout")


def test_the_split_set_is_halved_alternately_and_the_others_are_left_whole(holdout) -> None:
    observations = [holdout.Observation(name, f"q{i}", None) for i, name in enumerate("aabaab")]
    first, second = holdout.halves(observations, "a")
    assert [o.item for o in first] == ["q0", "q3"] and [o.item for o in second] == ["q1", "q4"]


def test_without_the_feature_the_answerer_sees_it_zeroed(holdout) -> None:
    answerer = ExtractiveAnswerer(AnswerTemplates.load())
    asked = evidence("Which analysts do not expect further strikes?", towards(0, 0, 1), rerank=(-5, -5, 5))
    assert answerer.choose(asked).features["negation_unmatched"] == 1.0
    with holdout.without("negation_unmatched"):
        assert answerer.choose(asked).features["negation_unmatched"] == 0.0
    assert answerer.choose(asked).features["negation_unmatched"] == 1.0
