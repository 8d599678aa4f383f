"""One index over every library article's sentences: which few articles a question is about.

A question across all articles must not open, embed or rerank every article (that cost would grow with
the library). The router holds a copy of each article's sentence vectors (copied from the article's own
built index, never embedded again) in one Chroma collection, with ``{article, sha, position}`` as
metadata and ids ``"<id>:<sha[:16]>:<position>"``. One nearest-neighbour search gives the best
``Routing.sentences`` sentences, and so the at most ``Routing.articles`` articles worth answering from.

It is kept in step with the library by ``reconcile(entries)``: called after ``assistant add`` and
``assistant remove`` publish, and by a serving process when it sees the library folder change. It is
written as immutable builds, exactly as an article's index is (the same ``Catalog``: ``CURRENT`` and a
lock file in ``<index_dir>/articles/_router/``, or a pointer and lease on the Chroma server under the
scope ``_router``; ``_`` is never in an article id, so no article's folder or scope can collide).
Immutable, not one collection changed in place, because an embedded Chroma store opened by one process
does not see another process's writes (the server keeps serving the rows it loaded), and two processes
writing one embedded store would damage it. A new build starts from the previous one, under the
catalog's lock: in an embedded store its folder is copied (a file copy, ~30 ms for 10,000 sentences
where inserting them again takes seconds) and changed (the rows of removed and replaced articles
deleted, the new articles' added); on a server the rows still current are copied into a new
collection. A reconcile that finds the build already matching the entries does nothing, so running it
twice, or in two processes at once, leaves the same rows. Which of the two a store does, and every
write and read of the collection, go through the store seam (``assistant.index.stores``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import IndexBusy
from assistant.index.builds import SENTENCE, silent
from assistant.index.stores.factory import chroma_store

if TYPE_CHECKING:
    from assistant.index.stores.build_collections import BuildCollections
    from assistant.library.entry import LibraryEntry
    from assistant.library.indexes import ArticleIndexes

logger = logging.getLogger(__name__)

FOLDER = "_router"
"""Under ``<index_dir>/articles/``; also the server scope. Not an id (``slugs.ID_PATTERN``)."""
PREFIX = "router-"
UNIT = "sentences"  # the build's one collection is ``<collection>-sentences``
ROUTER_FORMAT = 1


@dataclass(frozen=True)
class Routing:
    """How many sentences the router's one search returns, and how many articles are answered from.

    Not fitted: chosen so that the per-question cost stays a small constant. ``articles`` = 3: each
    candidate costs one query embedding and one cross-encoder pass over its pool. In
    ``benchmarks/library_size.py`` the router named the seed article first for 39 of its 40 golden
    questions among 10 and among 100 articles (the 40th was not among the first 3 either), so 1 would
    have done as well there; 3 leaves the choice to the cross-encoder when articles are on close topics.
    ``sentences`` = 40: enough for 3 distinct articles to show up even when one article holds many
    near-duplicates of the question.
    """

    sentences: int = 40
    articles: int = 3


ROUTING = Routing()


@dataclass(frozen=True)
class RouterManifest:
    """What a router build holds, published through its catalog as an article build's ``Manifest`` is."""

    format: int
    build: str
    collection: str
    embedding_model: str
    articles: dict[str, str]  # article id → the sha256 of the text its rows are of
    rows: int
    built_at: float

    @classmethod
    def read(cls, stored: dict[str, Any] | None) -> RouterManifest | None:
        """The manifest of a router build of this format; None if there is none, or another one."""
        if not stored or stored.get("format") != ROUTER_FORMAT:
            return None
        try:
            return cls(**stored)
        except TypeError:
            return None

    @property
    def sentence_collection(self) -> str:
        """The name of the build's one collection."""
        return f"{self.collection}-{UNIT}"


@dataclass(frozen=True)
class _View:
    """The router build this process searches: reopened when another becomes current."""

    marker: object
    articles: dict[str, str]
    collections: BuildCollections
    name: str
    rows: int


