"""Which build is current, and who may build: files in the index directory, for one host.

Layout under the index directory: ``builds/<build>/`` (the store's files, if it keeps them there, and
``manifest.json``) and ``CURRENT``, a one-line file naming the current build. Publishing writes the
manifest and then replaces ``CURRENT`` with an atomic rename, so a crash or ``kill -9`` half-way leaves
the previous build current. A lock file keeps two indexers apart (Chroma's embedded store is not
process-safe); it holds on one host only, which is why a Chroma server keeps its own catalog.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant import file_lock
from assistant.errors import IndexBusy, IndexUnavailable
from assistant.index.stores.base import WRITABLE_FIX, BuildStore, Progress

MANIFEST_FILE = "manifest.json"
KEEP_OLD_BUILDS = 1


class FileCatalog:
    """``CURRENT``, each build's ``manifest.json`` and a lock file in the index directory: one host."""

    def __init__(self, root: Path, store: BuildStore) -> None:
        self.root = root
        self.store = store
        self.where = repr(str(root))
        self.builds = root / "builds"
        self.current_file = root / "CURRENT"
        self.lock_file = root / ".lock"

    def marker(self) -> tuple[int, int] | None:
        """A stat of ``CURRENT``, which every publish replaces."""
        try:
            stat = self.current_file.stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def current(self) -> tuple[str, dict[str, Any] | None] | None:
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise IndexUnavailable(f"cannot read {self.current_file}: {error.strerror}") from error
        manifest_file = self.builds / name / MANIFEST_FILE
        if not manifest_file.is_file():
            return None
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except ValueError:
            manifest = None
        return name, manifest if isinstance(manifest, dict) else None

    def build_path(self, name: str) -> Path:
        return self.builds / name

    def begin(self, name: str) -> Path:
        build_dir = self.builds / name
        try:
            build_dir.mkdir(parents=True)
        except OSError as error:
            msg = f"cannot write the index directory {str(self.root)!r}: {error.strerror}; {WRITABLE_FIX}"
            raise IndexUnavailable(msg) from error
        return build_dir

    def abandon(self, build: Path) -> None:
        shutil.rmtree(build, ignore_errors=True)

    def describe(self, build: Path) -> str:
        return str(build)

    def locked(self, wait_seconds: float, progress: Progress) -> contextlib.AbstractContextManager[None]:
        def unwritable(error: OSError) -> IndexUnavailable:
            msg = f"cannot write the index directory {str(self.root)!r}: {error.strerror}; {WRITABLE_FIX}"
            return IndexUnavailable(msg)

        def busy() -> IndexBusy:
            msg = f"another process is building the index in {str(self.root)!r}; "
            return IndexBusy(msg + "wait for it to finish and try again")

        def waiting() -> None:
            progress("Another process is building the index; waiting for it…")

        return file_lock.locked(self.lock_file, wait_seconds, waiting, busy, unwritable)

    def publish(self, name: str, manifest: dict[str, Any]) -> None:
        _write_atomically(self.builds / name / MANIFEST_FILE, json.dumps(manifest, indent=2))
        _write_atomically(self.current_file, name + "\n")

    def remove_old(self, keep: str, prefix: str, units: Sequence[str]) -> None:
        """The build folders before ``keep`` but the newest one; the collections their manifests name."""
        others = sorted((p for p in self.builds.iterdir() if p.name != keep), reverse=True)
        for old in others[KEEP_OLD_BUILDS:]:
            collection = (_manifest(old) or {}).get("collection")
            self.store.remove(old, [f"{collection}-{unit}" for unit in units] if collection else [])
            shutil.rmtree(old, ignore_errors=True)

    def history(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every build folder with a readable manifest, newest first."""
        if not self.builds.is_dir():
            return
        for build in sorted(self.builds.iterdir(), reverse=True):
            if (manifest := _manifest(build)) is not None:
                yield build.name, manifest

    def forget_current(self) -> None:
        """Nothing to do: ``CURRENT`` goes with the index directory, which is deleted with the index."""


def _manifest(build_dir: Path) -> dict[str, Any] | None:
    """A build's manifest as published, or None if it never got one or it is unreadable."""
    try:
        manifest = json.loads((build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
