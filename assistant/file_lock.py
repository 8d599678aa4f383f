"""An exclusive lock on a file that waits a bounded time: the index directory's and the library's.

``fcntl.flock`` is released by the kernel when its holder dies, so a crashed writer never leaves a
lock behind; a waiter says once that it waits, then gives up with the caller's own message. ``locked``
is what a folder's writers hold (it makes the lock file); ``held`` locks a file already open.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
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


@contextlib.contextmanager
def locked(
    path: Path,
    wait_seconds: float,
    waiting: Callable[[], None],
    busy: Callable[[], Exception],
    unwritable: Callable[[OSError], Exception],
) -> Iterator[None]:
    """Hold the lock file ``path``, made with its folder if missing, as ``held`` holds a handle;
    ``unwritable(error)`` is raised when the folder or the file cannot be made or opened."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as error:
        raise unwritable(error) from error
    with handle, held(handle, wait_seconds, waiting, busy):
        yield