class ArticleRouter:
    """The router of the library whose indexes ``indexes`` keeps; thread-safe."""

    def __init__(self, indexes: ArticleIndexes) -> None:
        self.indexes = indexes
        self.store = chroma_store(indexes.settings.chroma_url)
        self.catalog = self.store.catalog(indexes.root / FOLDER, FOLDER)
        self._view: _View | None = None
        self._retired: _View | None = None
        self._switch = threading.Lock()

    # -- keeping in step --

    def _manifest(self) -> RouterManifest | None:
        current = self.catalog.current()
        return RouterManifest.read(current[1] if current else None)

    def routed(self) -> dict[str, str]:
        """Article id → text sha256 of what the current build holds (empty when there is none)."""
        manifest = self._manifest()
        if manifest is None or manifest.embedding_model != self.indexes.model_id():
            return {}
        return dict(manifest.articles)

    def reconcile(self, entries: Sequence[LibraryEntry], wait: float | None = None) -> bool:
        """Make the router hold exactly ``entries`` (by id and text); True if a new build was made.

        ``wait`` bounds the wait for another process's reconcile (default: ASSISTANT_INDEX_LOCK_TIMEOUT);
        past it ``IndexBusy``. An article whose index does not hold its current text is left out (and
        taken in by the next reconcile once it does).
        """
        wanted = {e.id: e.text_sha256 for e in entries}
        if self.routed() == wanted:
            return False
        seconds = self.indexes.settings.index_lock_timeout if wait is None else wait
        with self.catalog.locked(seconds, silent):
            manifest = self._manifest()
            previous = self.routed()
            if previous == wanted:
                return False  # another process made it meanwhile
            self._build(entries, previous, manifest if previous else None)
        return True

    def _build(
        self, entries: Sequence[LibraryEntry], previous: dict[str, str], manifest: RouterManifest | None
    ) -> None:
        stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        build = self.catalog.begin(stamp)
        name = build.name  # the catalog may qualify it (a scope on a shared server)
        kept = {e.id for e in entries if previous.get(e.id) == e.text_sha256}
        try:
            written = None
            if kept and manifest is not None:
                written = self._changed_copy(stamp, build, manifest, previous, kept, entries)
            if written is None:
                written = self._written_anew(build, f"{PREFIX}{name}", manifest, previous, kept, entries)
            collection, articles, rows = written
            made = RouterManifest(
                ROUTER_FORMAT, name, collection, self.indexes.model_id(), articles, rows, time.time()
            )
            self.catalog.publish(name, asdict(made))
        except BaseException:
            self.catalog.abandon(build)
            raise
        self.catalog.remove_old(keep=name, prefix=PREFIX, units=(UNIT,))

    def _changed_copy(
        self,
        stamp: str,
        build: Path,
        manifest: RouterManifest,
        previous: dict[str, str],
        kept: set[str],
        entries: Sequence[LibraryEntry],
    ) -> tuple[str, dict[str, str], int] | None:
        """The previous build copied by the store, if it can copy cheaply (an embedded store's file copy),
        then the rows of removed and changed articles deleted and the new ones added. None if the store
        cannot, or (the build made empty again) if the copy does not hold what it should: then the build
        is written anew."""
        try:
            if not self.store.copy_build(self.catalog.build_path(manifest.build), build):
                return None
            name = manifest.sentence_collection
            with self.store.collections(build) as collections:
                if gone := sorted(set(previous) - kept):
                    collections.delete_rows(name, where={"article": {"$in": gone}})
                articles = {i: previous[i] for i in kept}
                self._add_new(collections, name, entries, articles)
                rows = collections.count(name)
            expected = sum(e.sentences for e in entries if e.id in articles)
            if rows != expected:
                msg = f"{rows} rows where the articles have {expected} sentences"
                raise ValueError(msg)
        except Exception as error:  # noqa: BLE001 - written anew instead
            logger.info("the router's previous build could not be reused (%r); writing it anew", error)
            self.catalog.abandon(build)
            self.catalog.begin(stamp)
            return None
        return manifest.collection, articles, rows

    def _written_anew(
        self,
        build: Path,
        collection: str,
        manifest: RouterManifest | None,
        previous: dict[str, str],
        kept: set[str],
        entries: Sequence[LibraryEntry],
    ) -> tuple[str, dict[str, str], int]:
        """A new collection: the kept articles' rows copied from the previous build, the others' read
        from their own indexes (on a Chroma server, or when there is nothing to copy)."""
        name = f"{collection}-{UNIT}"
        with self.store.collections(build) as collections:
            collections.create(name)
            articles: dict[str, str] = {}
            if kept and manifest is not None:
                still = {"article": {"$in": sorted(kept)}}
                with self.store.collections(self.catalog.build_path(manifest.build)) as old:
                    collections.copy_rows(old, manifest.sentence_collection, name, where=still)
                articles.update({i: previous[i] for i in kept})
            self._add_new(collections, name, entries, articles)
            return collection, articles, collections.count(name)

    def _add_new(
        self,
        collections: BuildCollections,
        name: str,
        entries: Sequence[LibraryEntry],
        articles: dict[str, str],
    ) -> None:
        """Add the rows of the entries not in ``articles`` (read from their own indexes), and record them."""
        for entry in entries:
            if entry.id in articles or (vectors := self._vectors(entry)) is None:
                continue
            sha = entry.text_sha256
            positions = range(len(vectors))
            ids = [f"{entry.id}:{sha[:16]}:{p}" for p in positions]
            metadatas = [{"article": entry.id, "sha": sha, "position": p} for p in positions]
            collections.add(name, ids, vectors, metadatas)
            articles[entry.id] = sha

    def _vectors(self, entry: LibraryEntry) -> np.ndarray | None:
        """The sentence vectors of the article's current build, if it is of the entry's text."""
        directory = self.indexes.directory(entry.id)
        build, manifest = directory.current_build(), directory.current_manifest()
        if build is None or manifest is None or manifest.article_sha256 != entry.text_sha256:
            logger.info("the router leaves out %r for now: its index is missing or of another text", entry.id)
            return None
        try:
            # Closed when read: a process adding a hundred articles would otherwise keep a hundred
            # embedded stores open (~10 MB each).
            name = manifest.collection_name(SENTENCE)
            with self.store.collections(build) as collections:
                stored = collections.rows(name, include=["embeddings", "metadatas"])
        except Exception as error:  # noqa: BLE001 - left out now, taken in by a later reconcile
            logger.warning("the router leaves out %r for now: its index cannot be read (%r)", entry.id, error)
            return None
        order = np.argsort([m["position"] for m in stored["metadatas"]], kind="stable")
        vectors = np.asarray(stored["embeddings"], dtype=np.float32)[order]
        return vectors if len(vectors) == manifest.sentences else None

    # -- searching --

    def candidates(self, query_vector: np.ndarray, routing: Routing = ROUTING) -> list[str]:
        """The articles holding the sentences nearest the question, best first: at most
        ``routing.articles``, from one search of ``routing.sentences`` sentences."""
        view = self._current_view()
        if view is None or not view.articles:
            return []
        found = view.collections.query(
            view.name,
            query_embeddings=[np.asarray(query_vector, dtype=np.float32)],
            n_results=min(routing.sentences, max(1, view.rows)),
            include=["metadatas"],
        )
        chosen: list[str] = []
        for metadata in found["metadatas"][0]:
            article = str(metadata["article"])
            if article not in chosen:
                chosen.append(article)
                if len(chosen) == routing.articles:
                    break
        return chosen

    def _current_view(self) -> _View | None:
        marker = self.catalog.marker()
        view = self._view
        if view is not None and view.marker == marker:
            return view
        with self._switch:
            view = self._view
            if view is not None and view.marker == marker:
                return view
            manifest = self._manifest()
            if manifest is None:
                return None
            name = manifest.sentence_collection
            collections = self.store.collections(self.catalog.build_path(manifest.build))
            collections.collection(name)  # a build without its collection fails now, not when searched
            self._view = _View(marker, dict(manifest.articles), collections, name, manifest.rows)
            self._retire(view)
            return self._view

    def _retire(self, view: _View | None) -> None:
        """Close the client of the view before ``view``, if it is one per build (searches on it ended
        long ago; the one just replaced may still be searched by another thread, so it is closed next
        time)."""
        retired, self._retired = self._retired, view
        if retired is not None and (view is None or retired.collections is not view.collections):
            with contextlib.suppress(Exception):
                retired.collections.close()


def reconcile_quietly(router: ArticleRouter, entries: Sequence[LibraryEntry], wait: float) -> bool:
    """``reconcile`` where a failure must not fail the caller (the library's change is made): logged,
    False, and the next reconcile (a served "all" question) tries again."""
    try:
        router.reconcile(entries, wait)
    except IndexBusy:
        logger.info("another process is updating the article router; it will be brought in step later")
        return False
    except Exception as error:  # noqa: BLE001 - the router is derived data, made again next time
        logger.warning("the article router could not be brought in step with the library: %r", error)
        return False
    return True
