"""Which build is current, and who may build: kept on the Chroma server when the collections are there.

Workers on several hosts share one Chroma server. A ``CURRENT`` file in each host's index directory
would let them disagree about which build answers, and a file lock on one host keeps nobody on
another host out. So with ``ASSISTANT_CHROMA_URL`` the server holds the whole truth, and nothing is
written to the local index directory:

- the builds' collections, ``article-<source>-<build>-sentences|passages``, as before;
- the pointer: the metadata of the collection ``assistant-current`` names the current build (and the
  one before it) and holds their manifests as JSON. Chroma replaces a collection's metadata in one
  write, so moving the pointer is atomic, as the rename of ``CURRENT`` is;
- the build lock: the collection ``assistant-indexing`` exists while one process builds, a ``Lease``
  (``lease.py``: one creator wins, renewed while held, taken over once lapsed). A holder that lost its
  lock (it stalled past its lease) refuses to move the pointer.

Several indexes can share one server (a library's articles): each ``scope`` has its own pointer and
lock (``assistant-current-<scope>``, ``assistant-indexing-<scope>``); the default scope is "".

Workers read the pointer at most every ``POLL_SECONDS``: a rebuild made anywhere is served
everywhere within that time. The hosts' clocks must agree to well within the lease.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexBusy, IndexUnavailable
from assistant.index.stores.base import Progress
from assistant.index.stores.lease import LEASE_SECONDS, Holder, Lease, held, refusal

if TYPE_CHECKING:
    from assistant.index.stores.shared_client import SharedClientStore

logger = logging.getLogger(__name__)

POINTER = "assistant-current"
LOCK = "assistant-indexing"
POLL_SECONDS = 1.0


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
        self._polled: tuple[float, object] | None = None
        self._held: Lease | None = None
        self._dropped: str | None = None  # the collection of the build the last publish let go of
        self._crashed: str | None = None  # a build ``begin`` found marked but never published

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
        """A new build's name, qualified by the scope so that cleaning up never touches another's, and
        marked in the pointer as being written (before any of its collections exist): should this
        process die before publishing it, the next build of this index deletes them by name."""
        build = f"{self.scope}.{name}" if self.scope else name
        try:
            pointer = self._client().get_or_create_collection(self.pointer_name, embedding_function=None)
            metadata = dict(pointer.metadata or {})
            self._crashed = str(metadata["building"]) if metadata.get("building") else None
            pointer.modify(metadata={**metadata, "building": build})
        except Exception as error:
            raise self._unreachable("marking the new build", error) from None
        return self.build_path(build)

    def abandon(self, build: Path) -> None:
        """Nothing to do: a build's collections left half-written are removed by the next build."""

    def describe(self, build: Path) -> str:
        return f"build {build.name} on {self.where}"

    @contextlib.contextmanager
    def locked(self, wait_seconds: float, progress: Progress) -> Iterator[None]:
        """Hold the server's build lock; wait for another indexer up to ``wait_seconds``, then refuse."""

        def refused(holder: Holder) -> IndexBusy:
            fix = "wait for it to finish and try again"
            return IndexBusy(refusal(holder, f"indexing into {self.where}", fix))

        try:
            lease = Lease(self._client(), self.where, self.lock_name)
        except Exception as error:
            raise self._unreachable("taking the build lock", error) from None
        with held(lease, wait_seconds, progress, refused, self._unreachable) as self._held:
            try:
                yield
            finally:
                self._held = None

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
            with contextlib.suppress(ValueError, TypeError, KeyError):  # the build let go of now
                self._dropped = str(json.loads(previous.get("previous_manifest", ""))["collection"])
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
        still be serving it until their next poll): the build the last ``publish`` let go of, and one a
        process killed mid-build left (``begin`` marked it). By name: listing a server's collections
        costs time that grows with every article on it (0.6 s at 800 articles). Only while holding the
        lock."""
        pointer = self._pointer() or {}
        kept = set()
        for key in ("manifest", "previous_manifest"):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                kept.add(json.loads(pointer.get(key, ""))["collection"])
        doomed = {self._dropped} if self._dropped else set()
        if self._crashed and self._crashed != keep:
            doomed.add(f"{prefix}{self._crashed}")
        self._dropped = self._crashed = None
        for collection in sorted(doomed - kept):
            for unit in units:
                try:
                    self._client().delete_collection(f"{collection}-{unit}")
                except Exception as error:  # noqa: BLE001 - an old build left behind costs space, not answers
                    logger.info(
                        "could not delete the old collection %r from %s: %r", collection, self.where, error
                    )

    def history(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The build before the current one, the only one kept besides it (``remove_old``): to go back
        to when a version of an article was never published (its process was killed)."""
        pointer = self._pointer() or {}
        try:
            manifest = json.loads(pointer.get("previous_manifest", ""))
        except ValueError:
            return
        if pointer.get("previous") and isinstance(manifest, dict):
            yield str(pointer["previous"]), manifest

    def forget_current(self) -> None:
        """Delete this scope's pointer (the builds' collections are the store's to remove)."""
        self._client().delete_collection(self.pointer_name)
