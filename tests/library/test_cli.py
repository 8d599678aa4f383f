"""``assistant add``, ``list`` and ``remove`` as users run them, with the real embedding model, against one
library shared by the module's tests.

The module's first ``add`` is the installed command in a process of its own, building four articles'
indexes (one model load); the other commands run in this process through typer's runner (the same
``app``, its output and exit code), re-adding unchanged files (no model loaded), updating one article,
or removing one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.index.builds import IndexDirectory
from tests.library.pages import paragraphs_page, spans_page

pytestmark = pytest.mark.integration

ASSISTANT = str(Path(sys.executable).parent / "assistant")
DATA = Path(__file__).resolve().parent / "data"


def _command(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The installed ``assistant`` command, in a process of its own."""
    return subprocess.run(
        [ASSISTANT, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command's ``app`` in this process, with ``env`` as its environment."""
    result = CliRunner().invoke(app, list(args), env=env)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("library-cli")


@pytest.fixture(scope="module")
def env(workspace: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return clean | {"ASSISTANT_INDEX_DIR": str(workspace / "index"), "HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="module")
def desk(workspace: Path) -> Path:
    """Article files as a newsroom keeps them: two saved pages, a Markdown draft, and a stray PDF."""
    folder = workspace / "desk"
    folder.mkdir()
    for name in ("riverside-park.html", "harbor-ferry.html", "lakeshore-birds.md"):
        shutil.copy(DATA / name, folder / name)
    (folder / "budget.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    return folder


@pytest.fixture(scope="module")
def first_add(env: dict[str, str], desk: Path) -> subprocess.CompletedProcess[str]:
    names = ("riverside-park.html", "budget.pdf", "harbor-ferry.html", "lakeshore-birds.md")
    return _command(env, "add", *(str(desk / name) for name in names))


def test_add_reports_each_file_and_skips_a_bad_one(first_add: subprocess.CompletedProcess[str]) -> None:
    assert first_add.returncode == 1, first_add.stderr
    assert first_add.stdout.splitlines() == [
        "added     riverside-park: Council Approves Riverside Park After Two-Year Debate",
        "added     harbor-ferry: Harbor Ferry Returns to Service After Engine Overhaul",
        "added     lakeshore-birds: Volunteers Count 212 Bird Species in Annual Lakeshore Survey",
    ]
    errors = [line for line in first_add.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert "budget.pdf' is not an article file the library reads" in errors[0]
    assert "Traceback" not in first_add.stderr


def test_list_shows_every_article(env: dict[str, str], first_add: subprocess.CompletedProcess[str]) -> None:
    listed = _run(env, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    at = lines.index("riverside-park: Council Approves Riverside Park After Two-Year Debate")
    assert lines[at + 1].startswith("    By Maria Lopez · 2024-03-12 · 16 sentences, ")
    assert lines[at + 2].startswith("    html: ") and lines[at + 2].endswith("riverside-park.html")
    listing = json.loads(_run(env, "list", "--json").stdout)
    entries = listing["articles"]
    assert {e["id"] for e in entries} >= {"riverside-park", "lakeshore-birds"}
    assert (listing["total"], listing["offset"], listing["next_offset"]) == (len(entries), 0, None)
    birds = next(e for e in entries if e["id"] == "lakeshore-birds")
    assert (birds["byline"], birds["date"], birds["source_format"]) == (
        "Grace Whitfield",
        "May 20, 2024",
        "md",
    )
    assert birds["sentences"] > 0 and birds["chars"] > 0


def test_readding_unchanged_files_is_a_noop(
    env: dict[str, str], desk: Path, workspace: Path, first_add: subprocess.CompletedProcess[str]
) -> None:
    index = IndexDirectory(workspace / "index" / "articles" / "riverside-park")
    build = index.current_build()
    again = _run(env, "add", "--json", str(desk / "riverside-park.html"))
    assert again.returncode == 0, again.stderr
    [report] = [json.loads(line) for line in again.stdout.splitlines()]
    assert (report["outcome"], report["id"]) == ("unchanged", "riverside-park")
    assert index.current_build() == build
    assert "Embedding" not in again.stderr  # no model was needed to see that nothing changed


def test_changed_file_is_updated_under_its_id(
    env: dict[str, str], desk: Path, first_add: subprocess.CompletedProcess[str]
) -> None:
    draft = desk / "lakeshore-birds.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("640 individual", "610 individual"), "utf-8")
    updated = _run(env, "add", str(draft))
    assert updated.returncode == 0, updated.stderr
    assert updated.stdout.startswith("updated   lakeshore-birds: Volunteers Count 212 Bird Species")
    [entry] = [
        e for e in json.loads(_run(env, "list", "--json").stdout)["articles"] if e["id"] == "lakeshore-birds"
    ]
    assert entry["updated_at"] >= entry["added_at"]


def test_remove_deletes_the_article_and_its_index(
    env: dict[str, str], workspace: Path, first_add: subprocess.CompletedProcess[str]
) -> None:
    removed = _run(env, "remove", "harbor-ferry")
    assert removed.returncode == 0, removed.stderr
    assert (
        removed.stdout.strip()
        == "Removed harbor-ferry: Harbor Ferry Returns to Service After Engine Overhaul"
    )
    assert "harbor-ferry" not in {e["id"] for e in json.loads(_run(env, "list", "--json").stdout)["articles"]}
    assert not (workspace / "index" / "articles" / "harbor-ferry").exists()


def test_remove_of_an_unknown_id_names_the_known_ones(
    env: dict[str, str], first_add: subprocess.CompletedProcess[str]
) -> None:
    refused = _run(env, "remove", "riverside")
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: no article 'riverside' in the library; the ids there are: ")
    assert "riverside-park" in line and "lakeshore-birds" in line


def test_the_seed_index_is_left_alone(workspace: Path, first_add: subprocess.CompletedProcess[str]) -> None:
    """The library is opt-in: adding articles builds no index where `assistant serve` looks for the
    seed article's (the index directory's own builds/ and CURRENT)."""
    assert not (workspace / "index" / "CURRENT").exists()
    assert not (workspace / "index" / "builds").exists()


def test_empty_library_list_says_how_to_add(tmp_path: Path, env: dict[str, str]) -> None:
    listed = _run(env | {"ASSISTANT_LIBRARY_DIR": str(tmp_path / "empty")}, "list")
    assert listed.returncode == 0
    assert "No articles in the library" in listed.stdout and "assistant add FILE" in listed.stdout


def test_add_refuses_a_huge_page_and_a_slow_one_with_one_error_line_each(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The issue's 19 MB page (37 s and 600 MB before its refusal) is refused before parsing; a page
    the parser would take minutes over is stopped after ASSISTANT_HTML_PARSE_SECONDS."""
    huge, slow = tmp_path / "huge.html", tmp_path / "slow.html"
    huge.write_bytes(paragraphs_page(19 * 1024 * 1024))
    slow.write_bytes(spans_page(40_000))
    limits = {"ASSISTANT_MAX_HTML_TAGS": "100000", "ASSISTANT_HTML_PARSE_SECONDS": "1"}
    done = _command(env | limits, "add", str(huge), str(slow), timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    *errors, summary = done.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("Error: assistant add: ") for line in errors), errors
    assert summary.startswith("Done: 0 added, 0 updated, 0 unchanged, 2 failed of 2 files in ")
    assert "the limit is ASSISTANT_MAX_HTML_BYTES=5,242,880" in errors[0]
    assert "reading the page took longer than 1 s (ASSISTANT_HTML_PARSE_SECONDS=1)" in errors[1]
