"""An exclusive lock on a file that waits a bounded time: the index directory's and the library's.

``fcntl.flock`` is released by the kernel when its holder dies, so a crashed writer never leaves a
lock behind; a waiter says once that it waits, then gives up with the caller's own message.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from typing import IO

POLL_SECONDS = 0.1


@contextlib.contextmanager
def held(
    handle: IO[str], wait_seconds: float, waiting: Callable[[], None], busy: Callable[[], Exception]
) -> Iterator[None]:
    """Hold ``handle``'s file exclusively; ``waiting()`` once if another holds it, ``busy()`` raised
    once ``wait_seconds`` have passed without it."""
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise busy() from None
            if not announced:
                waiting()
                announced = True
            time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
