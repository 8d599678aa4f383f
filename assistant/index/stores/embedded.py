"""The default store: an embedded Chroma ``PersistentClient`` in each build's folder, one process.

Its builds are folders under the index directory, so its catalog is the files beside them
(``FileCatalog``). Before Chroma reads a build, ``sqlite_gate`` checks the store file with ``sqlite3``:
no Chroma import is needed to tell a fresh build, and a lock held by another process is a quick 503.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import IndexUnavailable
from assistant.index.stores.base import (
    REBUILD_FIX,
    WRITABLE_FIX,
    Catalog,
    Gate,
    StoreProblem,
    chroma_settings,
)
from assistant.index.stores.build_collections import BuildCollections
from assistant.index.stores.file_catalog import MANIFEST_FILE, FileCatalog
from assistant.index.stores.sqlite_gate import SqliteGate, store_file, store_problem

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


def persistent_client(path: Path) -> ClientAPI:
    """An embedded store in ``path`` (one per build folder)."""
    settings = chroma_settings()
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=settings)


class EmbeddedStore:
    """An embedded Chroma store in each build's folder: the default, and the layout before servers."""

    client_per_build = True

    def client(self, build_dir: Path) -> ClientAPI:
        return persistent_client(build_dir)

    def collections(self, build_dir: Path) -> BuildCollections:
        return BuildCollections(self.client(build_dir), closes=True)

    def catalog(self, root: Path, scope: str) -> Catalog:
        """The index directory's files: ``root`` already tells this index apart, so ``scope`` is unused."""
        return FileCatalog(root, self)

    def problem(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
        return store_problem(build_dir, expected_rows, wait)

    def open_gate(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> Gate:
        gate = SqliteGate(build_dir, expected_rows, wait)
        gate.check(wait)
        if not os.access(build_dir, os.W_OK) or not os.access(store_file(build_dir), os.W_OK):
            # Chroma's embedded store writes when it opens, even to read: say so, not "rebuild".
            msg = f"the index in {str(build_dir)!r} is read-only, but Chroma writes to open it: "
            raise IndexUnavailable(msg + WRITABLE_FIX)
        return gate

    def open_failure(self, build_dir: Path, error: Exception) -> str:
        return f"cannot open the index in {str(build_dir)!r}; {REBUILD_FIX}"

    def copy_build(self, source: Path, target: Path) -> bool:
        """A file copy of the build's store (~30 ms for 10,000 sentences, where inserting them again takes
        seconds); the manifest stays behind, as the new build gets its own."""
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST_FILE))
        return True

    def remove(self, build_dir: Path, collections: Sequence[str]) -> None:
        """The collections are in the build's folder: it goes."""
        shutil.rmtree(build_dir, ignore_errors=True)
