"""``ASSISTANT_LIBRARY_DIR``: where the library lives by default, and a bad value refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import InvalidConfiguration
from assistant.settings import load_settings


def test_library_defaults_into_the_index_dir(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.library_dir == tmp_path / "index" / "library"  # conftest points the index at tmp_path


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_library_dir_means_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, blank: str
) -> None:
    monkeypatch.setenv("ASSISTANT_LIBRARY_DIR", blank)
    assert load_settings().library_dir == tmp_path / "index" / "library"


def test_library_dir_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_LIBRARY_DIR", str(tmp_path / "articles"))
    assert load_settings().library_dir == tmp_path / "articles"


def test_library_dir_that_is_a_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "library.txt"
    file.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_LIBRARY_DIR", str(file))
    with pytest.raises(InvalidConfiguration, match=r"^ASSISTANT_LIBRARY_DIR: '.*library.txt' is a file"):
        load_settings()
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ASSISTANT_LIBRARY_DIR:")


def test_library_commands_are_listed_in_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("add", "list", "remove"):
        assert f" {command} " in result.output
