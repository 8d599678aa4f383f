"""Quality gate on articles nobody here wrote questions for: the shared SQuAD 2.0 articles, each with a
temporary index of its own, as `assistant eval --article` runs them.

Victoria is held out of `assistant tune`; complexity and southern_california are in its training
split. The floors sit just under what the engine reaches (README, Quality); a regression in ingest,
retrieval, reranking or the decline model fails them. Skipped when ../shared is not beside the repo.
"""

from __future__ import annotations

import pytest

from assistant.evaluation import article_assistant, evaluate, load_golden_set
from tests.conftest import SHARED_DEV_SET

SQUAD2 = SHARED_DEV_SET.parent / "squad2"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SQUAD2.is_dir(), reason="shared/eval/squad2 is not beside the repo"),
]

# article: (evidence recall ≥, false declines ≤, unanswerables declined ≥)
FLOORS = {
    "victoria": (0.93, 0.03, 0.12),
    "southern_california": (0.91, 0.045, 0.10),
    "complexity": (0.87, 0.03, 0.03),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_an_external_article_meets_its_floors(name):
    recall, false_declines, declined = FLOORS[name]
    with article_assistant(SQUAD2 / f"{name}.txt") as assistant:
        report, _ = evaluate(assistant, load_golden_set(SQUAD2 / f"{name}.jsonl"))
    assert report.verbatim_citations == 1.0
    assert report.mean_cited_chars <= 400
    assert report.evidence_recall >= recall
    assert report.false_decline_rate <= false_declines
    assert report.decline_accuracy >= declined
