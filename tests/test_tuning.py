"""``assistant tune``'s fitting, on synthetic rows: fast, no model. The real fit is checked through the
shipped ``fitted.json`` (its provenance) and the quality gates of tests/answer/test_golden.py."""

from __future__ import annotations

import math

import numpy as np

from assistant.answer.extractive.weights import FEATURES, ExtractiveWeights, default_weights
from assistant.tuning import DECLINE_BUDGETS, auc, fit_decisions, fit_floor, fit_logistic, set_weights


def _row(rerank: float, answerable: bool, name: str = "a", **others: float) -> tuple[dict, bool, str]:
    features = dict.fromkeys(FEATURES, 0.0) | {"rerank": rerank} | others
    return features, answerable, name


def test_logistic_regression_learns_a_separating_direction_deterministically():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    first, intercept = fit_logistic(x, y)
    again, _ = fit_logistic(x, y)
    assert np.array_equal(first, again)
    assert first[0] > 0 > first[1] and abs(intercept) < 1.0


def test_every_set_weighs_the_same_however_long():
    rows = [_row(0, True, "long")] * 30 + [_row(0, True, "short")] * 3
    weights = set_weights(rows)
    assert math.isclose(weights[:30].sum(), weights[30:].sum())


def test_the_logit_floor_spends_only_its_budget_of_answerable_questions():
    rows = [_row(float(r), True) for r in range(-10, 10)] + [_row(-20.0, False)]
    weights = set_weights(rows)
    floor = fit_floor(rows, weights, budget=0.10)  # 2 of the 20 answerable questions
    declined = sum(1 for f, ok, _ in rows if ok and f["rerank"] < floor)
    assert declined == 2 and -9 < floor <= -8 + 1e-9


def test_the_fitted_rules_keep_false_declines_within_the_target():
    rng = np.random.default_rng(11)
    rows = [_row(float(r), True, "a", coverage=float(c)) for r, c in rng.normal([5, 0.7], [3, 0.2], (200, 2))]
    rows += [
        _row(float(r), False, "a", coverage=float(c)) for r, c in rng.normal([0, 0.4], [3, 0.2], (200, 2))
    ]
    floor, model = fit_decisions(rows, max_false_declines=0.05)
    declined = [not (f["rerank"] >= floor and model.probability(f) >= model.threshold) for f, _, _ in rows]
    false = sum(d for d, (_, ok, _) in zip(declined, rows, strict=True) if ok) / 200
    caught = sum(d for d, (_, ok, _) in zip(declined, rows, strict=True) if not ok) / 200
    assert false <= 0.05 and caught > 0.3


def test_a_feature_auc_is_the_chance_an_answerable_question_scores_higher():
    assert auc([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert auc([1.0, 2.0], [3.0, 4.0]) == 0.0
    assert auc([1.0, 3.0], [2.0, 2.0]) == 0.5
    assert auc([1.0], [1.0]) == 0.5
    assert auc([1.0], []) is None


def test_the_shipped_weights_come_from_assistant_tune_with_held_out_figures(tmp_path):
    weights = default_weights()
    assert weights.provenance["fitted_by"] == "assistant tune"
    held_out = weights.provenance["held_out"]
    assert {"squad2/victoria", "readers_holdout"} <= set(held_out)
    assert not set(held_out) & set(weights.provenance["train"])
    grid = weights.provenance["grid"]
    for name in ("follow_up_bonus", "follow_up_question_weight", "repeat_penalty", "author_view_bonus"):
        assert getattr(weights, name) in grid[name]  # each selection number is one its grid offered
    assert set(weights.provenance["pool_size_recall"]) == {"6", "8", "12", "16"}
    # The trade-off report refits the decline rules per target; at the shipped target it is the fit.
    sweep = weights.provenance["decline_budget"]
    assert set(sweep) == {f"{b:.2f}" for b in DECLINE_BUDGETS}
    at_target = sweep[f"{weights.provenance['max_false_declines']:.2f}"]
    for name, figures in held_out.items():
        assert math.isclose(at_target[name]["evidence_recall"], figures["evidence_recall"])
        assert math.isclose(at_target[name]["unanswerables_declined"], figures["unanswerables_declined"])
    # Features added after the fit are named, and off (coefficient 0) until `assistant tune` runs again.
    unfitted = weights.provenance.get("not_fitted", {}).get("features", [])
    assert set(weights.provenance["decline_feature_auc"]["squad2/victoria"]) | set(unfitted) == set(FEATURES)
    assert all(weights.decline.coefficients[FEATURES.index(name)] == 0.0 for name in unfitted)
    path = tmp_path / "fit.json"
    path.write_text(weights.to_json(), encoding="utf-8")
    assert ExtractiveWeights.load(path) == weights
