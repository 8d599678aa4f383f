"""The judge's and the rewrite's pieces, alone: P(yes) from log-probabilities, the shipped combination,
its fit, the rewrite's reply and when one is asked for. Fast: no model, no server."""

from __future__ import annotations

import math

import pytest

from assistant.answer.extractive.weights import JUDGE_FEATURES, JudgeModel, logit
from assistant.answer.llm.judge import yes_probability
from assistant.answer.llm.standalone import cleaned_question, needs_rewrite
from assistant.retrieve.inputs import Question
from assistant.retrieve.query import rewritten_query
from assistant.schema import Turn
from assistant.tuning_judge import Judged, figures, fit_judge

HISTORY = (
    Turn(role="user", content="Who fired the missiles?"),
    Turn(role="assistant", content="The author writes: “Iran’s Revolutionary Guard fired six missiles.” [1]"),
)


def test_p_yes_weighs_yes_against_no_in_every_spelling():
    first = {"Yes": math.log(0.6), " yes": math.log(0.1), "No": math.log(0.2), "Maybe": math.log(0.1)}
    assert yes_probability(first) == pytest.approx(0.7 / 0.9)


def test_a_first_token_that_is_neither_yes_nor_no_is_no_judgement():
    assert yes_probability({"The": -0.1, "It": -2.0}) is None


def test_the_shipped_combination_loads_and_trusts_a_confident_yes_over_a_confident_no():
    model = JudgeModel.load()
    assert len(model.coefficients) == len(JUDGE_FEATURES)
    assert model.probability(0.8, 0.95) > model.probability(0.8, 0.05)
    assert model.provenance.get("fitted_by") == "assistant tune-judge"


def _row(set_name: str, unanswerable: bool, judge: float, engine: float = 0.7) -> Judged:
    found = not unanswerable
    return Judged(set_name, None, unanswerable, True, found, True, found, engine, judge, None, 1.0)


def test_the_fit_turns_away_no_more_training_answerables_than_its_budget():
    rows = [_row("a", False, 0.5 + i / 100) for i in range(50)]  # answerable: P(yes) 0.50-0.99
    rows += [_row("a", True, 0.3 + i / 100) for i in range(30)]  # unanswerable: P(yes) 0.30-0.59
    model = fit_judge(rows, max_added_false_declines=0.04, model_name="m")
    assert model.coefficients[JUDGE_FEATURES.index("judge")] > 0
    reached = figures(rows, model)
    assert reached["false_declines"] <= 0.04
    assert reached["unanswerables_declined"] > 0.5
    assert figures(rows, None)["unanswerables_declined"] == 0.0


def test_a_fit_whose_budget_the_engine_spent_never_turns_an_answer_away():
    rows = [_row("a", False, 0.9) for _ in range(10)] + [_row("a", True, 0.1) for _ in range(10)]
    engine_declined = Judged("a", None, False, False, False, False, False, None, None, None, None)
    model = fit_judge([*rows, engine_declined], max_added_false_declines=0.0, model_name="m")
    assert model.threshold == 0.0


def test_logit_stays_finite_at_certainty():
    assert math.isfinite(logit(0.0)) and math.isfinite(logit(1.0)) and logit(0.5) == 0.0


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("What did the Revolutionary Guard do next?", "What did the Revolutionary Guard do next?"),
        ("Standalone question: Why did Iran fire?", "Why did Iran fire?"),
        ('"Who said that Iran fired?"', "Who said that Iran fired?"),
        ("Why?\nBecause the article says so.", None),
        ("", None),
        ("x" * 400, None),
    ],
)
def test_the_rewrite_is_taken_only_as_one_short_question(reply, expected):
    assert cleaned_question(reply) == expected


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("why?", HISTORY, True),
        ("what did they do then?", HISTORY, True),
        ("why?", (), False),
        ("who is the author?", HISTORY, False),
        ("What did Donald Trump say about the Saudi arms deal in Riyadh?", HISTORY, False),
    ],
)
def test_only_a_follow_up_is_sent_to_be_rewritten(question, history, expected):
    assert needs_rewrite(Question(question, history)) is expected


def test_a_rewritten_follow_up_searches_for_the_rewrite_and_keeps_the_previous_answer():
    query = rewritten_query("why?", "Why did the Revolutionary Guard fire missiles?", HISTORY)
    assert query.question == "why?" and query.search_text.startswith("Why did the Revolutionary")
    assert query.is_follow_up and query.rewritten
    assert "missil" in query.own_weights and query.previous_answer == HISTORY[1].content


def test_the_shipped_judge_fit_is_reproduced_from_its_committed_rows():
    """``assistant tune-judge --from-rows`` on the rows the fit was made from (the 1.5B model's
    judgements, committed in benchmarks/fits) gives the shipped numbers: the fit is a script's."""
    from pathlib import Path

    from assistant.tuning_judge import fitted_with_report, read_rows

    rows = Path(__file__).resolve().parents[3] / "benchmarks/fits/judge_rows_qwen2.5-coder-1.5b.jsonl"
    shipped = JudgeModel.load()
    name, train, held_out = read_rows(rows)
    budget = shipped.provenance["max_added_false_declines"]
    refit = fitted_with_report(train, held_out, budget, name)  # type: ignore[arg-type]
    assert refit.model == shipped.model == "qwen2.5-coder-1.5b"
    assert refit.coefficients == pytest.approx(shipped.coefficients)
    assert refit.threshold == pytest.approx(shipped.threshold)
    assert refit.provenance["held_out"] == shipped.provenance["held_out"]


def test_the_judge_is_fitted_on_the_seed_training_sets_and_the_opinion_readers_tuning_half():
    """``assistant tune-judge`` splits as ``assistant tune`` does on the seed article, but fits on
    ``opinion_tune`` too (held out of the engine's fit); the committed rows were split so."""
    from pathlib import Path

    from assistant.tuning import default_sets
    from assistant.tuning_judge import read_rows, seed_sets

    checkout = Path(__file__).resolve().parents[3]
    train, held_out = seed_sets(*default_sets(checkout, checkout / "squad2"))
    assert "opinion_tune" in {s.name for s in train}
    assert "opinion_tune" not in {s.name for s in held_out} and "opinion_holdout" in {
        s.name for s in held_out
    }
    _, train_rows, held_out_rows = read_rows(checkout / "benchmarks/fits/judge_rows_qwen2.5-coder-1.5b.jsonl")
    assert list(dict.fromkeys(r.set_name for r in train_rows)) == [s.name for s in train]
    assert list(dict.fromkeys(r.set_name for r in held_out_rows)) == [s.name for s in held_out]
