"""The calls a build's collections take, whichever store holds them.

``BuildCollections`` is what ``BuildStore.collections`` hands out: writing a build (create a
collection, add rows in batches, copy rows from another build, delete rows) and reading it, by
collection name. ``GuardedCollection`` is how a served build is searched: each search only after its
store's ``Gate`` says the store is readable, so Chroma's own failures become a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexUnavailable
from assistant.index.stores.base import REBUILD_FIX, Gate

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)

Where = Mapping[str, Any]  # a Chroma metadata filter, e.g. {"article": {"$in": ["a", "b"]}}


class BuildCollections:
    """A build's collections in the client holding them; closing releases a per-build client."""

    def __init__(self, client: ClientAPI, closes: bool) -> None:
        self.client = client
        self._closes = closes
        self._opened: dict[str, Collection] = {}
        self._batch: int | None = None

    def __enter__(self) -> BuildCollections:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close a per-build client (it holds its store, ~10 MB, until closed); a shared one stays open."""
        if self._closes:
            self.client.close()  # type: ignore[attr-defined]

    def create(self, name: str) -> None:
        """A collection of our own vectors (Chroma embeds nothing), searched by cosine distance; one a
        half-written build left is reused."""
        self._opened[name] = self.client.get_or_create_collection(
            name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def collection(self, name: str) -> Collection:
        """The collection ``name`` (Chroma's ``NotFoundError`` if the build has none)."""
        if name not in self._opened:
            self._opened[name] = self.client.get_collection(name)
        return self._opened[name]

    def add(
        self,
        name: str,
        ids: Sequence[str],
        vectors: Any,
        metadatas: Sequence[Mapping[str, Any]],
        documents: Sequence[str] | None = None,
    ) -> None:
        """Upsert rows, in batches of the most the client takes in one call."""
        collection = self.collection(name)
        if self._batch is None:
            self._batch = self.client.get_max_batch_size()
        for first in range(0, len(ids), self._batch):
            part = slice(first, first + self._batch)
            texts = {} if documents is None else {"documents": documents[part]}
            collection.upsert(ids=ids[part], embeddings=vectors[part], metadatas=metadatas[part], **texts)

    def rows(self, name: str, include: list[str], where: Where | None = None) -> Any:
        """The collection's rows (those matching ``where``, if given) with the fields in ``include``."""
        matching = {} if where is None else {"where": where}
        return self.collection(name).get(include=include, **matching)  # type: ignore[arg-type]

    def copy_rows(self, source: BuildCollections, name: str, into: str, where: Where) -> None:
        """Copy the rows matching ``where`` (ids, vectors, metadata) from ``source``'s collection ``name``."""
        rows = source.rows(name, include=["embeddings", "metadatas"], where=where)
        self.add(into, rows["ids"], rows["embeddings"], rows["metadatas"])

    def delete_rows(self, name: str, where: Where) -> None:
        self.collection(name).delete(where=where)  # type: ignore[arg-type]

    def count(self, name: str) -> int:
        return self.collection(name).count()

    def query(self, name: str, **kwargs: Any) -> Any:
        """A nearest-neighbour search of the collection (Chroma's ``query`` arguments)."""
        return self.collection(name).query(**kwargs)


class GuardedCollection:
    """A Chroma collection read only after the gate's check; Chroma's own failures become a 503.

    Only ``query`` (the dense search, which releases the GIL) is used on the answering path.
    """

    def __init__(self, collection: Any, gate: Gate) -> None:
        self.collection = collection
        self.gate = gate

    def query(self, **kwargs: Any) -> Any:
        self.gate.ensure_readable()
        try:
            return self.collection.query(**kwargs)
        except Exception as error:
            logger.warning("searching the index store %s failed: %r", self.gate.path, error)
            self.gate.check(self.gate.wait)  # raises with the damage named, if the file shows it
            msg = f"searching the index store {str(self.gate.path)!r} failed; if this persists, {REBUILD_FIX}"
            raise IndexUnavailable(msg) from None
