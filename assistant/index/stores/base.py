"""The store seam: where an index build's Chroma collections live, and where the truth about builds does.

Every index (an article's, the library's router) is written as immutable builds: a new build is written
beside the current one and then made current in one atomic step, so a crash half-way leaves the previous
build answering. Three parts, each a protocol here with its contract:

- a ``BuildStore`` holds each build's collections and tells whether they are whole: an embedded Chroma
  store in each build's folder (``embedded.EmbeddedStore``, the default) or every build as collections
  of one shared client, a Chroma server's or one the caller passes in (``shared_client.SharedClientStore``);
- a ``Catalog`` keeps which build is current, each build's manifest and the build lock: files in the
  index directory (``file_catalog.FileCatalog``: one host), or, with a Chroma server that workers on
  several hosts share, the server itself (``server_catalog.ServerCatalog``);
- a ``Gate`` guards the reads of an opened build, so a locked or damaged store is a quick 503 rather
  than a hung request.

``factory.chroma_store`` is the one place that picks the store, and through it the catalog. Nothing
outside this package names a concrete store, catalog or gate: code that needs to know how one behaves
asks the protocol (``tests/index/test_store_seam.py`` keeps it so). A new store is a module here, a class
that meets ``BuildStore`` (and its catalog, if the truth about builds lives with it), and a branch in
the factory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import IndexBusy, IndexUnavailable
from assistant.offline import enforce_offline

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from assistant.index.stores.build_collections import BuildCollections

Progress = Callable[[str], None]

# Seconds a request waits for another process's lock on the store before it gets a 503. Nothing of
# ours writes a finished build, so a lock there is someone else's and not worth a longer wait.
LOCK_WAIT = 0.5
REBUILD_FIX = "rebuild it with `assistant index --rebuild`"
WRITABLE_FIX = "make it writable, or point ASSISTANT_INDEX_DIR at a writable directory"


def chroma_settings() -> Any:
    """Offline by default: Chroma's telemetry stays off, and nothing may reset a store."""
    enforce_offline()
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


@dataclass(frozen=True)
class StoreProblem:
    """What is wrong with a build's store: locked by another process, or damaged."""

    path: Path
    locked: bool
    text: str

    def error(self) -> IndexBusy | IndexUnavailable:
        if self.locked:
            return IndexBusy(f"{self.text}; stop that process, or {REBUILD_FIX}")
        return IndexUnavailable(f"{self.text}; {REBUILD_FIX}")


class Gate(Protocol):
    """What guards an opened build's reads (see ``build_collections.GuardedCollection``)."""

    path: Path | str  # named in messages
    wait: float

    def ensure_readable(self) -> None:
        """Cheap, before every search: raise ``IndexBusy``/``IndexUnavailable`` rather than hang."""
        ...

    def check(self, wait: float) -> None:
        """Full: the collections hold what the manifest says; raise what is wrong."""
        ...


class BuildStore(Protocol):
    """Where ``IndexDirectory`` and the article router keep each build's collections.

    A build is identified by the path its catalog gives it (``Catalog.build_path``): a folder, or just
    a name. Calls that reach a server that does not answer raise ``IndexUnavailable`` naming it.
    """

    @property
    def client_per_build(self) -> bool:
        """True when each build has its own client, which holds the build's store open (chromadb keeps
        an embedded store in a process-wide cache until its last client closes) and is closed when the
        build is no longer read. False for a shared client: not the reader's to close."""
        ...

    def client(self, build_dir: Path) -> ClientAPI:
        """The Chroma client holding (or about to hold) the build's collections."""
        ...

    def collections(self, build_dir: Path) -> BuildCollections:
        """The build's collections, for writing or reading; connects now, so an unreachable server
        fails here. Close it (or use it as a context manager) to release a per-build client."""
        ...

    def catalog(self, root: Path, scope: str) -> Catalog:
        """Where the truth about the builds of the index in ``root`` lives; ``scope`` tells apart
        several indexes that share one server (an article's id), "" the single-article default."""
        ...

    def problem(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
        """Why the build's collections are not what its manifest says (locked, missing, short), or None."""
        ...

    def open_gate(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> Gate:
        """Check the build before Chroma reads it (raising what is wrong); the gate checks each search."""
        ...

    def open_failure(self, build_dir: Path, error: Exception) -> str:
        """What a build that passed its gate but failed to open means for the user, and what to do."""
        ...

    def copy_build(self, source: Path, target: Path) -> bool:
        """Copy a finished build's collections into the new build ``target`` cheaply (a file copy), and
        say so; False, copying nothing, when this store cannot (then its rows are written anew)."""
        ...

    def remove(self, build_dir: Path, collections: Sequence[str]) -> None:
        """Delete an old build's collections, wherever they live (``collections`` names them)."""
        ...


class Catalog(Protocol):
    """Where the truth about builds lives: which one is current, their manifests, the build lock.

    A manifest is the JSON object a build is published with; its ``collection`` names the prefix of the
    build's collections, ``<collection>-<unit>`` for each of the index's units (e.g. ``sentences``).
    """

    where: str  # named in messages

    def marker(self) -> object:
        """Changes whenever another build becomes current; cheap enough to ask on every request."""
        ...

    def current(self) -> tuple[str, dict[str, Any] | None] | None:
        """The current build's name and its manifest (None if unreadable), or None if there is none."""
        ...

    def build_path(self, name: str) -> Path:
        """What identifies a build to its ``BuildStore``: its folder, or just its name."""
        ...

    def begin(self, name: str) -> Path:
        """Make room for a new build (its folder, if builds have one); the path's name is the build's."""
        ...

    def abandon(self, build: Path) -> None:
        """Forget a build that ``begin`` made room for but that was never published."""
        ...

    def describe(self, build: Path) -> str:
        """A build as messages name it."""
        ...

    def locked(self, wait_seconds: float, progress: Progress) -> contextlib.AbstractContextManager[None]:
        """Hold the build lock; wait for another build up to ``wait_seconds``, then ``IndexBusy``."""
        ...

    def publish(self, name: str, manifest: dict[str, Any]) -> None:
        """Record the finished build's manifest and make it current, atomically."""
        ...

    def remove_old(self, keep: str, prefix: str, units: Sequence[str]) -> None:
        """Delete builds older than ``keep`` and the one before it (a server may still be reading that
        one); their collections start with ``prefix`` and end with one of ``units``."""
        ...

    def history(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The builds whose manifests it keeps, newest first, to go back to one (a version of an article
        that was never published): every build folder, or on a server the one before the current."""
        ...

    def forget_current(self) -> None:
        """Drop the record of which build is current, as the index is deleted."""
        ...
