"""Every answer arrives in bounded time, even when a dependency hangs.

``Assistant.ask`` is synchronous; it runs on a worker thread that the caller abandons when the deadline
passes, so a stuck index (later an LLM backend or a Chroma server) costs the user a clear 503 or chat
message, not a hung connection. The HTTP API waits asynchronously (``ask_within``); the chat page's
handler runs on Gradio's worker threads and waits synchronously (``ask_within_sync``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import TypeVar

import anyio

from assistant.article import Article
from assistant.errors import AnswerTimeout
from assistant.pipeline import Assistant
from assistant.schema import Answer, Turn

T = TypeVar("T")

# Threads for the chat page's answers. Stuck ones are abandoned, so a few spare beyond Gradio's
# concurrency limit; when all are stuck, new answers wait in line and still time out on schedule.
_CHAT_ANSWERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="chat-answer")


def too_slow(what: str, seconds: float) -> AnswerTimeout:
    return AnswerTimeout(
        f"{what} took longer than {seconds:g} s: the index or the model is not responding; try again shortly"
    )


async def within(seconds: float, what: str, work: Callable[[], T]) -> T:
    try:
        with anyio.fail_after(seconds):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        raise too_slow(what, seconds) from None


async def ask_within(assistant: Assistant, question: str, history: Sequence[Turn]) -> Answer:
    return await within(
        assistant.settings.request_timeout, "answering", partial(assistant.ask, question, history)
    )


def within_sync(seconds: float, what: str, work: Callable[[], T]) -> T:
    """``within`` for callers on a worker thread (the chat page's handlers): waits synchronously."""
    future = _CHAT_ANSWERS.submit(work)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        future.cancel()
        raise too_slow(what, seconds) from None


def ask_within_sync(assistant: Assistant, question: str, history: Sequence[Turn]) -> tuple[Answer, Article]:
    """``Assistant.ask_with_article`` bounded by ``ASSISTANT_REQUEST_TIMEOUT``, for the chat page."""
    work = partial(assistant.ask_with_article, question, history)
    return within_sync(assistant.settings.request_timeout, "answering", work)
