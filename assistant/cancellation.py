"""Work nobody waits for stops: a question carries a ``Cancel`` through the stages.

A worker thread cannot be stopped from outside, so an answer given up at its deadline (or by a client
that left) used to run to its end: four costly questions kept the CPU busy for 15 s after their 503s.
Now whoever waits (``assistant.delivery.deadline``) hands the question a ``Cancel`` holding the
request's deadline, and cancels it when it stops waiting; the stages call ``check()`` between units of
work (before each stage, before each cross-encoder pair), which raises ``AnswerTimeout`` once the
deadline has passed and ``AnswerCancelled`` once the waiter gave up. The work then ends within one unit
(one pair: tens of milliseconds) instead of running for seconds more.
"""

from __future__ import annotations

import math
import time

from assistant.errors import AnswerCancelled, AnswerTimeout


class Cancel:
    """Whether an answer is still wanted: until ``seconds`` from now (None: no deadline of its own),
    unless ``cancel`` was called on it, and while its ``parent`` (a larger piece of work it is part
    of, such as a replayed conversation) is still wanted. Read from any thread; cancelled from any."""

    def __init__(
        self, seconds: float | None = None, what: str = "answering", *, parent: Cancel | None = None
    ):
        self.seconds = seconds
        self.what = what
        self.deadline = math.inf if seconds is None else time.monotonic() + seconds
        self._parent = parent
        self._why: str | None = None

    def cancel(self, why: str) -> None:
        """Nobody waits any more; ``why`` is the message of the ``AnswerCancelled`` the work ends with.
        The first reason given stays."""
        if self._why is None:
            self._why = why

    def remaining(self) -> float:
        """Seconds until the nearest deadline (this token's or a parent's); ``inf`` without one."""
        own = self.deadline - time.monotonic()
        return min(own, self._parent.remaining()) if self._parent is not None else own

    def check(self) -> None:
        """Raise if the work should stop: ``AnswerCancelled`` (cancelled), ``AnswerTimeout`` (deadline)."""
        if self._why is not None:
            raise AnswerCancelled(self._why)
        if self._parent is not None:
            self._parent.check()
        if time.monotonic() >= self.deadline:
            raise AnswerTimeout.after(self.what, self.seconds or 0.0)

    @property
    def stopped(self) -> bool:
        """Whether ``check`` would raise: the deadline has passed or someone cancelled."""
        return self._why is not None or self.remaining() <= 0 or bool(self._parent and self._parent.stopped)
