"""Every answer arrives in bounded time, even when a dependency hangs.

``Assistant.ask`` is synchronous; it runs on a worker thread that the caller abandons when the deadline
passes, so a stuck index (later an LLM backend or a Chroma server) costs the user a clear 503 or chat
message, not a hung connection. The HTTP API waits asynchronously (``ask_within``); the chat page's
handler runs on Gradio's worker threads and waits synchronously (``ask_within_sync``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import TypeVar

import anyio

from assistant.answer.base import Partial
from assistant.article import Article
from assistant.errors import AnswerTimeout
from assistant.pipeline import Answered, Assistant
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


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def stream_within_sync(
    assistant: Assistant, question: str, history: Sequence[Turn], *, extractive: bool = False
) -> Iterator[Partial | Answered]:
    """``Assistant.stream_with_article`` bounded by ``ASSISTANT_REQUEST_TIMEOUT`` in all: its events as
    a worker thread produces them, ``AnswerTimeout`` once the deadline passes. A caller that stops
    listening (closes this generator) stops the worker at its next event."""
    seconds = assistant.settings.request_timeout
    deadline = time.monotonic() + seconds
    events: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        stream = assistant.stream_with_article(question, history, extractive=extractive)
        try:
            for event in stream:
                if stop.is_set():
                    break
                events.put(event)
        except BaseException as error:  # noqa: BLE001 - handed to the listening thread
            events.put(_Failed(error))
        else:
            events.put(_DONE)
        finally:
            stream.close()

    _CHAT_ANSWERS.submit(produce)
    try:
        while True:
            try:
                event = events.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise too_slow("answering", seconds) from None
            if event is _DONE:
                return
            if isinstance(event, _Failed):
                raise event.error
            assert isinstance(event, Partial | Answered)
            yield event
    finally:
        stop.set()
