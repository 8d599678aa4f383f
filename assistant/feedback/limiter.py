"""How many ratings one client may send a minute: a sliding window per client, in memory.

Kept in memory, not in the database, so no client address is ever written down; each server process
counts on its own (run N workers and a client gets N budgets).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from assistant.errors import FeedbackRateLimited

WINDOW_SECONDS = 60.0
# Enough for every reader of a busy intranet at once; past it, the quietest clients are forgotten first.
MAX_CLIENTS = 10_000


class RateLimiter:
    """``take(client)`` spends one of the client's ratings this minute, or raises ``FeedbackRateLimited``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._recent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            recent = self._recent.pop(client, None) or deque()
            while recent and recent[0] <= now - WINDOW_SECONDS:
                recent.popleft()
            if len(recent) >= self.per_minute:
                self._recent[client] = recent
                retry_after = max(1, math.ceil(recent[0] + WINDOW_SECONDS - now))
                raise FeedbackRateLimited(self.per_minute, retry_after)
            recent.append(now)
            self._recent[client] = recent  # re-inserted: the dict stays ordered by last use
            if len(self._recent) > MAX_CLIENTS:
                del self._recent[next(iter(self._recent))]
