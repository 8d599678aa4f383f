"""Issue 21's red-team run, ``benchmarks/redteam.py`` (`make redteam`), stays whole: it imports, and its
plan attacks every item of the list once. The run itself attacks two real `assistant serve` processes for
minutes (figures in README, Security); each item's regression test is in tests/web and tests/ui."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def redteam(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("redteam")


def test_the_plan_attacks_every_item_once(redteam) -> None:
    numbers = [number for number, *_ in redteam.DEFAULT_SERVER + redteam.LLM_SERVER]
    assert sorted(numbers) == list(range(1, 12))


def test_the_summary_names_the_issues_checks(redteam) -> None:
    """What the README's table reads: lock-outs, 500s, tracebacks, paths, the streamed words."""
    row = {
        "failures": [],
        "answered_during": True,
        "server_errors": 0,
        "tracebacks": 0,
        "paths": [],
        "largest_response_bytes": 10,
        "feedback_db_bytes": 4096,
        "longest_log_line": 80,
        "words_not_in_answer": 0,
    }
    attacks = {f"{n}_{name}": row for n, name, *_ in redteam.DEFAULT_SERVER + redteam.LLM_SERVER}
    summary = redteam.summary(attacks, {"rss_growth_mb": 1.0})
    assert summary["attacks"] == 11
    assert summary["failed_checks"] == summary["lockouts"] == summary["http_500"] == 0
    assert summary["v1_words_not_in_answer"] == 0
