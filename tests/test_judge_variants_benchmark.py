"""The judge-variants benchmark (``benchmarks/judge_variants.py``, figures in README "The model as judge")
stays whole: it imports, its few-shot prompt puts the worked examples before the question asked, and
each variant's judgements land on the rows they were asked for. The run itself asks the 1.5B model for
about 25 minutes; no model here (the parts below need none)."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answer.llm.judge import JudgePrompt
from assistant.article import Sentence, Voice
from assistant.tuning_judge import Judged

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def variants(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("judge_variants")


def test_the_few_shot_prompt_shows_its_examples_before_the_question(variants) -> None:
    shipped = JudgePrompt.load()
    sentence = Sentence("s0", 0, 0, 0, 23, "The strike hit a depot.", None, None, Voice.AUTHOR)
    messages = variants.FewShotPrompt(shipped.system, shipped.user).messages("What was hit?", [sentence])
    assert messages[0] == {"role": "system", "content": shipped.system}
    assert [m["role"] for m in messages[1:-1]] == ["user", "assistant"] * len(variants.SHOTS)
    assert {m["content"] for m in messages[2:-1:2]} == {"Yes", "No"}
    assert "What was hit?" in messages[-1]["content"] and "The strike hit a depot." in messages[-1]["content"]


def test_each_variants_judgements_land_on_the_rows_it_judged(variants) -> None:
    row = Judged("s", None, False, True, True, True, True, None, None, None, None)
    rows = [replace(row, engine=0.9), row, replace(row, engine=0.4)]  # the engine declined the second
    judged = variants._as_judged_by(rows, [0.8, 0.1])
    assert [r.judge for r in judged] == [0.8, None, 0.1]
    assert variants._auc([0.9, 0.8], [0.1]) == 1.0 and variants._auc([0.5], [0.5]) == 0.5
