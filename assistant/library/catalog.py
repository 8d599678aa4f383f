"""The library's folder: one folder per article, replaced atomically, and a lock for writers.

Layout under ``ASSISTANT_LIBRARY_DIR``::

    <id>/            a symbolic link to the article's current version, so readers always see a whole one
        article.txt  the text the answers and offsets refer to (the parser reads it like any article)
        entry.json   what the library knows about it (``LibraryEntry``)
    .versions/<id>.<stamp>-<random>/   the versions the links point at
    .lock            held by ``assistant add`` and ``assistant remove`` while they change the library

A new version is written in full into ``.versions/`` (files fsynced), then the link is replaced with an
atomic rename, then the old version is deleted: a crash at any point leaves either the old version or
the new one whole, never a mix. Versions no link points at (a crash's leftovers) are deleted under the
lock the next time the library changes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from assistant import file_lock
from assistant.library.claims import Claim
from assistant.library.entry import LibraryEntry
from assistant.library.errors import LibraryBusy, LibraryUnavailable
from assistant.library.slugs import is_id

ARTICLE_FILE = "article.txt"
ENTRY_FILE = "entry.json"
VERSIONS = ".versions"
CLAIMS = ".claims"
# A folder changed this recently may change again within the same timestamp tick: read it again.
RECENT_NS = 2_000_000_000
EPOCH = datetime.fromtimestamp(0, UTC)
Progress = Callable[[str], None]


class LibraryCatalog:
    """Reads and writes the library folder; every change is made holding ``locked()``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = f"the library folder {str(root)!r}"
        self.versions = root / VERSIONS
        self.lock_file = root / ".lock"

    # -- reading (no lock: a link always points at a whole version) --

    def ids(self) -> list[str]:
        try:
            names = sorted(p.name for p in self.root.iterdir() if is_id(p.name) and p.is_symlink())
        except FileNotFoundError:
            return []
        except OSError as error:
            raise LibraryUnavailable(self._cannot("read", error)) from error
        return names

    def entry(self, article_id: str) -> LibraryEntry | None:
        """The article's entry, or None if there is none (or it cannot be read: a damaged one is
        treated as absent, and re-adding its file writes it anew)."""
        if not is_id(article_id):
            return None
        try:
            raw = (self.root / article_id / ENTRY_FILE).read_text(encoding="utf-8")
            return LibraryEntry.model_validate_json(raw)
        except (OSError, ValueError, ValidationError):
            return None

    def entries(self) -> list[LibraryEntry]:
        return [entry for article_id in self.ids() if (entry := self.entry(article_id)) is not None]

    def by_source(self, source_path: str) -> LibraryEntry | None:
        """The entry added from this file, if any."""
        return next((e for e in self.entries() if e.source_path == source_path), None)

    def page(self, offset: int, limit: int) -> list[LibraryEntry]:
        """``limit`` entries from ``offset``, by id."""
        return [e for i in self.ids()[offset : offset + limit] if (e := self.entry(i)) is not None]

    def article_path(self, article_id: str) -> Path:
        return self.root / article_id / ARTICLE_FILE

    def stamp(self) -> object:
        """Changes whenever the library does: adding, updating and removing each replace or remove a
        link in the folder (one ``stat``). A folder changed within ``RECENT_NS`` may change again within
        the same timestamp tick, so its stamp is then new each time (read again)."""
        try:
            stat = os.stat(self.root)
        except OSError:
            return None
        if time.time_ns() - stat.st_mtime_ns < RECENT_NS:
            return stat.st_ino, stat.st_mtime_ns, time.monotonic_ns()
        return stat.st_ino, stat.st_mtime_ns

    def changed_at(self) -> datetime | None:
        """When the folder last changed (UTC), or None if there is none yet: adding, updating and
        removing an article each replace or remove a link in it. One ``stat``: cheap enough to poll."""
        try:
            stamp = self.root.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        except OSError as error:
            raise LibraryUnavailable(self._cannot("read", error)) from error
        return EPOCH + timedelta(microseconds=stamp // 1000)

    # -- claims (``claims.py``; taken and read holding ``locked()``) --

    def claims(self) -> dict[str, Claim]:
        """The live claims by article id; dead ones (their process gone) are deleted."""
        live: dict[str, Claim] = {}
        with contextlib.suppress(OSError):
            for path in (self.root / CLAIMS).glob("*.json"):
                try:
                    claim = Claim.model_validate_json(path.read_text(encoding="utf-8"))
                except (OSError, ValueError, ValidationError):
                    claim = None
                if claim is not None and claim.alive():
                    live[claim.article_id] = claim
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()
        return live

    def claim(self, claim: Claim) -> None:
        try:
            (self.root / CLAIMS).mkdir(parents=True, exist_ok=True)
            _write_synced(self.root / CLAIMS / f"{claim.article_id}.json", claim.model_dump_json())
        except OSError as error:
            raise LibraryUnavailable(self._cannot("write", error)) from error

    def release(self, claim: Claim) -> None:
        """End this process's claim (left alone if the file now holds another's)."""
        path = self.root / CLAIMS / f"{claim.article_id}.json"
        with contextlib.suppress(OSError, ValueError, ValidationError):
            if Claim.model_validate_json(path.read_text(encoding="utf-8")) == claim:
                path.unlink()

    # -- writing (hold ``locked()``) --

    @contextlib.contextmanager
    def locked(self, wait_seconds: float, progress: Progress) -> Iterator[None]:
        """Hold the library's lock; wait for another writer up to ``wait_seconds``, then ``LibraryBusy``."""

        def busy() -> LibraryBusy:
            return LibraryBusy(
                f"another process is adding or removing articles in {str(self.root)!r}; wait "
                "for it to finish and try again (or raise ASSISTANT_INDEX_LOCK_TIMEOUT)"
            )

        def waiting() -> None:
            progress("Another process is changing the library; waiting for it…")

        def unwritable(error: OSError) -> LibraryUnavailable:
            return LibraryUnavailable(self._cannot("write", error))

        with file_lock.locked(self.lock_file, wait_seconds, waiting, busy, unwritable):
            self._remove_leftovers()
            yield

    def write_version(self, article_id: str, text: str) -> Path:
        """A new version folder holding ``article.txt``; not visible to readers until ``publish``."""
        folder = self.versions / f"{article_id}.{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        try:
            folder.mkdir(parents=True)
            _write_synced(folder / ARTICLE_FILE, text)
        except OSError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise LibraryUnavailable(self._cannot("write", error)) from error
        return folder

    def text_path(self, version: Path) -> Path:
        """The new version's text, to build its index from before it is published."""
        return version / ARTICLE_FILE

    def write_entry(self, version: Path, entry: LibraryEntry) -> None:
        try:
            _write_synced(version / ENTRY_FILE, entry.model_dump_json(indent=2) + "\n")
        except OSError as error:
            raise LibraryUnavailable(self._cannot("write", error)) from error

    def publish(self, article_id: str, version: Path) -> None:
        """Point ``<id>`` at ``version`` with one atomic rename, then delete the version it replaces."""
        link = self.root / article_id
        previous = self._target(link)
        temporary = self.root / f".{article_id}.{uuid.uuid4().hex}.link"
        try:
            temporary.symlink_to(version.relative_to(self.root))
            os.replace(temporary, link)
            _sync_folder(self.root)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise LibraryUnavailable(self._cannot("write", error)) from error
        if previous is not None and previous != version:
            shutil.rmtree(previous, ignore_errors=True)

    def discard(self, version: Path) -> None:
        """Forget a version that was never published."""
        shutil.rmtree(version, ignore_errors=True)

    def remove(self, article_id: str) -> None:
        """Unlink the article (readers stop seeing it at once), then delete its version."""
        link = self.root / article_id
        target = self._target(link)
        try:
            link.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            raise LibraryUnavailable(self._cannot("write", error)) from error
        if target is not None:
            shutil.rmtree(target, ignore_errors=True)

    def _target(self, link: Path) -> Path | None:
        try:
            return self.root / os.readlink(link)
        except OSError:
            return None

    def _remove_leftovers(self) -> None:
        """Versions no link points at and half-made links: what a crash mid-way left behind (not the
        versions of articles another process is adding now: it will publish them)."""
        claimed = set(self.claims())  # read first: under the lock, claims are only ever released
        live = {target.name for article_id in self.ids() if (target := self._target(self.root / article_id))}
        with contextlib.suppress(OSError):
            for folder in self.versions.iterdir():
                if folder.name not in live and folder.name.split(".", 1)[0] not in claimed:
                    shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            for stray in self.root.glob(".*.link"):
                stray.unlink()

    def _cannot(self, verb: str, error: OSError) -> str:
        return (
            f"cannot {verb} the library folder {str(self.root)!r} ({error.strerror}); point "
            "ASSISTANT_LIBRARY_DIR at a directory this user may write"
        )


def _write_synced(path: Path, content: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a power cut only once the folder is synced."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
