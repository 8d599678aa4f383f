"""The library on the Chroma server (``ASSISTANT_CHROMA_URL``): what every host adds to, and serves from.

The folder library lives on the disk of the host that ran ``assistant add``; with a server, hosts with
disks of their own would not see each other's articles. So the library is records of the collection
``assistant-library`` on the server (``index/stores/server_records.py``):

- ``text:<id>:<version>``: one version of an article's text, exactly the text its citations' offsets
  index, written before anything names it;
- ``entry:<id>``: the article's ``LibraryEntry`` as JSON, its metadata naming the version of the text.
  Publishing a version is one upsert of this row: readers see the old version whole or the new one
  whole, never a mix; removing the article deletes this row first, so readers stop seeing it at once.

Versions no entry names (a process killed mid-add) are deleted under the lock the next time the
library changes. Every change ``touch``es the collection's metadata, which serving processes compare
at most once a second (``stamp``): an article added on any host is served everywhere within seconds.
The lock is a lease on the server (``assistant-library-lock``), shared by every host.

Answering needs the text as a file (the parser and the served index read one), so a worker keeps a
cache of the versions it serves: under ``<ASSISTANT_INDEX_DIR>/library-cache/`` or, where that cannot be
written (a read-only file system), the temporary directory. The cache is only a copy: deleting it
loses nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import IndexUnavailable
from assistant.index.stores.lease import Holder, refusal
from assistant.index.stores.server_records import Record, ServerRecords
from assistant.library.catalog import Progress
from assistant.library.claims import Claim
from assistant.library.entry import LibraryEntry
from assistant.library.errors import LibraryBusy, LibraryUnavailable
from assistant.library.slugs import is_id

COLLECTION = "assistant-library"
LOCK = "assistant-library-lock"
CACHE = "library-cache"


@dataclass
class ServerVersion:
    """A version being added: its text is on the server (and in the cache), not yet named by an entry."""

    article_id: str
    name: str
    article_path: Path
    entry: LibraryEntry | None = field(default=None)


class ServerLibraryCatalog:
    """Reads and writes the library's records on the server; every change is made holding ``locked()``."""

    def __init__(self, records: ServerRecords, cache_candidates: list[Path]) -> None:
        """``cache_candidates``: where the local copies of texts may go, first writable one wins."""
        self.records = records
        self.where = f"the library on {records.where}"
        self._candidates = cache_candidates
        self._cache: Path | None = None
        self._tidied = False

    # -- reading --

    def ids(self) -> list[str]:
        rows = self._find({"kind": "entry"}, include_documents=False)
        return sorted(str(row.metadata.get("article")) for row in rows)

    def entry(self, article_id: str) -> LibraryEntry | None:
        if not is_id(article_id):
            return None
        found = self._get([_entry_id(article_id)]).get(_entry_id(article_id))
        return _entry(found) if found is not None else None

    def entries(self) -> list[LibraryEntry]:
        rows = self._find({"kind": "entry"})
        return sorted((e for row in rows if (e := _entry(row)) is not None), key=lambda e: e.id)

    def by_source(self, source_path: str) -> LibraryEntry | None:
        """The entry added from this file, found by the server (not by reading every entry)."""
        rows = self._find({"kind": "entry", "source_path": source_path}, limit=1)
        return _entry(rows[0]) if rows else None

    def page(self, offset: int, limit: int) -> list[LibraryEntry]:
        """``limit`` entries from ``offset``, in the server's order (ids are sorted by ``entries``)."""
        rows = self._find({"kind": "entry"}, limit=limit, offset=offset)
        return [e for row in rows if (e := _entry(row)) is not None]

    def article_path(self, article_id: str) -> Path:
        """A local copy of the article's current text (made on first need)."""
        found = self._get([_entry_id(article_id)]).get(_entry_id(article_id))
        version = str(found.metadata.get("version", "")) if found is not None else ""
        path = self._cached(article_id, version)
        if not path.is_file():
            text = self._get([_text_id(article_id, version)]).get(_text_id(article_id, version))
            if text is None:
                msg = f"the text of {article_id!r} is missing from {self.where}; add its file again"
                raise LibraryUnavailable(msg)
            self._write_cache(path, text.document)
        return path

    def stamp(self) -> object:
        """Changes whenever the library does, on any host (read at most once a second)."""
        return self.records.stamp()

    def changed_at(self) -> datetime | None:
        """When any host last changed the library (UTC), as the stamp last read says; None: never."""
        seconds = self.records.changed_at()
        return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None

    # -- claims (``claims.py``; taken and read holding ``locked()``) --

    def claims(self) -> dict[str, Claim]:
        """The live claims by article id; dead ones (their process gone, or expired) are deleted."""
        live: dict[str, Claim] = {}
        dead = []
        for row in self._find({"kind": "claim"}):
            try:
                claim = Claim.model_validate_json(row.document)
            except (ValueError, ValidationError):
                claim = None
            if claim is not None and claim.alive():
                live[claim.article_id] = claim
            else:
                dead.append(row.id)
        if dead:
            with contextlib.suppress(IndexUnavailable):
                self.records.delete(dead)
        return live

    def claim(self, claim: Claim) -> None:
        metadata = {"kind": "claim", "article": claim.article_id, "source_path": claim.source_path}
        with self._unavailable("write"):
            self.records.put([Record(_claim_id(claim.article_id), claim.model_dump_json(), metadata)])

    def release(self, claim: Claim) -> None:
        """End this process's claim (left alone if the record now holds another's)."""
        with contextlib.suppress(IndexUnavailable, ValueError, ValidationError):
            found = self.records.get([_claim_id(claim.article_id)]).get(_claim_id(claim.article_id))
            if found is not None and Claim.model_validate_json(found.document) == claim:
                self.records.delete([_claim_id(claim.article_id)])

    # -- writing (hold ``locked()``) --

    @contextlib.contextmanager
    def locked(self, wait_seconds: float, progress: Progress) -> Iterator[None]:
        """Hold the library's lock on the server; wait for another writer up to ``wait_seconds``."""

        def busy(holder: Holder) -> LibraryBusy:
            fix = "wait for it to finish and try again (or raise ASSISTANT_INDEX_LOCK_TIMEOUT)"
            return LibraryBusy(refusal(holder, f"adding or removing articles in {self.where}", fix))

        with self._unavailable("lock"), self.records.locked(LOCK, wait_seconds, progress, busy):
            if not self._tidied:  # once per process: it reads every row's metadata
                self._remove_leftovers()
                self._tidied = True
            yield

    def write_version(self, article_id: str, text: str) -> ServerVersion:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        record = Record(
            _text_id(article_id, name), text, {"kind": "text", "article": article_id, "version": name}
        )
        with self._unavailable("write"):
            self.records.put([record])
        path = self._cached(article_id, name)
        self._write_cache(path, text)
        return ServerVersion(article_id, name, path)

    def text_path(self, version: ServerVersion) -> Path:
        return version.article_path

    def write_entry(self, version: ServerVersion, entry: LibraryEntry) -> None:
        """Kept with the version: the entry row is written when it is published, in one upsert."""
        version.entry = entry

    def publish(self, article_id: str, version: ServerVersion) -> None:
        """Name ``version`` in the article's entry (one row written), then delete the version it replaces."""
        if version.entry is None:
            msg = f"version {version.name} of {article_id!r} has no entry to publish"
            raise ValueError(msg)
        previous = self._get([_entry_id(article_id)]).get(_entry_id(article_id))
        row = Record(
            _entry_id(article_id),
            version.entry.model_dump_json(),
            {
                "kind": "entry",
                "article": article_id,
                "version": version.name,
                "source_path": version.entry.source_path,
            },
        )
        with self._unavailable("write"):
            self.records.put([row])
            self.records.touch()
        old = str(previous.metadata.get("version", "")) if previous is not None else ""
        if old and old != version.name:
            with contextlib.suppress(IndexUnavailable):  # a leftover, deleted with the next change
                self.records.delete([_text_id(article_id, old)])

    def discard(self, version: ServerVersion) -> None:
        with contextlib.suppress(IndexUnavailable):  # a leftover, deleted with the next change
            self.records.delete([_text_id(version.article_id, version.name)])
        with contextlib.suppress(OSError):
            version.article_path.unlink()

    def remove(self, article_id: str) -> None:
        """Delete the entry (readers stop seeing the article at once), then its texts."""
        with self._unavailable("write"):
            self.records.delete([_entry_id(article_id)])
            self.records.touch()
        with contextlib.suppress(IndexUnavailable):
            self.records.delete(where={"kind": "text", "article": article_id})
        if self._cache is not None:
            shutil.rmtree(self._cache / article_id, ignore_errors=True)

    def _remove_leftovers(self) -> None:
        """Texts no entry names: what a process killed between writing a text and publishing left (not
        the texts of articles another process is adding now: it will publish them)."""
        claimed = set(self.claims())  # read first: under the lock, claims are only ever released
        live = {_named(r) for r in self._find({"kind": "entry"}, include_documents=False)}
        texts = self._find({"kind": "text"}, include_documents=False)
        stray = [r.id for r in texts if _named(r) not in live and _named(r)[0] not in claimed]
        if stray:
            with contextlib.suppress(IndexUnavailable):
                self.records.delete(stray)

    # -- the local copies --

    def _cached(self, article_id: str, version: str) -> Path:
        return self._cache_root() / article_id / f"{version or 'none'}.txt"

    def _cache_root(self) -> Path:
        if self._cache is None:
            for candidate in self._candidates:
                try:
                    candidate.mkdir(parents=True, exist_ok=True)
                    probe = candidate / f".probe-{uuid.uuid4().hex}"
                    probe.write_text("", encoding="utf-8")
                    probe.unlink()
                except OSError:
                    continue
                self._cache = candidate
                break
            else:
                tried = ", ".join(repr(str(c)) for c in self._candidates)
                msg = f"no writable folder for the copies of the library's texts (tried {tried})"
                raise LibraryUnavailable(msg)
        return self._cache

    def _write_cache(self, path: Path, text: str) -> None:
        """Written whole, then renamed into place: a reader never sees half a text."""
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, encoding="utf-8", newline="")
            os.replace(temporary, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            msg = f"cannot write the copy of an article's text to {str(path.parent)!r} ({error.strerror})"
            raise LibraryUnavailable(msg) from error
        for other in path.parent.glob("*.txt"):
            if other != path:
                with contextlib.suppress(OSError):
                    other.unlink()

    # -- the server --

    def _get(self, ids: list[str]) -> dict[str, Record]:
        with self._unavailable("read"):
            return self.records.get(ids)

    def _find(
        self, where: dict[str, str], limit: int | None = None, offset: int = 0, include_documents: bool = True
    ) -> list[Record]:
        with self._unavailable("read"):
            return self.records.find(where, limit, offset, include_documents)

    @contextlib.contextmanager
    def _unavailable(self, verb: str) -> Iterator[None]:
        """A server that does not answer is a ``LibraryUnavailable`` (503) naming it."""
        try:
            yield
        except IndexUnavailable as error:
            raise LibraryUnavailable(f"cannot {verb} {self.where}: {error}") from None


def cache_candidates(index_dir: Path, url: str) -> list[Path]:
    """The index directory's cache folder, else one in the temporary directory (per server and user)."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return [index_dir / CACHE, Path(tempfile.gettempdir()) / f"assistant-{CACHE}-{os.getuid()}-{key}"]


def _named(record: Record) -> tuple[str, str]:
    """The (article, version) a text or entry record is of."""
    return str(record.metadata.get("article")), str(record.metadata.get("version"))


def _claim_id(article_id: str) -> str:
    return f"claim:{article_id}"


def _entry_id(article_id: str) -> str:
    return f"entry:{article_id}"


def _text_id(article_id: str, version: str) -> str:
    return f"text:{article_id}:{version}"


def _entry(record: Record) -> LibraryEntry | None:
    """The entry a record holds; a damaged one is treated as absent (re-adding its file writes it anew)."""
    try:
        return LibraryEntry.model_validate_json(record.document)
    except (ValueError, ValidationError):
        return None
