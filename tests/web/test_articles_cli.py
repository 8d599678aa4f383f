"""``assistant ask --article ID``: the command line answers about one library article, like the APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.settings import load_settings

pytestmark = pytest.mark.integration
runner = CliRunner()
LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"


def test_ask_article_answers_from_that_article_and_unknown_is_one_error_line(embeddings):
    library = Library(load_settings(), embeddings)  # the library in this test's ASSISTANT_INDEX_DIR
    library.add(LIGHTHOUSE)
    text = load_article(library.article_path("lighthouse"), library.settings.max_article_chars).text

    result = runner.invoke(
        app, ["ask", "--json", "--article", "lighthouse", "When was the lighthouse automated?"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["answerable"] is True and "1972" in body["answer"]
    for citation in body["citations"]:
        assert citation["source"] == {"id": "lighthouse", "title": "Harbourtown Lighthouse"}
        assert text[citation["start"] : citation["end"]] == citation["text"]

    unknown = runner.invoke(app, ["ask", "--article", "no-such-article", "When was it built?"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    assert "Error: no article 'no-such-article'" in unknown.output and "lighthouse" in unknown.output
