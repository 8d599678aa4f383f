"""Which build is current, and who may build: kept on the Chroma server when the collections are there.

Workers on several hosts share one Chroma server. A ``CURRENT`` file in each host's index directory
would let them disagree about which build answers, and a file lock on one host keeps nobody on
another host out. So with ``ASSISTANT_CHROMA_URL`` the server holds the whole truth, and nothing is
written to the local index directory:

- the builds' collections, ``article-<source>-<build>-sentences|passages``, as before;
- the pointer: the metadata of the collection ``assistant-current`` names the current build (and the
  one before it) and holds their manifests as JSON. Chroma replaces a collection's metadata in one
  write, so moving the pointer is atomic, as the rename of ``CURRENT`` is;
- the build lock: the collection ``assistant-indexing`` exists while one process builds. Creating a
  collection whose name is taken fails on the server, so exactly one creator wins. Its metadata says
  who holds it (host, pid) and since when, and a lease the holder renews every ``LEASE_SECONDS / 3``.
  A holder killed mid-build stops renewing; ``LEASE_SECONDS`` later the next indexer takes over,
  renaming the lapsed lock by its id before deleting it, so two takers never delete a fresh lock.
  A holder that lost its lock (it stalled past its lease) refuses to move the pointer.

Several indexes can share one server (a library's articles): each ``scope`` has its own pointer and
lock (``assistant-current-<scope>``, ``assistant-indexing-<scope>``); the default scope is "".

Workers read the pointer at most every ``POLL_SECONDS``: a rebuild made anywhere is served
everywhere within that time. The hosts' clocks must agree to well within the lease.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexBusy, IndexUnavailable
from assistant.index.stores.base import Progress

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from assistant.index.stores.shared_client import SharedClientStore

logger = logging.getLogger(__name__)

# A build's name as ``IndexDirectory.build`` (and the article router) makes it.
BUILD_NAME = r"\d{8}T\d{6}-[0-9a-f]{8}"
POINTER = "assistant-current"
LOCK = "assistant-indexing"
LEASE_SECONDS = 60.0
POLL_SECONDS = 1.0


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class ServerCatalog:
    """The pointer and the build lock as collections of the Chroma server (see the module docstring)."""

    def __init__(self, store: SharedClientStore, scope: str = "") -> None:
        """``scope`` names one of several indexes kept on the same server (e.g. an article's id): each
        has its own pointer and lock; "" is the single-article default."""
        self.store = store
        self.where = store.where
        suffix = f"-{scope}" if scope else ""
        self.pointer_name = POINTER + suffix
        self.lock_name = LOCK + suffix
        self.scope = scope
        # The builds of this scope, and only those, as ``begin`` names them: "<scope>.<time>-<hex>".
        self._build_name = rf"{re.escape(scope)}\.{BUILD_NAME}" if scope else BUILD_NAME
        self._polled: tuple[float, object] | None = None
        self._held: _Lease | None = None

    def _client(self) -> Any:
        return self.store.client(None)

    def _unreachable(self, doing: str, error: Exception) -> IndexUnavailable:
        logger.info("%s on %s failed: %r", doing, self.where, error)
        return IndexUnavailable(self.store.failure(error))

    def _pointer(self) -> dict[str, Any] | None:
        """The pointer's metadata, or None if no build was ever published on this server."""
        from chromadb.errors import NotFoundError

        client = self._client()
        try:
            metadata = client.get_collection(self.pointer_name).metadata or {}
        except NotFoundError:
            return None
        except Exception as error:
            raise self._unreachable("reading the current build", error) from None
        self._polled = (time.monotonic(), metadata.get("build"))
        return metadata if metadata.get("build") else None

    def marker(self) -> object:
        """The current build's name, read from the server at most every ``POLL_SECONDS``; while the
        server does not answer, the last one read (the searches themselves report the outage)."""
        polled = self._polled
        if polled is not None and time.monotonic() - polled[0] < POLL_SECONDS:
            return polled[1]
        try:
            self._pointer()
        except IndexUnavailable:
            known = polled[1] if polled is not None else None
            self._polled = (time.monotonic(), known)  # a hung server costs one request a poll, not each
            return known
        return self._polled[1] if self._polled is not None else None

    def current(self) -> tuple[str, dict[str, Any] | None] | None:
        pointer = self._pointer()
        if pointer is None:
            return None
        try:
            manifest = json.loads(pointer.get("manifest", ""))
        except ValueError:
            manifest = None
        return pointer["build"], manifest if isinstance(manifest, dict) else None

    def build_path(self, name: str) -> Path:
        """A build on the server has no folder: its path is just its name."""
        return Path(name)

    def begin(self, name: str) -> Path:
        """A new build's name, qualified by the scope so that cleaning up never touches another's."""
        return self.build_path(f"{self.scope}.{name}" if self.scope else name)

    def abandon(self, build: Path) -> None:
        """Nothing to do: a build's collections left half-written are removed by the next build."""

    def describe(self, build: Path) -> str:
        return f"build {build.name} on {self.where}"

    @contextlib.contextmanager
    def locked(self, wait_seconds: float, progress: Progress) -> Iterator[None]:
        """Hold the server's build lock; wait for another indexer up to ``wait_seconds``, then refuse."""
        lease = _Lease(self._client(), self.where, self.lock_name)
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                holder = lease.try_acquire()
            except Exception as error:
                raise self._unreachable("taking the build lock", error) from None
            if holder is None:
                break
            if not holder:
                continue  # the lock was just released or cleared: try again at once
            if time.monotonic() >= deadline:
                raise IndexBusy(holder)
            if not announced:
                who = holder.split(";")[0]
                progress(f"{who[:1].upper()}{who[1:]}; waiting for it…")
                announced = True
            time.sleep(0.2)
        self._held = lease
        try:
            yield
        finally:
            self._held = None
            lease.release()

    def publish(self, name: str, manifest: dict[str, Any]) -> None:
        """Make ``name`` the current build, keeping the one before it; only while holding the lock."""
        lease = self._held
        if lease is None or not lease.still_held():
            msg = (
                f"this process lost its build lock on {self.where} (it stalled longer than the "
                f"{LEASE_SECONDS:g} s lease, and another indexer took over); run `assistant index` again"
            )
            raise IndexBusy(msg)
        try:
            previous = self._pointer() or {}
            pointer = self._client().get_or_create_collection(self.pointer_name, embedding_function=None)
            pointer.modify(
                metadata={
                    "build": name,
                    "manifest": json.dumps(manifest),
                    "previous": previous.get("build", ""),
                    "previous_manifest": previous.get("manifest", ""),
                    "published_at": time.time(),
                    "published_by": lease.owner,
                }
            )
        except Exception as error:
            raise self._unreachable("moving the current build", error) from None
        self._polled = None

    def remove_old(self, keep: str, prefix: str, units: Sequence[str]) -> None:
        """Delete this index's builds other than the current one and the one before it (workers may
        still be serving it until their next poll). Only while holding the lock."""
        collection = re.compile(rf"{self._build_name}-({'|'.join(map(re.escape, units))})")
        pointer = self._pointer() or {}
        kept = []
        for key in ("manifest", "previous_manifest"):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                kept.append(json.loads(pointer.get(key, ""))["collection"])
        try:
            names = [c.name for c in self._client().list_collections()]
        except Exception as error:  # noqa: BLE001 - an old build left behind costs space, not answers
            logger.info("could not list the collections on %s: %r", self.where, error)
            return
        kept_prefixes = tuple(f"{k}-" for k in kept)
        for name in names:
            ours = name.startswith(prefix) and collection.fullmatch(name[len(prefix) :]) is not None
            if ours and not name.startswith(kept_prefixes):
                try:
                    self._client().delete_collection(name)
                except Exception as error:  # noqa: BLE001 - an old build left behind costs space, not answers
                    logger.info("could not delete the old collection %r from %s: %r", name, self.where, error)

    def history(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """None to go back to: the pointer keeps only the build before the current one, for workers that
        still read it, and every older build is deleted."""
        return iter(())

    def forget_current(self) -> None:
        """Delete this scope's pointer (the builds' collections are the store's to remove)."""
        self._client().delete_collection(self.pointer_name)


class _Lease:
    """One attempt at the build lock; renewed on a thread while held."""

    def __init__(self, client: Any, where: str, name: str = LOCK) -> None:
        self.client = client
        self.where = where
        self.name = name
        self.owner = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"
        self.collection: Collection | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False

    def _metadata(self, since: float) -> dict[str, Any]:
        return {"owner": self.owner, "since": since, "expires": time.time() + LEASE_SECONDS}

    def try_acquire(self) -> str | None:
        """None once acquired; else who holds it, as the refusal's message ("": try again at once)."""
        from chromadb.errors import NotFoundError

        try:
            self.collection = self.client.create_collection(
                self.name, metadata=self._metadata(time.time()), embedding_function=None
            )
        except Exception as error:
            if "already exists" not in str(error):
                raise
        else:
            self._renewer = threading.Thread(target=self._renew, name="index-lock-lease", daemon=True)
            self._renewer.start()
            return None
        try:
            held = self.client.get_collection(self.name)
        except NotFoundError:
            return ""
        metadata = held.metadata or {}
        if float(metadata.get("expires", 0)) < time.time():
            owner = metadata.get("owner")
            logger.warning("taking over the build lock on %s, left to lapse by %s", self.where, owner)
            lapsed = f"{self.name}-lapsed-{uuid.uuid4().hex[:8]}"
            with contextlib.suppress(Exception):
                held.modify(name=lapsed)  # by id: a fresh lock someone else just made is left alone
                self.client.delete_collection(lapsed)
            return ""
        since = float(metadata.get("since", 0))
        return (
            f"another process ({metadata.get('owner', 'unknown')}) is indexing into {self.where} since "
            f"{_utc(since)}; wait for it to finish and try again (if that process died, its lock lapses "
            f"at {_utc(float(metadata.get('expires', 0)))})"
        )

    def _renew(self) -> None:
        since = time.time()
        while not self._stop.wait(LEASE_SECONDS / 3):
            try:
                assert self.collection is not None
                self.collection.modify(metadata=self._metadata(since))
            except Exception as error:  # noqa: BLE001 - publishing checks the lock is still ours
                logger.warning("renewing the build lock on %s failed: %r", self.where, error)

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
            logger.warning("releasing the build lock on %s failed (it lapses): %r", self.where, error)
