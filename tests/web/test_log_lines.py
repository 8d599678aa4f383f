"""Every line `assistant serve` logs is bounded (assistant/web/log_lines.py): the filter on its own, and a
real server run with the logging setup `assistant serve` installs, its lines written to a file.

The report: a 200 KB dropdown value once became a 200,105-character log line."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant import Assistant, Settings
from assistant.web import serving
from assistant.web.app import create_app
from assistant.web.log_lines import BoundedLines, cut_lines, log_config
from benchmarks.common import free_port

LONG = "x" * 200_000


def test_each_line_is_cut_saying_how_much():
    assert cut_lines("short", 10) == "short"
    assert cut_lines("a" * 15, 10) == "a" * 10 + "… (5 characters cut)"
    assert cut_lines("ok\n" + "b" * 12 + "\nok", 10) == "ok\n" + "b" * 10 + "… (2 characters cut)\nok"


def test_the_filter_bounds_message_traceback_and_stack_and_drops_nothing():
    try:
        raise RuntimeError(LONG)
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("gradio", logging.ERROR, __file__, 1, "value %s", (LONG,), exc_info)
    record.stack_info = "Stack (most recent call last):\n" + LONG
    assert BoundedLines(100).filter(record)
    text = logging.Formatter().format(record)
    assert max(len(line) for line in text.splitlines()) < 140 and "RuntimeError: xxx" in text
    assert "(199,906 characters cut)" in text  # "value " + the value: 200,006 characters, 100 kept


def test_the_setup_bounds_every_handler_and_catches_every_library():
    config = log_config(500)
    assert all(handler["filters"] == ["bounded"] for handler in config["handlers"].values())
    assert config["root"]["handlers"] == ["default"]  # gradio's, httpx's, … loggers reach it
    assert config["loggers"]["assistant"]["level"] == "WARNING"


@pytest.fixture()
def restored_logging() -> Iterator[None]:
    """dictConfig changes the whole process's loggers: put them back as they were."""
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "assistant"]
    saved = {
        name: (list(log.handlers), log.level, log.propagate, log.disabled, list(log.filters))
        for name in names
        if (log := logging.getLogger(name))
    }
    yield
    for name, (handlers, level, propagate, disabled, filters) in saved.items():
        log = logging.getLogger(name)
        for handler in log.handlers:
            if handler not in handlers:
                handler.close()
        log.handlers[:], log.filters[:] = handlers, filters
        log.level, log.propagate, log.disabled = level, propagate, disabled


def test_a_served_app_logs_no_line_longer_than_the_limit(
    index_dir, embeddings, reranker, tmp_path: Path, restored_logging
):
    """An injected fault whose message holds 200,000 characters, and a library's long warning."""
    faulty = Assistant(Settings(index_dir=index_dir), embeddings=embeddings, reranker=reranker)
    faulty.open()

    def failing_ask(question, history=(), cancel=None):
        raise RuntimeError(LONG)

    faulty.ask = failing_ask  # type: ignore[method-assign]
    settings = faulty.settings.model_copy(update={"max_log_line_chars": 300})
    log_file = tmp_path / "serve.log"
    config = log_config(settings.max_log_line_chars)  # what `assistant serve` installs, into a file
    for handler in config["handlers"].values():
        handler.pop("stream", None)
        handler.update({"class": "logging.FileHandler", "filename": str(log_file)})
    listener = serving.prepare(settings, "127.0.0.1", free_port())
    server = uvicorn.Server(
        serving.server_config(
            create_app(faulty, settings, with_ui=False), settings, listener, log_config=config
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{listener.port}"
        crashed = httpx.post(f"{url}/api/ask", json={"question": "Who wrote the article?"}, timeout=30)
        assert crashed.status_code == 500 and LONG not in crashed.text
        logging.getLogger("gradio.some_module").warning("a library's warning: %s", LONG)
    finally:
        server.should_exit = True
        thread.join(10)
    lines = log_file.read_text().splitlines()
    assert any("unexpected error while answering" in line for line in lines)
    assert any("RuntimeError: xxx" in line and "characters cut" in line for line in lines)
    assert any("a library's warning" in line and "characters cut" in line for line in lines)
    assert max(len(line) for line in lines) <= 300 + 60, max(len(line) for line in lines)
