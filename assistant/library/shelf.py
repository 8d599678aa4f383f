"""Which ``Assistant`` answers a question about which article: what the serving layer asks.

The shelf holds the configured article (``ASSISTANT_ARTICLE_PATH``, the one served before there was a
library, still the default) and every article of the library. Its id is stable for the life of the
process: the library id of the entry with the same text when the configured article is in the library
(so it is listed once, and both names mean one article), else the slug of its file name (``-2``… when a
library article has that slug already). Should ``assistant add`` later give an article the same id, the
configured article keeps it.

A library article's ``Assistant`` is made on its first question (opening its index happens inside that
question's deadline) and kept while it is among the ``ASSISTANT_OPEN_ARTICLES`` most recently asked;
the least recently asked beyond them is closed (its index and Chroma store released; a question on it
opens it again), the configured article never. All share the default assistant's embedding model and
reranker, so a hundred articles load the models once. The library's entries are re-read only when its
catalog's stamp changed (a folder library: one ``stat`` per question, adding, updating and removing an
article each replace or remove a link in that folder; a library on a Chroma server: one small request
at most once a second), so an article added while the server runs, from any host, is askable at once
or within a second, an updated one is answered from its new text, and a removed one is unknown (404).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Literal

from assistant.errors import AssistantError
from assistant.library.across import AcrossArticles
from assistant.library.entry import LibraryEntry
from assistant.library.errors import UnknownArticle
from assistant.library.library import Library
from assistant.library.paging import Page
from assistant.library.router import ArticleRouter, reconcile_quietly
from assistant.library.slugs import unique_slug
from assistant.pipeline import Assistant
from assistant.schema import Answer, ArticleRef

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

ALL = "all"
ALL_TITLE = "All articles"
# Seconds an "all" question waits for another process bringing the router in step; past it, the
# router as it is answers (a just-added article joins on a later question).
ROUTER_WAIT = 0.5


class AcrossArticlesNotYet(AssistantError):
    """This surface answers about one article at a time (the chat page), not across all of them."""

    def __init__(self) -> None:
        super().__init__(
            f"article {ALL!r}: answers across all articles are not available here; ask about one article "
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
class ShelfPage:
    """One page of the shelf's articles, and where it lies in the whole list."""

    articles: tuple[ShelfArticle, ...]
    page: Page


@dataclass(frozen=True)
class LibraryState:
    """What a server says of its library: how many articles it serves (the default one included) and
    when an article was last added, updated or removed (UTC; None: never)."""

    articles: int
    changed_at: datetime | None


@dataclass(frozen=True)
class Scoped:
    """The assistant answering about one article, and how its citations name that article; or, with
    ``across``, answering across all articles (an ``AcrossArticles``), whose citations name their own."""

    assistant: Assistant
    source: ArticleRef
    across: bool = False

    def attribute(self, answer: Answer) -> Answer:
        """The answer with every citation naming the article it quotes."""
        return answer if self.across else answer.attributed(self.source)


