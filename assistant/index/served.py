"""The article and the index built from it, served as one pair.

A rebuild by another process (``CURRENT`` replaced) is followed only when the article file on disk
is the one the new build's manifest names; otherwise the previous pair keeps answering and
``refusal`` (so ``Assistant.check`` and ``/healthz``) says why. A refused build is tried again when
``CURRENT`` or the article file changes, and every ``REFUSED_RETRY_SECONDS``.

What answers from a pair (the retrieve stage and the chain, say) is built by the ``assemble``
factory given to ``ServedIndex``, once per pair opened: the index knows nothing of the stages
above it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from assistant.errors import AssistantError, IndexUnavailable
from assistant.index.builds import IndexDirectory, OpenIndex, Progress, silent
from assistant.index.stores.base import LOCK_WAIT
from assistant.ingest.parse import load_article

if TYPE_CHECKING:
    from assistant.article import Article
    from assistant.index.embedder import Embedder
    from assistant.settings import Settings

logger = logging.getLogger(__name__)

# A refused swap is tried again this often even when nothing changed: a lock on the new store may go.
REFUSED_RETRY_SECONDS = 5.0

S = TypeVar("S")


@dataclass(frozen=True)
class Served(Generic[S]):
    """An article and the index built from it: swapped together, never one without the other."""

    marker: object
    article: Article
    index: OpenIndex
    stages: S
    """What answers from this pair, as ``ServedIndex``'s ``assemble`` built it."""


@dataclass(frozen=True)
class Refused:
    """A build not switched to, and why: tried again when ``CURRENT`` or the article file changes,
    and every ``REFUSED_RETRY_SECONDS`` (a lock on its store may have gone)."""

    key: tuple[object, object]
    reason: str
    retry_at: float


def read_article(settings: Settings) -> Article:
    """The article file ``settings`` name, as served."""
    return load_article(settings.article_path, settings.max_article_chars)


class ServedIndex(Generic[S]):
    """Which article and index build answer now: opened lazily and thread-safely, built when missing
    or stale, and swapped as a pair when another build becomes current and fits the article file."""

    def __init__(
        self,
        article: Article,
        directory: IndexDirectory,
        settings: Settings,
        embeddings: Embedder,
        assemble: Callable[[Article, OpenIndex], S],
    ) -> None:
        """``article`` is the article file as read at start-up: served until an index is opened."""
        self.directory = directory
        self._settings = settings
        self._embeddings = embeddings
        self._assemble = assemble
        self._article = article
        self._ready: Served[S] | None = None
        self._refused: Refused | None = None
        self._lock = threading.Lock()

    @property
    def article(self) -> Article:
        """The article answers come from: the one the served index was built from (follows swaps)."""
        ready = self._ready
        return ready.article if ready is not None else self._article

    @property
    def current(self) -> Served[S] | None:
        """The pair served now, if one is open; opens nothing."""
        return self._ready

    @property
    def refusal(self) -> str | None:
        """Why the current build is not served (the previous pair still is), or None."""
        refused = self._refused
        return refused.reason if refused is not None else None

    def build(self, rebuild: bool = False, progress: Progress = silent) -> bool:
        """Build the index of the article file if it is missing, stale or damaged (or always, with
        ``rebuild``); True if built. A build here is served from the next ``get``."""
        article = read_article(self._settings)
        model_id = self._embeddings.model_id
        if not rebuild and self.directory.is_fresh(article, model_id):
            return False
        with self.directory.locked(self._settings.index_lock_timeout, progress):
            reason = None if rebuild else self.directory.staleness(article, model_id)
            if not rebuild and reason is None:
                return False
            if reason and self.directory.current_build() is not None:
                progress(f"Rebuilding the index: {reason}.")
            self.directory.build(
                article, self._embeddings, progress, show_progress_bar=progress is not silent
            )
        with self._lock:
            self._article, self._ready, self._refused = article, None, None
        return True

    def get(self, progress: Progress = silent) -> Served[S]:
        """The served pair. A rebuild by another process (``CURRENT`` replaced) is followed when the
        article file is the one the new build was made from; otherwise the previous pair stays."""
        ready = self._ready
        marker = self.directory.marker()
        if ready is None:
            return self._first_open(progress)
        if ready.marker == marker:
            if self._refused is not None:
                self._refused = None
            return ready
        if self._still_refused(marker) or not self._lock.acquire(blocking=False):
            return ready  # refused before, or another thread is opening the new build right now
        try:
            return self._swap(ready, self.directory.marker())
        finally:
            self._lock.release()

    def release(self) -> Served[S] | None:
        """Stop serving the open pair (the next ``get`` opens the index again); the pair let go of."""
        with self._lock:
            ready, self._ready, self._refused = self._ready, None, None
        return ready

    def _first_open(self, progress: Progress) -> Served[S]:
        self.build(progress=progress)
        with self._lock:
            if self._ready is None:
                self._ready = self._open_pair(self.directory.marker())
                self._article = self._ready.article
            return self._ready

    def _swap(self, ready: Served[S], marker: object) -> Served[S]:
        try:
            new = self._open_pair(marker)
        except AssistantError as error:
            reason = f"{error}; still serving the previous index and article ({ready.index.build_dir.name})"
            if self._refused is None or self._refused.reason != reason:
                logger.warning("not switching to the new index: %s", reason)
            key = (marker, self._article_stamp())
            self._refused = Refused(key, reason, time.monotonic() + REFUSED_RETRY_SECONDS)
            return ready
        self._ready, self._refused, self._article = new, None, new.article
        logger.info("now serving %r from the index build %s", new.article.title, new.index.build_dir.name)
        return new

    def _still_refused(self, marker: object) -> bool:
        refused = self._refused
        return (
            refused is not None
            and refused.key == (marker, self._article_stamp())
            and time.monotonic() < refused.retry_at
        )

    def _open_pair(self, marker: object) -> Served[S]:
        """The article file and the current build, only if the build was made from that file."""
        article = read_article(self._settings)
        manifest = self.directory.current_manifest()
        if manifest is None:
            msg = f"no index in {self.directory.where}; run `assistant index` to build it"
            raise IndexUnavailable(msg)
        self._same_article(manifest.article_sha256, article)
        index = self.directory.open(min(LOCK_WAIT, self._settings.request_timeout / 2))
        self._same_article(index.manifest.article_sha256, article)  # CURRENT may have moved meanwhile
        return Served(marker, article, index, self._assemble(article, index))

    def _same_article(self, built_from: str, article: Article) -> None:
        if built_from != article.sha256:
            msg = (
                f"the index in {self.directory.where} was built from another article "
                f"(sha256 {built_from[:12]}) than {str(self._settings.article_path)!r} holds now "
                f"(sha256 {article.sha256[:12]}); run `assistant index` to index that file"
            )
            raise IndexUnavailable(msg)

    def _article_stamp(self) -> object:
        """Changes whenever the article file is replaced or written: a stat."""
        try:
            stat = os.stat(self._settings.article_path)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns
