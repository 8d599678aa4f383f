"""A lock that several hosts share through a Chroma server: a collection that exists while it is held.

Creating a collection whose name is taken fails on the server, so exactly one creator wins. Its
metadata says who holds it (host, pid) and since when, and a lease the holder renews every
``LEASE_SECONDS / 3``. A holder killed mid-way stops renewing; ``LEASE_SECONDS`` later the next taker
takes over, renaming the lapsed lock by its id before deleting it, so two takers never delete a fresh
lock. A holder asks ``still_held`` before it publishes: one that stalled past its lease lost it.

Used for the build lock of each index (``ServerCatalog``) and for the library's lock on the server.
The hosts' clocks must agree to well within the lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assistant.index.stores.base import Progress

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
RETRY_SECONDS = 0.05  # a held library lock is held briefly (a claim, a publish): look again soon


def utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Holder:
    """Who holds a lock another process wants, in words for its refusal."""

    owner: str
    since: str
    expires: str


def refusal(holder: Holder, doing: str, fix: str) -> str:
    """Why a lock was not taken, in words a user can act on: who holds it, since when, until when."""
    return (
        f"another process ({holder.owner}) is {doing} since {holder.since}; {fix} (if that process died, "
        f"its lock lapses at {holder.expires})"
    )


class Lease:
    """One attempt at the lock named ``name``; renewed on a thread while held."""

    def __init__(self, client: Any, where: str, name: str) -> None:
        self.client = client
        self.where = where
        self.name = name
        self.owner = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"
        self.collection: Collection | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _metadata(self, since: float) -> dict[str, Any]:
        return {"owner": self.owner, "since": since, "expires": time.time() + LEASE_SECONDS}

    def try_acquire(self) -> Holder | None:
        """None once acquired; else who holds it (``Holder("", …)``: released or cleared, try again)."""
        from chromadb.errors import NotFoundError

        try:
            self.collection = self.client.create_collection(
                self.name, metadata=self._metadata(time.time()), embedding_function=None
            )
        except Exception as error:
            if "already exists" not in str(error):
                raise
        else:
            self._renewer = threading.Thread(target=self._renew, name=f"lease-{self.name}", daemon=True)
            self._renewer.start()
            return None
        try:
            held = self.client.get_collection(self.name)
        except NotFoundError:
            return Holder("", "", "")
        metadata = held.metadata or {}
        if float(metadata.get("expires", 0)) < time.time():
            owner = metadata.get("owner")
            logger.warning("taking over the lock %r on %s, left to lapse by %s", self.name, self.where, owner)
            lapsed = f"{self.name}-lapsed-{uuid.uuid4().hex[:8]}"
            with contextlib.suppress(Exception):
                held.modify(name=lapsed)  # by id: a fresh lock someone else just made is left alone
                self.client.delete_collection(lapsed)
            return Holder("", "", "")
        owner = str(metadata.get("owner", "unknown"))
        return Holder(owner, utc(float(metadata.get("since", 0))), utc(float(metadata.get("expires", 0))))

    def _renew(self) -> None:
        since = time.time()
        while not self._stop.wait(LEASE_SECONDS / 3):
            try:
                assert self.collection is not None
                self.collection.modify(metadata=self._metadata(since))
            except Exception as error:  # noqa: BLE001 - publishing checks the lock is still ours
                logger.warning("renewing the lock %r on %s failed: %r", self.name, self.where, error)

    def still_held(self) -> bool:
        """The lock collection on the server is still the one this lease created."""
        try:
            held = self.client.get_collection(self.name)
            return self.collection is not None and held.id == self.collection.id
        except Exception:  # noqa: BLE001 - not provably ours: refuse to publish
            return False

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(5)
        if self.collection is None:
            return
        released = f"{self.name}-released-{uuid.uuid4().hex[:8]}"
        try:
            self.collection.modify(name=released)  # by id: never another holder's lock
            self.client.delete_collection(released)
        except Exception as error:  # noqa: BLE001 - the lease lapses on its own
            logger.warning("releasing the lock %r on %s failed (it lapses): %r", self.name, self.where, error)


@contextlib.contextmanager
def held(
    lease: Lease,
    wait_seconds: float,
    progress: Progress,
    refused: Callable[[Holder], Exception],
    unreachable: Callable[[str, Exception], Exception],
) -> Iterator[Lease]:
    """Hold ``lease``; wait for another holder up to ``wait_seconds`` (saying so once), then raise
    ``refused(holder)``; a server that fails is ``unreachable(doing, error)``."""
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            holder = lease.try_acquire()
        except Exception as error:
            raise unreachable(f"taking the lock {lease.name!r}", error) from None
        if holder is None:
            break
        if not holder.owner:
            continue  # the lock was just released or cleared: try again at once
        if time.monotonic() >= deadline:
            raise refused(holder)
        if not announced:
            who = str(refused(holder)).split(";")[0]
            progress(f"{who[:1].upper()}{who[1:]}; waiting for it…")
            announced = True
        time.sleep(RETRY_SECONDS)
    try:
        yield lease
    finally:
        lease.release()
