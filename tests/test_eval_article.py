"""`assistant eval --article PATH FILE` runs a set against any article, as the installed command does.

The article gets an index of its own in a temporary folder, removed afterwards; the configured index
(``ASSISTANT_INDEX_DIR``) is not touched. A bad path is one ``Error:`` line and exit 1,
before any model loads (checked in-process, as tests/test_cli_errors.py checks `ask`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.test_cli_errors import assert_one_error_line

ASSISTANT = Path(sys.executable).with_name("assistant")
ARTICLE = Path(__file__).parent / "ingest" / "articles" / "lighthouse.txt"
QUESTIONS = [
    {
        "id": "lit",
        "question": "When was the lighthouse first lit?",
        "evidence": ["first lit in 1868"],
        "answer": [["1868"]],
    },
    {
        "id": "tall",
        "question": "How tall is the tower?",
        "evidence": ["31 metres tall"],
        "answer": [["31 metres"]],
    },
    {"id": "off-topic", "question": "What is the capital of Peru?", "unanswerable": True},
]
TIMEOUT = 180
runner = CliRunner()


@pytest.fixture()
def question_set(tmp_path: Path) -> Path:
    path = tmp_path / "lighthouse.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


def _eval(*arguments: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The installed command, with a configured index and a temporary folder it must leave alone."""
    scratch = folder / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_INDEX_DIR": str(folder / "configured-index"), "TMPDIR": str(scratch)}
    return subprocess.run(
        [str(ASSISTANT), "eval", *arguments],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.integration
def test_eval_article_scores_the_set_on_a_temporary_index_it_removes(tmp_path, question_set):
    result = _eval("--article", str(ARTICLE), str(question_set), "--json", folder=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["report"]["questions"] == 3
    assert [item["id"] for item in report["items"]] == ["lit", "tall", "off-topic"]
    assert report["report"]["verbatim_citations"] == 1.0
    lit = report["items"][0]
    assert lit["answerable"] and lit["evidence_found"] and "1868" in lit["answer"]
    assert "Building a temporary index" in result.stderr
    assert not (tmp_path / "configured-index").exists()
    assert list((tmp_path / "tmp").glob("assistant-eval-*")) == []  # the temporary index is gone


@pytest.mark.integration
def test_eval_article_limit_runs_the_first_questions_and_prints_the_table(tmp_path, question_set):
    result = _eval("--article", str(ARTICLE), str(question_set), "--limit", "1", folder=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"Article: {ARTICLE}", f"Golden set: {question_set}"]
    assert "questions                1" in lines
    assert "verbatim citations       1.000" in lines


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda folder: folder / "gone.txt", "is not a regular file"),
        (lambda folder: folder, "is not a regular file"),
        (lambda folder: _write(folder / "a.png", b"\x89PNG\r\n\x1a\n\x00\x00"), "is binary, not text"),
        (lambda folder: _write(folder / "blank.txt", b" \n\n"), "holds no text"),
    ],
    ids=["missing", "directory", "binary", "blank"],
)
def test_eval_with_a_bad_article_is_one_error_line(tmp_path, question_set, make, problem):
    path = make(tmp_path)
    result = runner.invoke(app, ["eval", "--article", str(path), str(question_set)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # refused, not crashed
    assert result.stdout == ""
    assert_one_error_line(result.stderr, f"--article: {str(path)!r} {problem}")
    assert not (tmp_path / "index").exists()  # refused before anything was built


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