class Shelf:
    """The configured article plus the library's, each by id; thread-safe."""

    def __init__(self, default: Assistant, library: Library | None = None) -> None:
        """``library`` defaults to the one in the default assistant's settings, sharing its models."""
        self.default = default
        self.library = library or Library(default.settings, default.embeddings, default.reranker)
        self._lock = threading.Lock()
        self._stamp: object = None
        self._stamp_read = False
        self._entries: dict[str, LibraryEntry] = {}
        # Least recently asked first; at most ``open_articles``: the rest are closed (``_overflow``).
        self._open: OrderedDict[str, tuple[LibraryEntry, Assistant]] = OrderedDict()
        self._opening: dict[str, threading.Lock] = {}
        self._bound = default.settings.open_articles
        # Assistants closed or never kept, which a question that had them already may open again.
        self._closed: weakref.WeakSet[Assistant] = weakref.WeakSet()
        self.default_id = self._default_id(self._library_entries())
        self._router: ArticleRouter | None = None
        self._routed: dict[str, LibraryEntry] | None = None
        self._across: AcrossArticles | None = None

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
        """The default article first, then the library's, by id."""
        return list(self._listed(self._library_entries(), 0, None))

    def page(self, offset: int, limit: int) -> ShelfPage:
        """``articles()[offset:offset + limit]`` and how many there are in all, from one reading of the
        library; only the page's articles are made (a library of thousands is listed a page at a time)."""
        entries = self._library_entries()
        page = Page(self._count(entries), offset, limit)
        return ShelfPage(tuple(self._listed(entries, page.start, page.end)), page)

    def library_state(self) -> LibraryState:
        """How many articles are served and when the library last changed (``/healthz``): two ``stat``
        calls, the entries re-read only when the library's folder changed, as for a question."""
        entries = self._library_entries()
        return LibraryState(articles=self._count(entries), changed_at=self.library.changed_at())

    def _count(self, entries: dict[str, LibraryEntry]) -> int:
        """The default article and the library's (the default may be one of them)."""
        return 1 + len(entries) - (self.default_id in entries)

    def _listed(
        self, entries: dict[str, LibraryEntry], start: int, stop: int | None
    ) -> Iterator[ShelfArticle]:
        """Articles ``[start:stop]`` of the listing; the entries outside it are skipped, not made."""
        if start == 0 and stop != 0:
            article = self.default.article
            yield ShelfArticle(
                id=self.default_id,
                title=article.title,
                byline=article.author,
                date=article.dates[0] if article.dates else None,
                source="configured",
                default=True,
            )
        library = (e for e in entries.values() if e.id != self.default_id)  # listed from index 1 on
        for e in islice(library, max(start - 1, 0), None if stop is None else max(stop - 1, 0)):
            yield ShelfArticle(
                id=e.id, title=e.title, byline=e.byline, date=e.date, source="library", default=False
            )

    # -- answering --

    def scoped(self, article_id: str | None = None, *, across: bool = False) -> Scoped:
        """The assistant for ``article_id`` (None: the default article); ``UnknownArticle`` if none.

        ``"all"`` answers across every article when the surface takes such answers (``across``: their
        citations name several articles, see ``Scoped.attribute``); else ``AcrossArticlesNotYet``."""
        if article_id is None or article_id == self.default_id:
            return Scoped(self.default, ArticleRef(id=self.default_id, title=self.default.article.title))
        if article_id == ALL:
            if not across:
                raise AcrossArticlesNotYet()
            return self._all()
        entries = self._library_entries()
        entry = entries.get(article_id)
        if entry is None:
            raise UnknownArticle.not_served(article_id, self.ids())
        return Scoped(self._assistant(entry), ArticleRef(id=entry.id, title=entry.title))

    # -- across all articles --

    def _all(self) -> Scoped:
        """Across all articles; with only the default article on the shelf, simply that article."""
        if not any(i != self.default_id for i in self._library_entries()):
            return self.scoped()
        with self._lock:
            if self._across is None:
                self._across = AcrossArticles(self.default, self)
            across = self._across
        return Scoped(across, ArticleRef(id=ALL, title=ALL_TITLE), across=True)  # type: ignore[arg-type]

    @property
    def router(self) -> ArticleRouter:
        with self._lock:
            if self._router is None:
                self._router = ArticleRouter(self.library.indexes)
            return self._router

    def route(self, query_vector: np.ndarray) -> list[Scoped]:
        """The articles the router finds nearest the question (served ones only), then the default
        article when the library does not hold it (it is not in the router, so always asked) or when
        the router names none (not built yet: another process is building it)."""
        entries = self._library_entries()
        self._follow(entries)
        found = [self.scoped(i) for i in self.router.candidates(query_vector) if i in entries]
        if self.default_id not in entries or not found:  # not routed, or no router (yet): asked too
            found.append(self.scoped())
        return found

    def titled(self, title: str) -> Scoped | None:
        """The one served article with this title (an earlier answer named it), or None."""
        ids = [a.id for a in self.articles() if a.title == title]
        return self.scoped(ids[0]) if len(ids) == 1 else None

    def _follow(self, entries: dict[str, LibraryEntry]) -> None:
        """Bring the router in step with the library once per change of its folder (a no-op when
        ``assistant add``/``remove`` did already); a failure is retried on the next question."""
        with self._lock:
            if self._routed is entries:
                return
        if reconcile_quietly(self.router, list(entries.values()), ROUTER_WAIT):
            with self._lock:
                self._routed = entries

    @property
    def open_ids(self) -> tuple[str, ...]:
        """The library articles open now, least recently asked first (the default is not listed)."""
        with self._lock:
            return tuple(self._open)

    def _assistant(self, entry: LibraryEntry) -> Assistant:
        """The entry's assistant, made once per version of the article (one thread makes it); the
        least recently asked beyond ``ASSISTANT_OPEN_ARTICLES`` are closed."""
        with self._lock:
            if (kept := self._kept(entry)) is not None:
                return kept
            opening = self._opening.setdefault(entry.id, threading.Lock())
        with opening:
            with self._lock:
                if (kept := self._kept(entry)) is not None:
                    return kept
            assistant = self.library.assistant(entry.id)
            with self._lock:
                previous = None
                if self._entries.get(entry.id) == entry:  # not removed or replaced meanwhile
                    previous = self._open.pop(entry.id, None)
                    self._open[entry.id] = (entry, assistant)
                else:
                    self._closed.add(assistant)  # answers the question that asked, then is closed
                closing = self._overflow([previous[1]] if previous else [])
            self._close(closing)
            return assistant

    def _kept(self, entry: LibraryEntry) -> Assistant | None:
        """The open assistant of this version of the article, now the most recently asked (locked)."""
        opened = self._open.get(entry.id)
        if opened is None or opened[0] != entry:
            return None
        self._open.move_to_end(entry.id)
        return opened[1]

    def _overflow(self, closing: list[Assistant]) -> list[Assistant]:
        """Take the least recently asked out beyond the bound (locked); with ``closing``, they are to
        be closed, as are those closed before that a question had already and opened again."""
        while len(self._open) > self._bound:
            closing.append(self._open.popitem(last=False)[1][1])
        if not closing:
            return []
        self._closed.update(closing)
        return list(self._closed)

    def _close(self, closing: list[Assistant]) -> None:
        """Close assistants no longer kept (not locked: closing waits for an index being opened). A
        question answering from one finishes from what it holds (``Assistant.close``); one that got it
        just before and opens it again is answered, and it is closed again at the next eviction."""
        for assistant in closing:
            try:
                assistant.close()
            except Exception as error:  # noqa: BLE001 - a store left open costs memory, never an answer
                logger.warning("could not close an article's index: %r", error)

    # -- following the library folder --

    def _library_entries(self) -> dict[str, LibraryEntry]:
        stamp = self.library.catalog.stamp()
        with self._lock:
            if stamp == self._stamp and self._stamp_read:
                return self._entries
        entries = {entry.id: entry for entry in self.library.entries()}
        with self._lock:
            self._stamp, self._entries, self._stamp_read = stamp, entries, True
            stale = [i for i, (entry, _) in self._open.items() if entries.get(i) != entry]
            # removed or replaced: closed; its next question opens the new one
            closing = self._overflow([self._open.pop(i)[1] for i in stale])
        self._close(closing)
        return entries
