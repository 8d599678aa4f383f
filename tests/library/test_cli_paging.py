"""``assistant list --limit N --offset K [--json]``: a library of thousands is listed a page at a time,
the last line giving the command for the next page; a bad value is one error line and exit code 1.

Fast: the library is added with ``tests/index/fakes.py``'s ``HashingEmbedder``; listing loads no model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.library import Library
from assistant.library.paging import DEFAULT_LIMIT
from assistant.settings import Settings
from tests.index.fakes import HashingEmbedder
from tests.library.test_paging import ARTICLES, FILES, IDS, walk_pages


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("cli-paging") / "index")


@pytest.fixture(scope="module")
def library(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Library:
    """Five articles (ids ``IDS``), added once for the module: the tests below only list them."""
    desk = tmp_path_factory.mktemp("desk")
    library = Library(settings, HashingEmbedder())
    for name, source in FILES.items():
        library.add(Path(shutil.copy(ARTICLES / source, desk / name)))
    return library


def _list(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {"ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    result = CliRunner().invoke(app, ["list", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _ids(stdout: str) -> list[str]:
    return [line.split(":")[0] for line in stdout.splitlines() if line and not line.startswith((" ", "Show"))]


def test_list_shows_all_without_a_footer_when_they_fit(settings: Settings, library: Library) -> None:
    code, stdout, _ = _list(settings)
    assert code == 0 and _ids(stdout) == IDS
    assert not stdout.splitlines()[-1].startswith("Showing")


def test_list_pages_and_its_last_line_gives_the_next_command(settings: Settings, library: Library) -> None:
    code, stdout, _ = _list(settings, "--limit", "2")
    assert code == 0 and _ids(stdout) == IDS[:2]
    assert stdout.splitlines()[-1] == "Showing 1–2 of 5; next: assistant list --offset 2 --limit 2"
    code, stdout, _ = _list(settings, "--limit", "2", "--offset", "2")
    assert _ids(stdout) == IDS[2:4]
    assert stdout.splitlines()[-1] == "Showing 3–4 of 5; next: assistant list --offset 4 --limit 2"
    code, stdout, _ = _list(settings, "--limit", "2", "--offset", "4")
    assert _ids(stdout) == IDS[4:] and stdout.splitlines()[-1] == "Showing 5–5 of 5"
    code, stdout, _ = _list(settings, "--offset", "3")  # the default limit: not repeated
    assert _ids(stdout) == IDS[3:] and stdout.splitlines()[-1] == "Showing 4–5 of 5"
    code, stdout, _ = _list(settings, "--offset", "9")
    assert (
        code == 0
        and stdout.strip() == "No articles from offset 9: the library has 5; first page: assistant list"
    )


def test_list_json_is_the_page_and_walks_the_library_once(settings: Settings, library: Library) -> None:
    def read(offset: int) -> tuple[list[str], int | None]:
        code, stdout, _ = _list(settings, "--json", "--limit", "2", "--offset", str(offset))
        assert code == 0
        body = json.loads(stdout)
        assert set(body) == {"articles", "total", "offset", "limit", "next_offset"}
        assert (body["total"], body["offset"], body["limit"]) == (5, offset, 2)
        return [e["id"] for e in body["articles"]], body["next_offset"]

    assert walk_pages(read) == IDS
    body = json.loads(_list(settings, "--json")[1])
    assert (body["limit"], body["next_offset"], [e["id"] for e in body["articles"]]) == (
        DEFAULT_LIMIT,
        None,
        IDS,
    )
    assert body["articles"][0] == library.entry(IDS[0]).model_dump()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "--limit takes a whole number of at least 1; got '0'"),
        (["--limit", "-5"], "--limit takes a whole number of at least 1; got '-5'"),
        (["--limit", "ten"], "--limit takes a whole number of at least 1; got 'ten'"),
        (["--offset", "-1"], "--offset takes a whole number of at least 0; got '-1'"),
        (["--json", "--offset", "1.5"], "--offset takes a whole number of at least 0; got '1.5'"),
    ],
)
def test_list_refuses_a_bad_page_in_one_error_line(settings: Settings, args: list[str], message: str) -> None:
    code, stdout, stderr = _list(settings, *args)
    assert code == 1 and stdout == "" and "Traceback" not in stderr
    assert stderr.strip().splitlines() == [f"Error: {message}"]


def test_list_help_states_the_default_page_size() -> None:
    result = CliRunner().invoke(app, ["list", "--help"])
    assert result.exit_code == 0 and f"(default: {DEFAULT_LIMIT})" in " ".join(result.stdout.split())
