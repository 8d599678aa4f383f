"""Every bad setting or file stops `assistant ask | index | serve` with one line `Error: …` and exit 1.

`ask` and `index` run in-process through typer's runner; `serve` runs as the real `.venv/bin/assistant`
in a subprocess, so a traceback printed by the interpreter would be seen. None of these cases loads the
model: each is refused before it is needed (the read-only index cases need a built index, hence the model).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.extractive.templates import EXTRACTIVE_TEMPLATES
from assistant.cli import app
from assistant.settings import DEFAULT_ARTICLE
from tests.conftest import free_port

ASSISTANT = Path(sys.executable).with_name("assistant")
SUBPROCESS_TIMEOUT = 60
runner = CliRunner()
Setup = Callable[[Path], dict[str, str]]


def _article(content: bytes, **more: str) -> Setup:
    def setup(folder: Path) -> dict[str, str]:
        path = folder / "article.txt"
        path.write_bytes(content)
        return {"ASSISTANT_ARTICLE_PATH": str(path), **more}

    return setup


def _prompts(content: bytes) -> Setup:
    def setup(folder: Path) -> dict[str, str]:
        (folder / EXTRACTIVE_TEMPLATES).write_bytes(content)
        return {"ASSISTANT_PROMPTS_DIR": str(folder)}

    return setup


def _file(name: str, content: bytes, variable: str) -> Setup:
    def setup(folder: Path) -> dict[str, str]:
        (folder / name).write_bytes(content)
        return {variable: str(folder / name)}

    return setup


def _env(**values: str) -> Setup:
    return lambda folder: {name: value.format(folder=folder) for name, value in values.items()}


def _dotenv(content: bytes) -> Setup:
    def setup(folder: Path) -> dict[str, str]:
        (folder / ".env").write_bytes(content)
        return {}

    return setup


CASES: dict[str, tuple[Setup, str]] = {
    "empty article": (_article(b""), "ASSISTANT_ARTICLE_PATH: '{folder}/article.txt' is empty (0 bytes)"),
    "blank article": (
        _article(b"  \n\n \t\n"),
        "ASSISTANT_ARTICLE_PATH: '{folder}/article.txt' holds no text",
    ),
    "binary article": (_article(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20), "is binary, not text"),
    "non-UTF-8 article": (
        _article(b"Title\n\nCaf\xe9 society"),
        "is not UTF-8 text (byte 0xe9 at offset 10)",
    ),
    "article over the byte limit": (
        _article(DEFAULT_ARTICLE.read_bytes(), ASSISTANT_MAX_ARTICLE_CHARS="1000"),
        "more than ASSISTANT_MAX_ARTICLE_CHARS=1,000 characters can take",
    ),
    "article over the character limit": (
        _article(DEFAULT_ARTICLE.read_bytes(), ASSISTANT_MAX_ARTICLE_CHARS="5000"),
        "characters long; the limit is ASSISTANT_MAX_ARTICLE_CHARS=5,000 characters",
    ),
    "missing article": (
        _env(ASSISTANT_ARTICLE_PATH="{folder}/gone.txt"),
        "'{folder}/gone.txt' does not exist",
    ),
    "missing prompts dir": (
        _env(ASSISTANT_PROMPTS_DIR="{folder}/prompts"),
        "ASSISTANT_PROMPTS_DIR='{folder}/prompts' is not a directory",
    ),
    "prompts dir without templates": (
        _env(ASSISTANT_PROMPTS_DIR="{folder}"),
        f"has no {EXTRACTIVE_TEMPLATES}",
    ),
    "malformed templates": (_prompts(b"[attribution\n"), "is not valid TOML"),
    "answer weights that are not a fit": (
        _file("fit.json", b"{}", "ASSISTANT_ANSWER_WEIGHTS"),
        "ASSISTANT_ANSWER_WEIGHTS: '{folder}/fit.json' is not a fit written by `assistant tune --out`",
    ),
    "origin with CSP separators": (
        _env(ASSISTANT_ALLOWED_ORIGINS="https://portal.example.com;script-src"),
        "ASSISTANT_ALLOWED_ORIGINS: 'https://portal.example.com;script-src' has the host",
    ),
    "wildcard origin": (
        _env(ASSISTANT_ALLOWED_ORIGINS="https://*.example.com"),
        "wildcards are not supported; list each origin",
    ),
    "blank API keys": (_env(ASSISTANT_API_KEYS=" , "), "ASSISTANT_API_KEYS is set but holds no key"),
    "short API key": (_env(ASSISTANT_API_KEYS="tiny"), "ASSISTANT_API_KEYS: key 1 of 1 is 4 characters long"),
    "index dir under a file": (
        _env(ASSISTANT_INDEX_DIR=str(DEFAULT_ARTICLE / "index")),
        f"ASSISTANT_INDEX_DIR: '{DEFAULT_ARTICLE}/index' is inside '{DEFAULT_ARTICLE}', which is a file",
    ),
    "non-UTF-8 .env": (_dotenv(b"ASSISTANT_PORT=\xff\n"), "cannot read settings from '{folder}/.env'"),
}


def assert_one_error_line(stderr: str, expected: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ") and expected in lines[0], lines[0]


@pytest.fixture(params=list(CASES), ids=list(CASES))
def broken(request, tmp_path, monkeypatch) -> tuple[dict[str, str], str]:
    """One bad setting or file, set in the environment; the fragment its error line must hold."""
    setup, expected = CASES[request.param]
    env = setup(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # a .env is read from the working directory
    return env, expected.format(folder=tmp_path)


@pytest.mark.parametrize("command", [["ask", "Who wrote the article?"], ["index"], ["index", "--rebuild"]])
def test_ask_and_index_refuse_in_one_error_line(broken, command):
    _, expected = broken
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # refused, not crashed
    assert result.stdout == ""
    assert_one_error_line(result.stderr, expected)


def _run(
    command: list[str], env: dict[str, str], cwd: Path, wrapper: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("ASSISTANT_")}
    return subprocess.run(
        [*wrapper, str(ASSISTANT), *command],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


@pytest.mark.integration  # the installed command, started afresh per case: the fast tier's costliest part
def test_serve_refuses_in_one_error_line_without_traceback(broken, tmp_path):
    env, expected = broken
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), **env}
    result = _run(["serve", "--port", str(free_port())], env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert_one_error_line(result.stderr, expected)


def _read_only_mount_works() -> bool:
    """Root ignores file modes, so a read-only bind mount in a private mount namespace stands in."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", "mount --bind / /mnt 2>/dev/null || mount -t tmpfs none /mnt"],
        capture_output=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    return probe.returncode == 0


READ_ONLY = (
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$ASSISTANT_INDEX_DIR" "$ASSISTANT_INDEX_DIR" '
    '&& mount -o remount,bind,ro "$ASSISTANT_INDEX_DIR" && exec "$@"',
    "read-only",
)


@pytest.mark.integration
@pytest.mark.skipif(not _read_only_mount_works(), reason="needs unshare and mount (a read-only bind mount)")
@pytest.mark.parametrize(
    "built",
    [
        False,
        True,
    ],
    ids=["empty", "built"],
)
@pytest.mark.parametrize("command", [["ask", "Who wrote the article?"], ["serve"]])
def test_read_only_index_dir_refuses_in_one_error_line(tmp_path, index_dir, assistant, built, command):
    folder = tmp_path / "index"
    if built:
        shutil.copytree(index_dir, folder)
    else:
        folder.mkdir()
    if command == ["serve"]:
        command = ["serve", "--port", str(free_port())]
    result = _run(command, {"ASSISTANT_INDEX_DIR": str(folder)}, cwd=tmp_path, wrapper=READ_ONLY)
    assert result.returncode == 1, result.stderr
    assert_one_error_line(result.stderr, str(folder))
    assert "read-only" in result.stderr.lower()
