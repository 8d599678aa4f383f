"""Issue 21's red-team list keeps holding: ``benchmarks/redteam.py --quick`` attacks two real `assistant
serve` processes (default settings; the scripted model server behind the second) and every check holds:
no lock-out, no 500, no traceback or path in a response, bounded state and feedback rows, no unchecked
word streamed from /v1. The full run, and the run behind nginx, are `make redteam` (figures in README)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.benchmark, pytest.mark.integration, pytest.mark.server]
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_red_team_check_holds_in_the_quick_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    common = importlib.import_module("common")
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(sys, "argv", ["redteam.py", "--quick"])
    try:
        importlib.import_module("redteam").main()
    except SystemExit as failed:  # the script's one line says which checks failed
        pytest.fail(f"redteam.py exited {failed.code}")
    figures = json.loads((tmp_path / "redteam.json").read_text())
    assert figures["failed_checks"] == 0
    assert figures["attacks"] == 11
    assert figures["lockouts"] == figures["http_500"] == figures["tracebacks"] == 0
    assert figures["responses_with_paths"] == 0
    assert figures["v1_words_not_in_answer"] == 0
