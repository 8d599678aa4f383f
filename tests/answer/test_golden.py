"""Quality gate on the default article: the sets `assistant tune` fits on (golden, readers_tune) and
those it never sees (holdout, readers_holdout, opinion_holdout, the shared dev set).

The thresholds are regression floors under what the answerer reaches today (README, Quality), at
least one question under the lower of the figures this CPU and an AVX2 CPU give (the cross-encoder's
INT8 kernels differ: ``benchmarks/cpu_spread.py``); the issue's bar is the target above them. The
shared dev set runs whole; the others run as fixed halves in CI (``fixed_sample``, so ``make test``
stays under 20 minutes on the slower CPU), whole in ``make eval``.
"""

from __future__ import annotations

import pytest

from assistant.evaluation import CHECKOUT_GOLDEN_SET, evaluate, fixed_sample, load_golden_set
from tests.conftest import SHARED_DEV_SET

HOLDOUT_SET = CHECKOUT_GOLDEN_SET.with_name("holdout.jsonl")
READERS_HOLDOUT_SET = CHECKOUT_GOLDEN_SET.with_name("readers_holdout.jsonl")
OPINION_HOLDOUT_SET = CHECKOUT_GOLDEN_SET.with_name("opinion_holdout.jsonl")

pytestmark = pytest.mark.integration


# evidence recall ≥, keywords ≥, unanswerables declined ≥, false declines ≤
# this CPU / AVX2 (the fit of 2026-12-07 with negation_unmatched): whole 0.960 (72/75) / 0.973, keywords
# 0.973, declines 0.652 (15/23) on both, false 0.013 (1/75) / 0.000; half 0.947 (36/38) / 0.974, declines
# 0.583 (7/12), false 0.026 / 0.000
FULL_FLOORS = (0.93, 0.88, 0.60, 0.03)
HALF_FLOORS = (0.92, 0.89, 0.49, 0.06)  # keywords 0.947 here


@pytest.fixture(scope="module")
def golden(assistant, full_eval):
    items = load_golden_set(CHECKOUT_GOLDEN_SET)
    report, results = evaluate(assistant, items if full_eval else fixed_sample(items, 2))
    return report, results, FULL_FLOORS if full_eval else HALF_FLOORS


def test_golden_set_is_large_and_varied():
    items = load_golden_set(CHECKOUT_GOLDEN_SET)
    assert len(items) >= 60
    assert sum(i.unanswerable for i in items) >= 15
    assert sum(bool(i.history) for i in items) >= 10


def test_every_citation_is_verbatim(golden):
    report, _, _ = golden
    assert report.verbatim_citations == 1.0


def test_golden_set_quality_floors(golden):
    report, _, (recall, keywords, declined, false_declines) = golden
    assert report.evidence_recall >= recall
    assert report.answer_keyword_accuracy >= keywords
    assert report.decline_accuracy >= declined
    assert report.false_decline_rate <= false_declines
    assert report.mean_cited_chars <= 400


def test_holdout_set_quality_floors(assistant, full_eval):
    """Written like the golden set, never fitted on: a fixed half in CI (the reader's-words sets below,
    which the engine finds harder, run whole), whole in ``make eval``."""
    items = load_golden_set(HOLDOUT_SET)
    report, _ = evaluate(assistant, items if full_eval else fixed_sample(items, 2))
    # both kernels: whole 0.963 (52/54; 0.944 before the follow-up bonus was refitted to 2, 0.926 before a
    # follow-up's windows were blended, 0.907 before follow-ups were scored for the question as asked
    # too), declines 0.750 (12/16), false 0.000; half 0.963 (26/27; 0.926, 0.889 before), declines 0.875
    # (7/8), false 0.000
    recall, declined, false_declines = (0.94, 0.68, 0.03) if full_eval else (0.92, 0.75, 0.04)
    assert report.evidence_recall >= recall
    assert report.decline_accuracy >= declined
    assert report.false_decline_rate <= false_declines
    assert report.verbatim_citations == 1.0


def test_readers_holdout_set_quality_floors(assistant, full_eval):
    """Questions as readers type them (lower case, typos, chatty, follow-ups), never fitted on: a fixed
    half in CI (the suite's time on the slower CPU), whole in ``make eval``."""
    items = load_golden_set(READERS_HOLDOUT_SET)
    report, _ = evaluate(assistant, items if full_eval else fixed_sample(items, 2))
    # whole, both kernels: recall 0.900 (36/40; 0.875 before a question about the author as a person
    # was searched with the byline's name, 0.850 before a follow-up's windows were blended); declines
    # 0.611 (11/18; 0.556 before topic_not_cited, 0.500 before detail_missing, 0.444 before
    # actor_not_cited, 0.389 on an AVX2 CPU under an earlier fit, when the old floor of 0.40 failed
    # there), false declines 0.025 (1/40). Half, both: 0.950 (19/20), declines 0.556 (5/9), false 0.000.
    recall, declined, false_declines = (0.87, 0.55, 0.06) if full_eval else (0.89, 0.44, 0.06)
    assert report.evidence_recall >= recall
    assert report.decline_accuracy >= declined
    assert report.false_decline_rate <= false_declines
    assert report.verbatim_citations == 1.0


def test_opinion_holdout_set_quality_floors(assistant, full_eval):
    """An opinion piece's reader (the author's view, follow-ups on the answer, near misses), never
    fitted on: a fixed half in CI, whole in ``make eval``. Low floors: they guard today's level (issue
    22 holds the bar), and every decline on topic there is "not stated", quoting what the article does
    say."""
    items = load_golden_set(OPINION_HOLDOUT_SET)
    report, results = evaluate(assistant, items if full_eval else fixed_sample(items, 2))
    # whole: recall 0.640 (16/25) here, 0.600 (15/25) on an AVX2 CPU (0.560 on both before a follow-up's
    # windows were blended, 0.520 before follow-ups were scored for the question as asked too), false
    # declines 0.040 (1/25), declines 0.636 on both (7/11; 0.545 before "the exact date" asked for a
    # calendar date, 0.364 before detail_missing, 0.182 before actor_not_cited); half, both kernels:
    # 0.692 (9/13), 0.077 (1/13), 0.500 (3/6; 0.333 before)
    recall, false_declines, declined = (0.55, 0.09, 0.54) if full_eval else (0.61, 0.16, 0.33)
    assert report.evidence_recall >= recall
    assert report.false_decline_rate <= false_declines
    assert report.decline_accuracy >= declined
    assert report.verbatim_citations == 1.0
    declined_on_topic = [r for r in results if not r.answerable and r.kind == "near_miss"]
    assert declined_on_topic and all(
        r.status == "not_stated" and r.answer.startswith("The article does not say.")
        for r in declined_on_topic
    )


@pytest.mark.skipif(not SHARED_DEV_SET.is_file(), reason="shared/eval/dev.jsonl is not beside the repo")
def test_shared_dev_set_quality(assistant):
    report, _ = evaluate(assistant, load_golden_set(SHARED_DEV_SET))
    # both kernels: 0.889 (16/18), declines 0.800 (4/5), false 0.000
    assert report.evidence_recall >= 0.83
    assert report.decline_accuracy >= 0.6
    assert report.false_decline_rate <= 0.06
    assert report.verbatim_citations == 1.0
