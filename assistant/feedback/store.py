"""Readers' ratings in a local SQLite file: one table, one connection per call, safe across threads and
processes (WAL, a busy timeout, schema created on first write under an immediate transaction)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.article import Article
from assistant.errors import FeedbackFull, FeedbackUnavailable, InvalidFeedback
from assistant.feedback.limiter import RateLimiter
from assistant.feedback.model import Feedback, FeedbackEntry, check_feedback
from assistant.schema import Citation
from assistant.settings import Settings

__all__ = ["Feedback", "FeedbackStore", "open_feedback_store", "read_entries"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Seconds a write waits for another process's write to finish before giving up.
BUSY_TIMEOUT = 10.0
_CREATE = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    note TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    article_sha256 TEXT NOT NULL,
    article_title TEXT NOT NULL,
    surface TEXT NOT NULL CHECK (surface IN ('chat', 'api'))
)
"""
_INSERT = (
    "INSERT INTO feedback (created_at, rating, note, question, answer, citations, article_sha256, "
    "article_title, surface) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = "id, created_at, rating, note, question, answer, citations, article_sha256, article_title, surface"


def utc_now() -> datetime:
    return datetime.now(UTC)


class FeedbackStore:
    """Writes ratings to ``path`` (created with its folder on the first one); never a client's address."""

    def __init__(
        self,
        path: Path,
        *,
        per_minute: int = 10,
        max_note_chars: int = 1000,
        max_question_chars: int = 2000,
        max_db_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = path
        self.max_note_chars = max_note_chars
        self.max_question_chars = max_question_chars
        self.max_db_bytes = max_db_bytes
        self.limiter = RateLimiter(per_minute, clock)
        self.now = now
        self._ready = False
        self._ready_lock = threading.Lock()

    def record(
        self, feedback: Feedback, article: Article, client: str, cited: Sequence[Article] | None = None
    ) -> int:
        """Store one rating of an answer about ``article``; returns its row id. ``cited``: the article
        each citation quotes, when not all ``article`` (see ``check_feedback``).

        Raises ``InvalidFeedback`` (a field too long, a citation not verbatim), ``FeedbackRateLimited``
        (``client`` spent its ratings for this minute), ``FeedbackFull`` (the database reached
        ``max_db_bytes``) or ``FeedbackUnavailable`` (the file cannot be written). ``client`` is only
        counted, never stored; of the citations only what the article says is (``known_citations``).
        """
        known = check_feedback(feedback, article, self.max_note_chars, self.max_question_chars, cited)
        self.limiter.take(client)
        citations = json.dumps([c.model_dump() for c in known], ensure_ascii=False)
        row = (
            self.now().astimezone(UTC).isoformat(timespec="seconds"),
            feedback.rating,
            feedback.note,
            feedback.question,
            feedback.answer,
            citations,
            article.sha256,
            article.title,
            feedback.surface,
        )
        try:
            return self._insert(row)
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):
                raise self._failure(error) from None
            self._ready = False  # the file was removed or replaced while serving: create it again, once
        except (sqlite3.Error, OSError) as error:
            raise self._unavailable(error) from None
        try:
            return self._insert(row)
        except (sqlite3.Error, OSError) as error:
            raise self._failure(error) from None

    def add_note(self, row_id: int, note: str, client: str) -> None:
        """Attach the note a reader writes after rating to that rating (row ``row_id``, which the
        server got from ``record``: never a client's number), so a note never counts as a second
        rating. A rating keeps its first note. Raises as ``record`` does."""
        if len(note) > self.max_note_chars:
            msg = (
                f"the note is {len(note):,} characters long; the limit (ASSISTANT_FEEDBACK_MAX_NOTE_CHARS) "
                f"is {self.max_note_chars:,}: shorten it"
            )
            raise InvalidFeedback(msg)
        self.limiter.take(client)
        try:
            with self._writing() as db:
                db.execute("UPDATE feedback SET note = ? WHERE id = ? AND note = ''", (note, row_id))
        except (sqlite3.Error, OSError) as error:
            raise self._failure(error) from None

    def _insert(self, row: tuple[str, ...]) -> int:
        with self._writing() as db:
            row_id = db.execute(_INSERT, row).lastrowid
        assert row_id is not None
        return row_id

    def _failure(self, error: Exception) -> FeedbackUnavailable:
        """Full (the cap, or the disk: SQLite cannot tell them apart) or otherwise not writable."""
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            logger.warning("a rating was refused: the feedback database %s is full", self.path)
            return FeedbackFull(self.max_db_bytes)
        return self._unavailable(error)

    def _unavailable(self, error: Exception) -> FeedbackUnavailable:
        self._ready = False  # look at the file again next time
        logger.error("cannot write feedback to %s: %s", self.path, error)
        msg = "the rating could not be saved: the server's feedback database is not writable; try later"
        return FeedbackUnavailable(msg)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        self._ensure_schema()
        with closing(_connect(self.path)) as db:
            _cap(db, self.max_db_bytes)
            with _transaction(db):
                yield db

    def _ensure_schema(self) -> None:
        with self._ready_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(_connect(self.path)) as db:
                _cap(db, self.max_db_bytes)
                db.execute("PRAGMA journal_mode=WAL")
                with _transaction(db):  # one process creates the table; the others wait, then see it
                    version = db.execute("PRAGMA user_version").fetchone()[0]
                    if version > SCHEMA_VERSION:
                        raise sqlite3.DatabaseError(
                            f"its schema version is {version}, newer than this assistant's {SCHEMA_VERSION}"
                        )
                    db.execute(_CREATE)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._ready = True


def _cap(db: sqlite3.Connection, max_bytes: int) -> None:
    """SQLite itself refuses to grow the file past ``max_bytes`` (SQLITE_FULL): checked in every
    writing process at the page it would add, so no race between a size check and the write."""
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE``: takes the write lock up front (waiting up to BUSY_TIMEOUT), so writers queue."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:  # SQLite already rolled back after some errors (SQLITE_FULL)
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Autocommit: every transaction here is opened and closed explicitly."""
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)


def open_feedback_store(settings: Settings) -> FeedbackStore | None:
    """The store the settings describe, or None when ``ASSISTANT_FEEDBACK_ENABLED`` is false."""
    if not settings.feedback_enabled:
        return None
    return FeedbackStore(
        settings.feedback_db,
        per_minute=settings.feedback_per_minute,
        max_note_chars=settings.feedback_max_note_chars,
        max_question_chars=settings.max_question_chars,
        max_db_bytes=settings.feedback_max_db_bytes,
    )


def read_entries(path: Path) -> Iterator[FeedbackEntry]:
    """Every stored rating, oldest first, read without creating or changing the file (for export)."""
    where = repr(str(path))
    if not path.is_file():
        msg = (
            f"no feedback database at {where}: nothing has been rated yet, or ASSISTANT_FEEDBACK_DB "
            "points elsewhere; run the command where the server runs, or set ASSISTANT_FEEDBACK_DB"
        )
        raise FeedbackUnavailable(msg)
    try:
        with closing(_connect(path, read_only=True)) as db:
            for row in db.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id"):
                yield _entry(row)
    except sqlite3.Error as error:
        msg = f"cannot read the feedback database {where} ({error}); is it a file the server wrote?"
        raise FeedbackUnavailable(msg) from None


def _entry(row: tuple) -> FeedbackEntry:
    (id_, created_at, rating, note, question, answer, citations, sha256, title, surface) = row
    return FeedbackEntry(
        id=id_,
        created_at=created_at,
        rating=rating,
        note=note,
        question=question,
        answer=answer,
        citations=[Citation.model_validate(c) for c in json.loads(citations)],
        article_sha256=sha256,
        article_title=title,
        surface=surface,
    )
