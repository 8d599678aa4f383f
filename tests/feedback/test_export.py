"""`assistant feedback export` as an operator runs it: CSV that parses back (notes with commas, quotes and
line breaks intact), JSON lines, a file with --out, and one line + exit 1 when there is no database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.feedback import Feedback, FeedbackStore
from tests.feedback.test_store import ARTICLE, rating, span

runner = CliRunner()
AWKWARD_NOTE = 'Good, but "Sharif" is a general,\nnot a minister; see §3\r\n— and 👍'
# click's test runner turns CRLF into LF in what it captured; a file keeps the note byte for byte.
AS_CAPTURED = AWKWARD_NOTE.replace("\r\n", "\n")


@pytest.fixture()
def database(tmp_path, monkeypatch):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record(rating(note=AWKWARD_NOTE, surface="chat"), ARTICLE, "a")
    second = span("Patrick Henningsen", 2)
    store.record(
        Feedback(rating="down", question="Q, two?", answer="A [2]", citations=[second]), ARTICLE, "b"
    )
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DB", str(store.path))
    return store.path


def test_csv_export_parses_back_with_awkward_notes_intact(database):
    result = runner.invoke(app, ["feedback", "export"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["note"] == AS_CAPTURED and rows[0]["surface"] == "chat"
    assert rows[1]["question"] == "Q, two?" and rows[1]["article_sha256"] == ARTICLE.sha256
    citations = json.loads(rows[1]["citations"])
    assert citations[0]["text"] == "Patrick Henningsen"
    assert ARTICLE.text[citations[0]["start"] : citations[0]["end"]] == citations[0]["text"]
    assert set(rows[0]) == {
        "id",
        "created_at",
        "rating",
        "note",
        "question",
        "answer",
        "citations",
        "article_sha256",
        "article_title",
        "surface",
    }


def test_jsonl_export_to_a_file(database, tmp_path):
    out = tmp_path / "ratings.jsonl"
    result = runner.invoke(app, ["feedback", "export", "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "Wrote 2 ratings" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["note"] for line in lines] == [AWKWARD_NOTE, ""]
    assert lines[1]["citations"][0]["id"] == 2 and lines[0]["article_title"] == ARTICLE.title


def test_csv_file_export_keeps_line_breaks_inside_notes(database, tmp_path):
    out = tmp_path / "ratings.csv"
    assert runner.invoke(app, ["feedback", "export", "--out", str(out)]).exit_code == 0
    with out.open(encoding="utf-8", newline="") as file:
        assert next(csv.DictReader(file))["note"] == AWKWARD_NOTE


def test_missing_database_is_one_line_and_exit_1(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DB", str(tmp_path / "none.sqlite3"))
    result = runner.invoke(app, ["feedback", "export"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no feedback database at") and result.stderr.count("\n") == 1
    assert "ASSISTANT_FEEDBACK_DB" in result.stderr


def test_unwritable_out_file_is_one_line_and_exit_1(database, tmp_path):
    result = runner.invoke(app, ["feedback", "export", "--out", str(tmp_path / "no" / "such" / "dir.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write") and result.stderr.count("\n") == 1


def test_unknown_format_is_refused(database):
    result = runner.invoke(app, ["feedback", "export", "--format", "xml"])
    assert result.exit_code == 2 and "xml" in result.output
