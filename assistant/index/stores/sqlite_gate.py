"""The embedded store's SQLite file, checked with Python's ``sqlite3`` before Chroma is asked to read it.

Chroma's embedded store waits for SQLite locks without a time limit, and some of its calls
(``count``, ``get_collection``) wait holding the GIL: one process holding ``BEGIN EXCLUSIVE`` on the
file froze a whole server. Python's ``sqlite3`` releases the GIL while it waits and gives up after a
timeout, so asking it first turns a lock held elsewhere into a quick 503 that says so. It also tells
a damaged store (empty, not a database, a collection missing or short of rows) from a healthy one
without importing Chroma, which keeps ``assistant index`` on an unchanged article fast.

The queries read Chroma 1.5's tables (``collections``, ``segments``, ``embeddings``); a Chroma upgrade
that renames them makes every store look damaged, which ``tests/index/test_faults.py`` would catch.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from assistant.index.stores.base import LOCK_WAIT, StoreProblem

STORE_FILE = "chroma.sqlite3"

_ROWS_PER_COLLECTION = """
    SELECT c.name, count(e.id) FROM collections c
    JOIN segments s ON s.collection = c.id AND s.scope = 'METADATA'
    LEFT JOIN embeddings e ON e.segment_id = s.id
    GROUP BY c.name
"""
_READABLE = "SELECT 1 FROM collections LIMIT 1"


def store_file(build_dir: Path) -> Path:
    return build_dir / STORE_FILE


def _connect(path: Path, wait: float, check_same_thread: bool = True) -> sqlite3.Connection:
    """Read-only, so a check can never create or change the file; ``wait`` bounds a lock wait."""
    return sqlite3.connect(
        f"{path.as_uri()}?mode=ro", uri=True, timeout=wait, check_same_thread=check_same_thread
    )


def _damaged(path: Path, reason: str) -> StoreProblem:
    return StoreProblem(path, locked=False, text=f"the index store {str(path)!r} is damaged ({reason})")


def _is_lock(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", None) in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _problem(error: sqlite3.Error, path: Path, wait: float) -> StoreProblem:
    if _is_lock(error):
        text = f"the index store {str(path)!r} is locked by another process (waited {wait:g} s)"
        return StoreProblem(path, locked=True, text=text)
    return _damaged(path, str(error))


def store_problem(build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
    """Whether another process locks the store or it is damaged; None when it holds what it should.

    ``expected_rows`` maps each collection the manifest names to the entries it says it holds.
    """
    path = store_file(build_dir)
    try:
        size = path.stat().st_size
    except OSError as error:
        return _damaged(path, f"cannot read it: {error.strerror}")
    if size == 0:
        return _damaged(path, "the file is empty, 0 bytes")
    try:
        with contextlib.closing(_connect(path, wait)) as connection:
            rows = dict(connection.execute(_ROWS_PER_COLLECTION).fetchall())
    except sqlite3.Error as error:
        return _problem(error, path, wait)
    for name, count in expected_rows.items():
        if name not in rows:
            return _damaged(path, f"the collection {name!r} is missing")
        if rows[name] != count:
            return _damaged(path, f"the collection {name!r} holds {rows[name]} entries, the manifest {count}")
    return None


def check_store(build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> None:
    """Raise ``IndexBusy`` when another process locks the store, ``IndexUnavailable`` when it is damaged."""
    if problem := store_problem(build_dir, expected_rows, wait):
        raise problem.error()


class SqliteGate:
    """Proves, before each Chroma read, that no other process locks the store: ~12 µs per request.

    One read-only connection per thread (opening one costs ~180 µs); each check is a one-row read,
    which needs the same shared lock Chroma's reads need, waiting at most ``wait`` seconds for it.
    """

    def __init__(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float = LOCK_WAIT) -> None:
        self.build_dir = build_dir
        self.path = store_file(build_dir)
        self.expected_rows = dict(expected_rows)
        self.wait = wait
        self._local = threading.local()

    def ensure_readable(self) -> None:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        try:
            if connection is None:
                connection = self._local.connection = _connect(self.path, self.wait)
            connection.execute(_READABLE).fetchall()
        except sqlite3.Error as error:
            self._drop(connection)
            if not _is_lock(error):
                self.check(self.wait)  # names what is damaged, when the full check sees it
            raise _problem(error, self.path, self.wait).error() from None

    def check(self, wait: float) -> None:
        """The full check: the lock, the collections and their row counts against the manifest."""
        check_store(self.build_dir, self.expected_rows, wait)

    def _drop(self, connection: sqlite3.Connection | None) -> None:
        """Forget this thread's connection, so that a file replaced on disk is opened afresh."""
        self._local.connection = None
        if connection is not None:
            connection.close()
