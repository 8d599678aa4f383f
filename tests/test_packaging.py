"""What an installed wheel relies on, checked fast in the checkout: every data file is declared package
data, the templates are found through ``importlib.resources``, and no default points beside the code
(site-packages, once installed). ``.ci/wheel-check`` (run by ``make test``) installs the real wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import assistant
from assistant import evaluation
from assistant.answer.extractive.templates import EXTRACTIVE_TEMPLATES, AnswerTemplates, packaged_prompts
from assistant.cli import app
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(assistant.__file__).resolve().parent


def _package_data() -> dict[str, list[str]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["setuptools"]["package-data"]


def _declared_files() -> set[Path]:
    """The files setuptools puts in the wheel besides modules: each package's globs, from its folder."""
    return {
        file
        for package, patterns in _package_data().items()
        for pattern in patterns
        for file in (ROOT / package.replace(".", "/")).glob(pattern)
        if file.is_file()
    }


def test_every_data_file_in_the_package_is_declared_package_data():
    data = {
        file
        for file in PACKAGE.rglob("*")
        if file.is_file() and file.suffix not in {".py", ".pyc"} and "__pycache__" not in file.parts
    }
    undeclared = sorted(str(file.relative_to(ROOT)) for file in data - _declared_files())
    assert undeclared == [], "add these to [tool.setuptools.package-data] in pyproject.toml"


def test_every_package_data_pattern_matches_a_file():
    for package, patterns in _package_data().items():
        for pattern in patterns:
            assert list((ROOT / package.replace(".", "/")).glob(pattern)), f"{package}: {pattern} is stale"


def test_templates_are_package_data_found_through_importlib_resources():
    shipped = Path(str(packaged_prompts() / EXTRACTIVE_TEMPLATES))
    assert shipped.is_relative_to(PACKAGE) and shipped in _declared_files()
    assert AnswerTemplates.load() == AnswerTemplates.load(shipped.parent)


def test_top_level_prompts_is_the_packaged_folder_under_another_name():
    """One copy: editing prompts/ edits what the wheel ships."""
    assert (ROOT / "prompts").is_symlink()
    assert (ROOT / "prompts").resolve() == Path(str(packaged_prompts())).resolve()


def test_a_missing_packaged_folder_says_to_reinstall(monkeypatch, tmp_path):
    from assistant.answer import prompt_files
    from assistant.errors import PromptError

    monkeypatch.setattr(prompt_files, "packaged_prompts", lambda: tmp_path / "gone")
    with pytest.raises(PromptError) as refused:
        AnswerTemplates.load()
    message = str(refused.value)
    assert "shipped in the package" in message and "reinstall article-assistant" in message


def test_defaults_point_at_the_working_directory_and_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv("ASSISTANT_INDEX_DIR")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.index_dir == tmp_path.resolve() / "index"
    assert settings.prompts_dir is None


def test_blank_prompts_dir_means_the_packaged_templates(monkeypatch):
    monkeypatch.setenv("ASSISTANT_PROMPTS_DIR", " ")
    assert Settings().prompts_dir is None


def test_default_index_dir_under_a_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("ASSISTANT_INDEX_DIR")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "index").write_text("not a folder")
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: ASSISTANT_INDEX_DIR: {str(tmp_path.resolve() / 'index')!r}")


def test_eval_defaults_to_the_checkouts_golden_set():
    assert evaluation.default_golden_set() == ROOT / "tests" / "data" / "golden.jsonl"


def test_eval_without_a_file_outside_a_checkout_asks_for_one(monkeypatch, tmp_path):
    monkeypatch.setattr(evaluation, "CHECKOUT_GOLDEN_SET", tmp_path / "tests" / "data" / "golden.jsonl")
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: give a golden-set file: `assistant eval FILE`")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
