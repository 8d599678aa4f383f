"""The peer baselines benchmark (benchmarks/peer.py): its decline rule, and its command on a tiny article.

The command runs the real MiniLM model, Chroma and the cross-encoder; figures that depend on the models
are reported, not asserted, except where the article is too short for them to matter.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.peer import decline_threshold

ROOT = Path(__file__).resolve().parents[1]

ARTICLE = """The Lighthouse at Marrow Point

The lighthouse at Marrow Point was built in 1871 by the harbour board of the town of Calder.

Its lamp burned whale oil until 1904, when it was converted to kerosene. An electric lamp followed in 1931.

The last keeper, Agnes Moir, left the tower in 1968, after the light was automated.

Today the tower is a museum, open to visitors from April to October.
"""

QUESTIONS = [
    {"id": "q1", "question": "When was the lighthouse built?", "evidence": ["built in 1871"]},
    {"id": "q2", "question": "Who was the last keeper?", "evidence": ["Agnes Moir"], "history": ["Hi"]},
    {"id": "q3", "question": "How tall is the lighthouse?", "unanswerable": True},
]


def test_decline_threshold_allows_at_most_five_percent_false_declines():
    scores = [float(n) for n in range(40)]  # 40 answerable questions: two may be declined
    threshold = decline_threshold([*scores, -5.0], [False] * 40 + [True])
    assert threshold == 2.0
    assert sum(s < threshold for s in scores) == 2


def test_decline_threshold_without_answerable_questions_declines_everything():
    assert decline_threshold([1.0, 2.0], [True, True]) == math.inf


@pytest.mark.integration
@pytest.mark.benchmark
def test_peer_command_prints_one_row_per_baseline_and_writes_them(tmp_path):
    article = tmp_path / "lighthouse.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    questions = tmp_path / "lighthouse.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    written = tmp_path / "peer.json"

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.peer",
            "--article",
            str(article),
            str(questions),
            "--json",
            str(written),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=300,
        capture_output=True,
        text=True,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("|")]
    rows = json.loads(written.read_text())["rows"]
    baselines = [row["baseline"] for row in rows]
    assert baselines == [
        "LangChain tutorial, 1000/200 chunks, top-1",
        "LangChain tutorial, 1000/200 chunks, top-4",
        "LangChain tutorial, 300/50 chunks, top-2",
        "Plain reranker, top-1",
        "Plain reranker, top-2",
        "Plain reranker, top-2, declining below a threshold",
    ]
    assert len(table) == 2 + len(rows)  # header, rule, one line per row
    assert all(row["article"] == "lighthouse" and row["questions"] == 3 for row in rows)
    assert all(row["answerable"] == 2 and 0.0 <= row["evidence_recall"] <= 1.0 for row in rows)
    # The article fits in one 1000-character chunk, so the tutorial's top chunk holds every answer.
    assert rows[0]["evidence_recall"] == 1.0
    assert all(row["false_declines"] is None and row["unanswerables_declined"] == 0.0 for row in rows[:5])
    declining = rows[5]
    assert declining["false_declines"] == 0.0  # 5 % of two questions is none
    assert isinstance(declining["decline_threshold"], float)
