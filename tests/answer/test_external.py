"""Quality gate on articles nobody here wrote questions for: the shared SQuAD 2.0 articles, each with a
temporary index of its own, as `assistant eval --article` runs them.

Victoria is held out of `assistant tune`; complexity and southern_california are in its training
split. CI asks a fixed tenth of each set (``fixed_sample``: every tenth answerable and every tenth
unanswerable question: 26, 43 and 33 questions, so the whole suite fits its time on the slower CPUs);
``make eval`` (``pytest --full-eval``) asks all of them. Each floor sits at least one question under the
lower of the two figures a CPU of this kind can give: its own, and an AVX2 CPU's, whose saturating
integer kernels move the cross-encoder's scores by up to 0.5 logits (``benchmarks/cpu_spread.py``;
README, Development). A regression in ingest, retrieval, reranking or the decline model fails them.
Skipped when ../shared is not beside the repo.
"""

from __future__ import annotations

import pytest

from assistant.evaluation import article_assistant, evaluate, fixed_sample, load_golden_set
from tests.conftest import SHARED_DEV_SET

SQUAD2 = SHARED_DEV_SET.parent / "squad2"
SAMPLE_EVERY = 10

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SQUAD2.is_dir(), reason="shared/eval/squad2 is not beside the repo"),
]

# article: (evidence recall ≥, false declines ≤, unanswerables declined ≥); measured, this CPU / AVX2.
# Whole articles: this CPU for the fit of 2026-12-07 with negation_unmatched (not run whole under the AVX2
# kernel since: an earlier fit's whole-article figures were within a question of this CPU's on every
# set, so these floors keep two or more questions under this CPU's).
FULL_FLOORS = {
    "victoria": (0.93, 0.03, 0.11),  # 0.944, 0.016, 0.130 (16/123; 0.146 before negation_unmatched's refit)
    "southern_california": (0.90, 0.05, 0.10),  # 0.922, 0.033, 0.132
    "complexity": (0.86, 0.035, 0.22),  # 0.878, 0.020, 0.267 (59/221; 0.054 before negation_unmatched)
}
SAMPLE_FLOORS = {  # answerable / unanswerable questions in the sample: 13/13, 18/15, 20/23
    "victoria": (0.92, 0.08, 0.15),  # 1.000 / 1.000, 0.000 / 0.000, 0.231 (3/13) / 0.231
    "southern_california": (0.94, 0.06, 0.13),  # 1.000 / 1.000, 0.000 / 0.000, 0.200 (3/15) / 0.200
    "complexity": (0.80, 0.05, 0.17),  # 0.850 (17/20) / 0.850, 0.000 / 0.000, 0.261 (6/23) / 0.217 (5/23)
}


@pytest.mark.parametrize("name", sorted(FULL_FLOORS))
def test_an_external_article_meets_its_floors(name, full_eval, embeddings, reranker):
    items = load_golden_set(SQUAD2 / f"{name}.jsonl")
    recall, false_declines, declined = (FULL_FLOORS if full_eval else SAMPLE_FLOORS)[name]
    with article_assistant(SQUAD2 / f"{name}.txt", embeddings=embeddings, reranker=reranker) as assistant:
        report, _ = evaluate(assistant, items if full_eval else fixed_sample(items, SAMPLE_EVERY))
    assert report.verbatim_citations == 1.0
    assert report.mean_cited_chars <= 400
    assert report.evidence_recall >= recall
    assert report.false_decline_rate <= false_declines
    assert report.decline_accuracy >= declined
