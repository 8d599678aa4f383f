"""Quality gate on articles nobody here wrote questions for: the shared SQuAD 2.0 articles, each with a
temporary index of its own, as `assistant eval --article` runs them.

Victoria is held out of `assistant tune`; complexity and southern_california are in its training
split. CI asks a fixed fifth of each set (``fixed_sample``: every fifth answerable and every fifth
unanswerable question: 50, 85 and 65 questions); ``make eval`` (``pytest --full-eval``) asks all of
them. Each floor sits at least one question under the lower of the two figures a CPU of this kind
can give: its own, and an AVX2 CPU's, whose saturating integer kernels move the cross-encoder's
scores by up to 0.5 logits (``benchmarks/cpu_spread.py``; README, Development). A regression in
ingest, retrieval, reranking or the decline model fails them. Skipped when ../shared is not beside
the repo.
"""

from __future__ import annotations

import pytest

from assistant.evaluation import article_assistant, evaluate, fixed_sample, load_golden_set
from tests.conftest import SHARED_DEV_SET

SQUAD2 = SHARED_DEV_SET.parent / "squad2"
SAMPLE_EVERY = 5

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SQUAD2.is_dir(), reason="shared/eval/squad2 is not beside the repo"),
]

# article: (evidence recall ≥, false declines ≤, unanswerables declined ≥); measured, this CPU / AVX2:
FULL_FLOORS = {
    "victoria": (0.93, 0.03, 0.12),  # 0.944 / 0.944, 0.016 / 0.016, 0.146 / 0.138
    "southern_california": (0.91, 0.045, 0.10),  # 0.922 / 0.922, 0.033 / 0.028, 0.125 / 0.125
    "complexity": (0.87, 0.03, 0.03),  # 0.888 / 0.888, 0.010 / 0.010, 0.050 / 0.050
}
SAMPLE_FLOORS = {  # answerable / unanswerable questions in the sample: 25/25, 36/29, 40/45
    "victoria": (0.95, 0.05, 0.11),  # 1.000 / 1.000, 0.000 / 0.000, 0.160 / 0.160
    "southern_california": (0.97, 0.03, 0.10),  # 1.000 / 1.000, 0.000 / 0.000, 0.138 / 0.138
    "complexity": (0.79, 0.03, 0.04),  # 0.825 / 0.825, 0.000 / 0.000, 0.067 / 0.067
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
