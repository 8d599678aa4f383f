"""Every answer arrives in bounded time, even when a dependency hangs, and stops when nobody waits.

``Assistant.ask`` is synchronous; it runs on a worker thread that the caller stops waiting for when the
deadline passes, so a stuck index (later an LLM backend or a Chroma server) costs the user a clear 503
or chat message, not a hung connection. The HTTP API waits asynchronously (``ask_within``); the chat
page's handlers run on Gradio's worker threads and wait synchronously (``ask_within_sync``,
``stream_within_sync``).

A thread cannot be stopped from outside, so each question carries a ``Cancel``
(``assistant.cancellation``) with the same deadline: the stages check it between units of work, and
the caller cancels it when it stops waiting (the deadline passed, the client left, the chat moved on),
so the work ends within one cross-encoder pair instead of running on for seconds.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import NoReturn, TypeVar

import anyio

from assistant.answer.base import Partial
from assistant.article import Article
from assistant.cancellation import Cancel
from assistant.errors import AnswerCancelled, AnswerTimeout
from assistant.pipeline import Answered, Assistant
from assistant.schema import Answer, Turn

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Threads for the chat page's answers. Stuck ones are abandoned, so a few spare beyond Gradio's
# concurrency limit; when all are stuck, new answers wait in line and still time out on schedule.
_CHAT_ANSWERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="chat-answer")

ABANDONED = "the request stopped waiting for its answer"
CLIENT_LEFT = "the client closed its connection before the answer was ready"


def too_slow(what: str, seconds: float) -> AnswerTimeout:
    return AnswerTimeout.after(what, seconds)


async def within(
    seconds: float,
    what: str,
    work: Callable[[Cancel], T],
    *,
    gone: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """``work(cancel)`` on a worker thread, waited for at most ``seconds``; ``AnswerTimeout`` beyond.

    ``gone`` returns once the client has left: the wait ends with ``AnswerCancelled``. However the wait
    ends (the deadline, the client, the server cancelling the request), ``cancel`` is cancelled, so the
    work stops at its next check."""
    cancel = Cancel(seconds, what)
    outcome: list[Callable[[], T]] = []  # returns the work's value or raises its error

    async def run(scope: anyio.CancelScope) -> None:
        try:
            value = await anyio.to_thread.run_sync(work, cancel, abandon_on_cancel=True)
        except Exception as error:  # noqa: BLE001 - raised below, outside the task group's wrapping
            outcome.append(partial(_reraise, error))
        else:
            outcome.append(lambda: value)
        scope.cancel()

    async def watch(scope: anyio.CancelScope, client_left: Callable[[], Awaitable[None]]) -> None:
        await client_left()
        cancel.cancel(CLIENT_LEFT)
        logger.info("%s stopped: %s", what, CLIENT_LEFT)
        scope.cancel()

    try:
        with anyio.fail_after(seconds):
            async with anyio.create_task_group() as group:
                group.start_soon(run, group.cancel_scope)
                if gone is not None:
                    group.start_soon(watch, group.cancel_scope, gone)
    except TimeoutError:
        raise too_slow(what, seconds) from None
    finally:
        cancel.cancel(ABANDONED)  # the work has finished, or nobody waits for it any more
    if not outcome:
        raise AnswerCancelled(CLIENT_LEFT)
    return outcome[0]()


def _reraise(error: BaseException) -> NoReturn:
    raise error


async def ask_within(
    assistant: Assistant,
    question: str,
    history: Sequence[Turn],
    *,
    gone: Callable[[], Awaitable[None]] | None = None,
) -> Answer:
    """``Assistant.ask`` bounded by ``ASSISTANT_REQUEST_TIMEOUT``, stopped when ``gone`` returns."""

    def work(cancel: Cancel) -> Answer:
        return assistant.ask(question, history, cancel=cancel)

    return await within(assistant.settings.request_timeout, "answering", work, gone=gone)


def within_sync(seconds: float, what: str, work: Callable[[Cancel], T]) -> T:
    """``within`` for callers on a worker thread (the chat page's handlers): waits synchronously."""
    cancel = Cancel(seconds, what)
    future = _CHAT_ANSWERS.submit(work, cancel)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        future.cancel()
        raise too_slow(what, seconds) from None
    finally:
        cancel.cancel(ABANDONED)


def ask_within_sync(assistant: Assistant, question: str, history: Sequence[Turn]) -> tuple[Answer, Article]:
    """``Assistant.ask_with_article`` bounded by ``ASSISTANT_REQUEST_TIMEOUT``, for the chat page."""

    def work(cancel: Cancel) -> tuple[Answer, Article]:
        return assistant.ask_with_article(question, history, cancel=cancel)

    return within_sync(assistant.settings.request_timeout, "answering", work)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def stream_within_sync(
    assistant: Assistant,
    question: str,
    history: Sequence[Turn],
    *,
    extractive: bool = False,
    within: Cancel | None = None,
) -> Iterator[Partial | Answered]:
    """``Assistant.stream_with_article`` bounded by ``ASSISTANT_REQUEST_TIMEOUT`` in all (and by
    ``within``: a longer piece of work this answer is part of): its events as a worker thread
    produces them, ``AnswerTimeout`` once a deadline passes. A caller that stops listening (closes
    this generator, or times out) stops the worker at its next check."""
    cancel = Cancel(assistant.settings.request_timeout, parent=within)
    events: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        stream = assistant.stream_with_article(question, history, extractive=extractive, cancel=cancel)
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
            left = cancel.remaining()
            try:
                event = events.get(timeout=None if left == math.inf else max(left, 0.0))
            except queue.Empty:
                cancel.check()  # the deadline has passed: raises its AnswerTimeout
                continue
            if event is _DONE:
                return
            if isinstance(event, _Failed):
                raise event.error
            assert isinstance(event, Partial | Answered)
            yield event
    finally:
        stop.set()
        cancel.cancel(ABANDONED)
