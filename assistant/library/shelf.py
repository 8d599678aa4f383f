"""Which ``Assistant`` answers a question about which article: what the serving layer asks.

The shelf holds the configured article (``ASSISTANT_ARTICLE_PATH``, the one served before there was a
library, still the default) and every article of the library. Its id is stable for the life of the
process: the library id of the entry with the same text when the configured article is in the library
(so it is listed once, and both names mean one article), else the slug of its file name (``-2``… when a
library article has that slug already). Should ``assistant add`` later give an article the same id, the
configured article keeps it.

A library article's ``Assistant`` is made on its first question (opening its index happens inside that
question's deadline) and kept; all share the default assistant's embedding model and reranker, so a
hundred articles load the models once. The library's entries are re-read only when its folder changed
(one ``stat`` per question: adding, updating and removing an article each replace or remove a link in
that folder), so an article added while the server runs is askable at once, an updated one is answered
from its new text, and a removed one is unknown (404).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import ClassVar, Literal

from assistant.errors import AssistantError
from assistant.library.entry import LibraryEntry
from assistant.library.library import Library
from assistant.library.slugs import unique_slug
from assistant.pipeline import Assistant
from assistant.schema import ArticleRef

logger = logging.getLogger(__name__)

ALL = "all"
# How many known ids an "unknown article" message names; GET /api/articles lists them all.
IDS_IN_MESSAGES = 8
# A folder changed this recently may change again within the same timestamp tick: read it again.
RECENT_NS = 2_000_000_000


class ArticleNotFound(AssistantError):
    """No article with this id is served; the message names a few that are."""

    http_status: ClassVar[int] = 404

    def __init__(self, article_id: str, known: list[str]) -> None:
        self.article_id = article_id
        named = ", ".join(known[:IDS_IN_MESSAGES])
        more = f" and {len(known) - IDS_IN_MESSAGES} more" if len(known) > IDS_IN_MESSAGES else ""
        super().__init__(
            f"no article {article_id!r} is served here; known ids: {named}{more} "
            "(GET /api/articles lists them all)"
        )


class AcrossArticlesNotYet(AssistantError):
    """Questions across all articles at once are not answered (yet)."""

    def __init__(self) -> None:
        super().__init__(
            f"article {ALL!r}: answers across all articles are not available yet; ask about one article "
            "by its id (GET /api/articles lists them), or leave `article` out for the default article"
        )


@dataclass(frozen=True)
class ShelfArticle:
    """One article as the API lists it."""

    id: str
    title: str
    byline: str | None
    date: str | None
    source: Literal["configured", "library"]
    default: bool


@dataclass(frozen=True)
class Scoped:
    """The assistant answering about one article, and how its citations name that article."""

    assistant: Assistant
    source: ArticleRef


class Shelf:
    """The configured article plus the library's, each by id; thread-safe."""

    def __init__(self, default: Assistant, library: Library | None = None) -> None:
        """``library`` defaults to the one in the default assistant's settings, sharing its models."""
        self.default = default
        self.library = library or Library(default.settings, default.embeddings, default.reranker)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._recheck = True
        self._entries: dict[str, LibraryEntry] = {}
        self._open: dict[str, tuple[LibraryEntry, Assistant]] = {}
        self._opening: dict[str, threading.Lock] = {}
        self.default_id = self._default_id(self._library_entries())

    # -- ids and listing --

    def _default_id(self, entries: dict[str, LibraryEntry]) -> str:
        article = self.default.article
        same_text = [entry.id for entry in entries.values() if entry.text_sha256 == article.sha256]
        if same_text:
            return same_text[0]
        return unique_slug(self.default.settings.article_path.stem, entries)

    def ids(self) -> list[str]:
        """The default article's id first, then the library's, by id."""
        return [self.default_id, *(i for i in self._library_entries() if i != self.default_id)]

    def articles(self) -> list[ShelfArticle]:
        article = self.default.article
        default = ShelfArticle(
            id=self.default_id,
            title=article.title,
            byline=article.author,
            date=article.dates[0] if article.dates else None,
            source="configured",
            default=True,
        )
        library = [
            ShelfArticle(
                id=e.id, title=e.title, byline=e.byline, date=e.date, source="library", default=False
            )
            for e in self._library_entries().values()
            if e.id != self.default_id
        ]
        return [default, *library]

    # -- answering --

    def scoped(self, article_id: str | None = None) -> Scoped:
        """The assistant for ``article_id`` (None: the default article); ``ArticleNotFound`` if none."""
        if article_id is None or article_id == self.default_id:
            return Scoped(self.default, ArticleRef(id=self.default_id, title=self.default.article.title))
        if article_id == ALL:
            raise AcrossArticlesNotYet()
        entries = self._library_entries()
        entry = entries.get(article_id)
        if entry is None:
            raise ArticleNotFound(article_id, self.ids())
        return Scoped(self._assistant(entry), ArticleRef(id=entry.id, title=entry.title))

    def _assistant(self, entry: LibraryEntry) -> Assistant:
        """The entry's assistant, made once per version of the article (one thread makes it)."""
        with self._lock:
            opened = self._open.get(entry.id)
            if opened is not None and opened[0] == entry:
                return opened[1]
            opening = self._opening.setdefault(entry.id, threading.Lock())
        with opening:
            with self._lock:
                opened = self._open.get(entry.id)
                if opened is not None and opened[0] == entry:
                    return opened[1]
            assistant = self.library.assistant(entry.id)
            with self._lock:
                if self._entries.get(entry.id) == entry:  # not removed or replaced meanwhile
                    self._open[entry.id] = (entry, assistant)
            return assistant

    # -- following the library folder --

    def _library_entries(self) -> dict[str, LibraryEntry]:
        stamp = self._folder_stamp()
        with self._lock:
            if stamp == self._stamp and not self._recheck:
                return self._entries
        entries = {entry.id: entry for entry in self.library.entries()}
        with self._lock:
            self._stamp, self._entries = stamp, entries
            self._recheck = stamp is not None and time.time_ns() - stamp[1] < RECENT_NS
            for article_id in [i for i, (entry, _) in self._open.items() if entries.get(i) != entry]:
                del self._open[article_id]  # removed or replaced: its next question opens the new one
        return entries

    def _folder_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.library.root)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns
