"""What the SCRIPTED model server (``tests/llm/scripted.py``) is made to reply in the LLM answerer's
tests: the question they ask, and a faithful answer written from the sentences the request shows."""

from __future__ import annotations

import re
from typing import Any

from tests.llm.scripted import Reply

QUESTION = "Where were the missiles fired from?"
UNANSWERED = "What is the capital of Peru?"
LLM_TIMEOUT = 2.0
SLOWER_THAN_TIMEOUT = LLM_TIMEOUT + 2.0
_SHOWN = re.compile(r"^\[(\d+)\] \((.*?)\) (.*)$", re.M)


def shown(body: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The numbered sentences the model was shown: n → (speaker, text)."""
    user = body["messages"][-1]["content"]
    return {int(n): (speaker, text) for n, speaker, text in _SHOWN.findall(user)}


def restating(answering: set[str], extra: str = "") -> Reply:
    """A faithful answer: the shown sentences that answer (``answering``: the extractive answer's
    quotes), each restated with its speaker and cited; then ``extra``."""

    def write(body: dict[str, Any]) -> str:
        said = [
            f"According to {speaker}, {text.rstrip('.')} [{n}]."
            for n, (speaker, text) in shown(body).items()
            if text in answering
        ]
        return " ".join([*said, extra]).strip()

    return Reply.from_request(write)
