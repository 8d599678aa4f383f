"""Documents kept on the Chroma server in one collection: what several hosts must agree about besides
the index builds (the library's entries and article texts).

Each record is a row: an id, a document (text or JSON) and flat metadata to find it by; Chroma keeps
one write of one row whole, and a row with a one-dimensional zero vector is never searched by meaning.
The collection's own metadata is the change stamp: whoever changes the records ``touch``es it, and
readers compare it at most every ``POLL_SECONDS``, one small request, however many records there are.
A lock, shared by every host, guards changes (``lease.py``).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexUnavailable
from assistant.index.stores.base import Progress
from assistant.index.stores.lease import Holder, Lease, held

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from assistant.index.stores.shared_client import SharedClientStore

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
PAGE = 500  # rows per request when reading many: a server's response stays small
NO_VECTOR = [0.0]
Metadata = Mapping[str, str | int | float | bool]


@dataclass(frozen=True)
class Record:
    id: str
    document: str
    metadata: dict[str, Any]


class ServerRecords:
    """The records of one named collection on the server of ``store`` (``SharedClientStore``)."""

    def __init__(self, store: SharedClientStore, name: str) -> None:
        self.store = store
        self.name = name
        self.where = store.where
        self._collection: Collection | None = None
        self._polled: tuple[float, object] | None = None

    def _rows(self) -> Collection:
        if self._collection is None:
            client = self.store.client(None)
            self._collection = client.get_or_create_collection(self.name, embedding_function=None)
        return self._collection

    def _call(self, doing: str, action: Callable[[Collection], Any]) -> Any:
        """``action`` on the collection; a failure is an ``IndexUnavailable`` naming the server. A
        collection deleted meanwhile (a server wiped) is looked up again once."""
        from chromadb.errors import NotFoundError

        for attempt in (1, 2):
            try:
                return action(self._rows())
            except NotFoundError:
                self._collection = None
                if attempt == 2:
                    raise IndexUnavailable(self.store.failure(RuntimeError(doing))) from None
            except IndexUnavailable:
                raise
            except Exception as error:
                logger.info("%s on %s failed: %r", doing, self.where, error)
                self._collection = None
                raise IndexUnavailable(self.store.failure(error)) from None
        raise AssertionError("unreachable")

    # -- reading --

    def get(self, ids: Sequence[str]) -> dict[str, Record]:
        if not ids:
            return {}
        found = self._call(
            "reading records", lambda c: c.get(ids=list(ids), include=["documents", "metadatas"])
        )
        return {r.id: r for r in _records(found)}

    def find(
        self, where: Metadata, limit: int | None = None, offset: int = 0, documents: bool = True
    ) -> list[Record]:
        """Records whose metadata match ``where`` (equality on each key), read ``PAGE`` at a time;
        without their ``documents`` (left "") when only the metadata is wanted."""
        include = ["documents", "metadatas"] if documents else ["metadatas"]
        condition: dict[str, Any] = dict(where)
        if len(condition) > 1:
            condition = {"$and": [{key: value} for key, value in condition.items()]}
        records: list[Record] = []
        while limit is None or len(records) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(records))
            start = offset + len(records)
            found = self._call(
                "reading records",
                lambda c, size=size, start=start: c.get(
                    where=condition, limit=size, offset=start, include=include
                ),
            )
            page = _records(found)
            records.extend(page)
            if len(page) < size:
                break
        return records

    def stamp(self) -> object:
        """What changes whenever a writer ``touch``es: read from the server at most every
        ``POLL_SECONDS``; while the server does not answer, the last one read."""
        polled = self._polled
        if polled is not None and time.monotonic() - polled[0] < POLL_SECONDS:
            return polled[1]
        try:
            metadata = self._call("reading the change stamp", lambda c: self._fresh(c).metadata) or {}
        except IndexUnavailable:
            known = polled[1] if polled is not None else None
            self._polled = (time.monotonic(), known)
            return known
        stamp = (metadata.get("change"), metadata.get("changed_at"))
        self._polled = (time.monotonic(), stamp)
        return stamp

    def changed_at(self) -> float | None:
        """When a writer last ``touch``ed, as the stamp last read says (seconds since the epoch)."""
        self.stamp()
        polled = self._polled
        stamp = polled[1] if polled is not None else None
        return float(stamp[1]) if isinstance(stamp, tuple) and stamp[1] is not None else None

    def _fresh(self, collection: Collection) -> Collection:
        """The collection as the server has it now (its metadata is read when it is fetched)."""
        return self.store.client(None).get_collection(collection.name)

    # -- writing (hold ``locked``) --

    def put(self, records: Sequence[Record]) -> None:
        if not records:
            return
        self._call(
            "writing records",
            lambda c: c.upsert(
                ids=[r.id for r in records],
                documents=[r.document for r in records],
                metadatas=[r.metadata for r in records],
                embeddings=[NO_VECTOR for _ in records],
            ),
        )

    def delete(self, ids: Sequence[str] = (), where: Metadata | None = None) -> None:
        if ids:
            self._call("deleting records", lambda c: c.delete(ids=list(ids)))
        if where:
            condition: dict[str, Any] = dict(where)
            if len(condition) > 1:
                condition = {"$and": [{key: value} for key, value in condition.items()]}
            self._call("deleting records", lambda c: c.delete(where=condition))

    def touch(self) -> None:
        """Tell every reader the records changed (the collection's metadata, replaced in one write)."""
        stamp = {"change": uuid.uuid4().hex, "changed_at": time.time()}
        self._call("writing the change stamp", lambda c: c.modify(metadata=stamp))
        self._polled = None

    @contextlib.contextmanager
    def locked(
        self, lock: str, wait_seconds: float, progress: Progress, refused: Callable[[Holder], Exception]
    ) -> Iterator[Lease]:
        """Hold the lock named ``lock`` on this server (every host shares it); ``refused(holder)`` past
        ``wait_seconds``."""

        def unreachable(doing: str, error: Exception) -> IndexUnavailable:
            logger.info("%s on %s failed: %r", doing, self.where, error)
            return IndexUnavailable(self.store.failure(error))

        try:
            lease = Lease(self.store.client(None), self.where, lock)
        except Exception as error:
            raise unreachable(f"taking the lock {lock!r}", error) from None
        with held(lease, wait_seconds, progress, refused, unreachable) as holding:
            yield holding


def _records(found: Mapping[str, Any]) -> list[Record]:
    ids = found.get("ids") or []
    documents = found.get("documents") or [""] * len(ids)
    metadatas = found.get("metadatas") or [{}] * len(ids)
    return [Record(i, documents[n] or "", dict(metadatas[n] or {})) for n, i in enumerate(ids)]
