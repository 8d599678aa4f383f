"""`assistant llm serve` refuses what it cannot run with one line `Error: …` (and the fix) and exit 1.

Its working path is the ``llm_server`` fixture itself, which runs the command in a subprocess.
"""

from __future__ import annotations

import socket
import sys

import pytest
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def test_a_port_in_use_is_refused_with_a_hint() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["llm", "serve", "--port", str(port)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: llama.cpp could not serve smollm2 on 127.0.0.1:{port} (")
    assert "check that the port is free (or pass --port 0)" in last


def test_a_missing_server_wheel_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # what `import xllamacpp` meets when not installed
    result = runner.invoke(app, ["llm", "serve", "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: the model server needs the xllamacpp wheel, which is not installed; run: "
        "pip install xllamacpp==2026.10.11549 (or: pip install 'article-assistant[llm]')"
    )


def test_an_unknown_model_is_a_usage_error_listing_the_choices() -> None:
    result = runner.invoke(app, ["llm", "serve", "--model", "gpt-9"])
    assert result.exit_code == 2
    assert "smollm2" in result.output and "qwen2.5-coder-1.5b" in result.output


def test_help_tells_the_models_and_the_loopback_default() -> None:
    result = runner.invoke(app, ["llm", "serve", "--help"])
    assert result.exit_code == 0
    assert "qwen2.5-coder-1.5b" in result.output and "127.0.0.1" in result.output
