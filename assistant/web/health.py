"""``/healthz``'s wait for the health probe: bounded by the health timeout, and cheap while it lasts.

The probe itself runs on one thread at a time (``Assistant.start_check``). A probe stuck on a lock
held elsewhere may be awaited by many requests, so waiting adds no thread and no callback per
request: one event per probe and event loop, set when the probe finishes.

The library's state (how many articles, when it last changed) is read on a worker thread, within the
same timeout: one that cannot be read within it, or at all, makes the status ``degraded`` too.

An answerer leaning on a model server (``Monitored``) adds its last failure: answers still come
(extractive), but the status is ``degraded`` until a request or a probe here finds it working again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from concurrent.futures import Future

import anyio

from assistant.answer.base import Monitored
from assistant.delivery.deadline import too_slow
from assistant.errors import AssistantError
from assistant.library.shelf import LibraryState, Shelf
from assistant.pipeline import Assistant

logger = logging.getLogger(__name__)

_finished: weakref.WeakKeyDictionary[Future[None], dict[asyncio.AbstractEventLoop, asyncio.Event]] = (
    weakref.WeakKeyDictionary()
)
_finished_lock = threading.Lock()


def _finished_event(probe: Future[None]) -> asyncio.Event:
    """This loop's event for ``probe``: created, with its one done-callback, by the first waiter."""
    loop = asyncio.get_running_loop()
    with _finished_lock:
        events = _finished.setdefault(probe, {})
        event = events.get(loop)
        if event is not None:
            return event
        event = events[loop] = asyncio.Event()

    def wake(_: Future[None]) -> None:
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass

    probe.add_done_callback(wake)
    return event


async def answerer_problem(assistant: Assistant, seconds: float) -> str | None:
    """The answerer's service failure, if it had one and it persists: tried again, waiting ``seconds``."""
    answerer = assistant.answerer
    if not isinstance(answerer, Monitored) or answerer.problem() is None:
        return None
    try:
        with anyio.fail_after(max(seconds, 0.0)):
            return await anyio.to_thread.run_sync(answerer.recheck, abandon_on_cancel=True)
    except TimeoutError:
        return answerer.problem()


async def health_problem(assistant: Assistant, seconds: float) -> str | None:
    """What keeps the assistant from answering well, or None; waits at most ``seconds``."""
    deadline = time.monotonic() + seconds
    problems = [await _probe_problem(assistant, seconds)]
    problems.append(await answerer_problem(assistant, deadline - time.monotonic()))
    found = [p for p in problems if p is not None]
    return "; ".join(found) if found else None


async def _probe_problem(assistant: Assistant, seconds: float) -> str | None:
    probe = assistant.start_check()
    if not probe.done():
        try:
            await asyncio.wait_for(_finished_event(probe).wait(), seconds)
        except TimeoutError:
            return str(too_slow("the health probe", seconds))
    error = probe.exception()
    if error is None:
        return None
    if isinstance(error, AssistantError):
        return str(error)
    logger.error("the health probe failed unexpectedly", exc_info=error)
    return "the health probe failed unexpectedly; see the server log"


async def library_state(shelf: Shelf, seconds: float) -> tuple[LibraryState | None, str | None]:
    """The library as ``shelf`` serves it, or None and why it could not be read within ``seconds``.

    Usually two ``stat`` calls; the entries are read again only after the library changed."""
    try:
        with anyio.fail_after(max(seconds, 0.0)):
            return await anyio.to_thread.run_sync(shelf.library_state, abandon_on_cancel=True), None
    except TimeoutError:
        return None, str(too_slow("reading the library", seconds))
    except AssistantError as error:
        return None, str(error)
