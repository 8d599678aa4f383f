"""``/healthz``'s wait for the health probe: bounded by the health timeout, and cheap while it lasts.

The probe itself runs on one thread at a time (``Assistant.start_check``). A probe stuck on a lock
held elsewhere may be awaited by many requests, so waiting adds no thread and no callback per
request: one event per probe and event loop, set when the probe finishes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from concurrent.futures import Future

from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.web.deadline import too_slow

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


async def health_problem(assistant: Assistant, seconds: float) -> str | None:
    """What keeps the assistant from answering well, or None; waits at most ``seconds``."""
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
