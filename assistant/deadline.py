"""Every HTTP request gets an answer in bounded time, even when a dependency hangs.

``Assistant.ask`` is synchronous; it runs on a worker thread that the request abandons when the
deadline passes, so a stuck index (later an LLM backend or a Chroma server) costs the user a clear
503, not a hung connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

import anyio

from assistant.errors import AnswerTimeout
from assistant.pipeline import Assistant
from assistant.schema import Answer, Turn

T = TypeVar("T")


async def within(seconds: float, what: str, work: Callable[[], T]) -> T:
    try:
        with anyio.fail_after(seconds):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        msg = (
            f"{what} took longer than {seconds:g} s: the index or the model is not responding; "
            "try again shortly"
        )
        raise AnswerTimeout(msg) from None


async def ask_within(assistant: Assistant, question: str, history: Sequence[Turn]) -> Answer:
    return await within(
        assistant.settings.request_timeout, "answering", partial(assistant.ask, question, history)
    )
