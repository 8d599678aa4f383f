"""Every line ``assistant serve`` logs is bounded, whoever logs it.

Messages can carry what a client sent: one 200 KB dropdown value once became a 200,105-character log
line. ``BoundedLines`` cuts each line of a record's message, of its traceback and of its stack to
``max_chars``, saying how much was cut; ``log_config`` puts it on every handler of the logging setup
``assistant serve`` runs with (uvicorn's, ours, and the root logger's, which Gradio's and other libraries'
loggers reach).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def cut_lines(text: str, max_chars: int) -> str:
    """``text`` with each line longer than ``max_chars`` cut there, saying how much was cut."""
    if len(text) <= max_chars and "\n" not in text:
        return text
    return "\n".join(
        line if len(line) <= max_chars else f"{line[:max_chars]}… ({len(line) - max_chars:,} characters cut)"
        for line in text.split("\n")
    )


class BoundedLines(logging.Filter):
    """Cuts every line of a record (message, traceback, stack) to ``max_chars``; drops nothing."""

    def __init__(self, max_chars: int = 2000) -> None:
        super().__init__()
        self.max_chars = max_chars
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        bounded = cut_lines(message, self.max_chars)
        if bounded is not message:
            record.msg, record.args = bounded, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = cut_lines(record.exc_text, self.max_chars)
        if record.stack_info:
            record.stack_info = cut_lines(record.stack_info, self.max_chars)
        return True


def log_config(max_line_chars: int) -> dict[str, Any]:
    """uvicorn's logging setup in uvicorn's format, with ``assistant.*`` warnings and every other
    library's (through the root logger) on its handlers, and every line bounded."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"bounded": {"()": BoundedLines, "max_chars": max_line_chars}}
    for handler in config["handlers"].values():
        handler["filters"] = ["bounded"]
    config["loggers"]["assistant"] = {"handlers": ["default"], "level": "WARNING", "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
