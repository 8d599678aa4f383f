"""The command line as a user runs it (typer's CliRunner), on a real index."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.schema import AskResponse

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture()
def index_env(monkeypatch, assistant, index_dir):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_dir))


def test_index_reports_up_to_date(index_env):
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0
    assert "Index is up to date" in result.output


def test_ask_prints_answer_and_numbered_quoted_sources(index_env):
    result = runner.invoke(app, ["ask", "Which agency also cited General Ramazan Sharif?"])
    assert result.exit_code == 0
    assert "[1]" in result.output and "Sources:" in result.output
    assert "(also cited by AP)" in result.output


def test_ask_json_matches_the_api_shape(index_env, assistant):
    result = runner.invoke(app, ["ask", "--json", "When was the article published on Global Research?"])
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    fields = {"answer", "answerable", "status", "citations", "answered_by", "guardrail_notes", "notice"}
    assert set(body) == set(AskResponse.model_fields) | set(AskResponse.model_computed_fields) == fields
    assert body["answerable"] is True and body["answered_by"] == "extractive"
    for citation in body["citations"]:
        assert assistant.article.text[citation["start"] : citation["end"]] == citation["text"]


def test_empty_question_exits_1_with_message(index_env):
    result = runner.invoke(app, ["ask", "  "])
    assert result.exit_code == 1
    assert "the question is empty" in result.output
    assert "Traceback" not in result.output


def test_bad_setting_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv("ASSISTANT_RETRIEVAL_K", "zero")
    result = runner.invoke(app, ["ask", "Who wrote it?"])
    assert result.exit_code == 1
    assert "ASSISTANT_RETRIEVAL_K" in result.output and "'zero'" in result.output


def test_eval_prints_the_figures(index_env, tmp_path):
    golden = tmp_path / "tiny.jsonl"
    golden.write_text(
        '{"id": "t1", "question": "Which agency also cited General Ramazan Sharif?", '
        '"evidence": ["(also cited by AP)"], "answer": [["ap"]]}\n'
        '{"id": "t2", "question": "What is the capital of Australia?", "unanswerable": true}\n'
    )
    result = runner.invoke(app, ["eval", str(golden)])
    assert result.exit_code == 0, result.output
    assert "evidence recall          1.000" in result.output
    assert "decline accuracy         1.000" in result.output
