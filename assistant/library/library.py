"""The library of articles: add, list and remove, each article with its own text and index.

``Library`` is what the command line uses now and the serving layer will use next: ``entries()``,
``entry(id)``, ``article_path(id)``, ``index_dir(id)`` and ``assistant(id)`` (an ``Assistant`` over one
article that shares the library's models). Reading needs no lock; adding and removing hold the
library's lock, one article at a time, so two ``assistant add`` processes queue instead of colliding.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.index.builds import Manifest, silent
from assistant.ingest.parse import parse_article
from assistant.ingest.split import split_article
from assistant.library.catalog import Progress
from assistant.library.catalogs import Catalog, library_catalog
from assistant.library.claims import Claim, Claimed
from assistant.library.entry import LibraryEntry
from assistant.library.errors import LibraryBusy, SourceUnusable, UnknownArticle
from assistant.library.indexes import ArticleIndexes
from assistant.library.slugs import unique_slug
from assistant.library.sources import HtmlLimits, Source, read_source
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.index.embedder import Embedder
    from assistant.index.prefetched import PrefetchedEmbeddings
    from assistant.pipeline import Assistant
    from assistant.retrieve.rerank import CrossEncoderReranker


# Articles whose texts ``add_many`` embeds in one call: fuller batches, a bounded wait before the first.
WINDOW = 8
# Seconds between looks at whether another process finished adding the file this one was given too.
CLAIM_POLL_SECONDS = 0.5


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class AddResult:
    """What ``Library.add`` did with one file."""

    outcome: Outcome
    entry: LibraryEntry


class Library:
    """The articles in ``settings.library_dir`` and their indexes under ``settings.index_dir``."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embedder | None = None,
        reranker: CrossEncoderReranker | None = None,
    ) -> None:
        """``embeddings`` and ``reranker`` default to the packaged models, loaded once, on first need."""
        self.settings = settings
        self.root = settings.library_dir or settings.index_dir / "library"
        self.catalog: Catalog = library_catalog(settings, self.root)
        self.indexes = ArticleIndexes(settings, embeddings, reranker)

    # -- reading --

    def entries(self) -> list[LibraryEntry]:
        """Every article, by id."""
        return self.catalog.entries()

    def entry(self, article_id: str) -> LibraryEntry:
        """The article with this id, or ``UnknownArticle`` listing the ids there are."""
        found = self.catalog.entry(article_id)
        if found is None:
            raise UnknownArticle.in_library(article_id, self.catalog.ids())
        return found

    def changed_at(self) -> datetime | None:
        """When an article was last added, updated or removed (UTC); None if the library never changed."""
        return self.catalog.changed_at()

    def article_path(self, article_id: str) -> Path:
        """The article's ``article.txt``: the text its answers' offsets refer to."""
        self.entry(article_id)
        return self.catalog.article_path(article_id)

    def index_dir(self, article_id: str) -> Path:
        self.entry(article_id)
        return self.indexes.index_dir(article_id)

    def settings_for(self, article_id: str) -> Settings:
        """Settings for an ``Assistant`` over one article (article path and index directory set)."""
        return self.indexes.settings_for(article_id, self.article_path(article_id))

    def assistant(self, article_id: str) -> Assistant:
        """An ``Assistant`` answering from one article, sharing the library's models.

        Its index is first put back to the entry's text if a process killed mid-update left the build
        of an unpublished version current (else this worker would serve, or rebuild, what no entry says).
        """
        entry = self.entry(article_id)
        with contextlib.suppress(AssistantError):  # the index as it is; the next change realigns it
            self.indexes.realign(entry.id, entry.text_sha256)
        return self.indexes.assistant(article_id, self.article_path(article_id))

    # -- changing --

    def add(self, path: Path, progress: Progress = silent) -> AddResult:
        """Add the file, replace its changed version (keeping its id), or do nothing if unchanged.

        The file is read and checked before the lock is taken; a bad one changes nothing. Another
        process adding the same file now is waited for (up to ASSISTANT_INDEX_LOCK_TIMEOUT).
        """
        result = self._add_one(self._read(path), progress, tidy=True)
        self._reroute()
        return result

    def add_many(
        self, paths: Iterable[Path], done: Callable[[Path, AddResult | AssistantError], None]
    ) -> None:
        """``add`` each file in turn, telling ``done`` what became of it (a bad one is reported and
        skipped). What a killed run added stays added; running it again skips what is unchanged, so
        it resumes. ``WINDOW`` files at a time are claimed (``claims.py``) and their texts embedded
        in one call (fuller batches: ``index/prefetched.py``); files another indexer claimed are
        skipped and met again at the end, so indexers given one archive share it. The router is
        brought in step once, at the end."""
        from assistant.index.prefetched import PrefetchedEmbeddings

        embedder = PrefetchedEmbeddings(self.indexes.embeddings)
        deferred: list[tuple[Path, Source]] = []
        tidy = True
        try:
            with self.indexes.embedding_with(embedder):
                for window in _windows(paths, WINDOW):
                    deferred += self._add_window(window, embedder, done, tidy=tidy)
                    tidy = False  # once per run: the rest are this process's own changes
                for path, source in deferred:  # another indexer's: added by now, or waited for
                    try:
                        result: AddResult | AssistantError = self._add_one(source, silent, tidy=False)
                    except AssistantError as error:
                        result = error
                    done(path, result)
        finally:
            self._reroute()

    def _add_window(
        self,
        window: list[Path],
        embedder: PrefetchedEmbeddings,
        done: Callable[[Path, AddResult | AssistantError], None],
        *,
        tidy: bool,
    ) -> list[tuple[Path, Source]]:
        """Read, claim, embed and add one window's files; those another process claimed, returned."""
        read: dict[Path, Source | AssistantError] = {}
        for path in window:
            try:
                read[path] = self._read(path)
            except AssistantError as error:
                read[path] = error
        sources = {path: s for path, s in read.items() if not isinstance(s, AssistantError)}
        plans = dict(zip(sources, self._plan(list(sources.values()), tidy, silent), strict=True))
        texts = []
        for path, plan in plans.items():
            if isinstance(plan, Claimed):
                sentences, passages = split_article(sources[path].article)
                texts += [s.text for s in sentences] + [p.text for p in passages]
        deferred = []
        try:
            embedder.prefetch(texts)
            for path in window:
                plan = plans.get(path)
                if path not in sources:
                    done(path, read[path])  # type: ignore[arg-type]
                elif plan is None:
                    deferred.append((path, sources[path]))
                elif isinstance(plan, AddResult):
                    done(path, plan)
                else:
                    try:
                        result: AddResult | AssistantError = self._add_claimed(sources[path], plan, silent)
                    except AssistantError as error:
                        result = error
                    done(path, result)
        finally:
            embedder.forget()
            for plan in plans.values():  # claims not reached (interrupted): ended, nothing was written
                if isinstance(plan, Claimed):
                    self.catalog.release(plan.claim)
        return deferred

    def _read(self, path: Path) -> Source:
        settings = self.settings
        limits = HtmlLimits(settings.max_html_bytes, settings.max_html_tags, settings.html_parse_seconds)
        return read_source(path, settings.max_article_chars, limits)

    def _add_one(self, source: Source, progress: Progress, *, tidy: bool) -> AddResult:
        """Add one file, waiting while another process is adding that same file."""
        deadline = time.monotonic() + self.settings.index_lock_timeout
        announced = False
        while (plan := self._plan([source], tidy, progress)[0]) is None:
            if time.monotonic() >= deadline:
                msg = (
                    f"another process is adding {str(source.path)!r} to {self.catalog.where}; wait for it "
                    "to finish and try again (or raise ASSISTANT_INDEX_LOCK_TIMEOUT)"
                )
                raise LibraryBusy(msg)
            if not announced:
                progress("Another process is adding this file; waiting for it…")
                announced = True
            time.sleep(CLAIM_POLL_SECONDS)
        if isinstance(plan, AddResult):
            return plan
        return self._add_claimed(source, plan, progress)

    def _plan(
        self, sources: list[Source], tidy: bool, progress: Progress
    ) -> list[AddResult | Claimed | None]:
        """For each file, briefly under the library's lock: unchanged (its ``AddResult``), claimed by
        this process to be added (``Claimed``: its id decided), or None: another process is adding it."""
        with self.catalog.locked(self.settings.index_lock_timeout, progress):
            claims = self.catalog.claims()
            if tidy:
                self._realign_indexes(skip=set(claims))
            busy = {c.source_path for c in claims.values()}
            taken = set(self.catalog.ids()) | set(claims)
            plans: list[AddResult | Claimed | None] = []
            for source in sources:
                path = str(source.path)
                existing = None if path in busy else self._by_source(source.path)
                if path in busy:
                    plans.append(None)
                elif existing is not None and self._unchanged(existing, source):
                    plans.append(AddResult(Outcome.UNCHANGED, existing))
                else:
                    article_id = existing.id if existing else unique_slug(source.path.stem, taken)
                    claim = Claim.mine(article_id, path)
                    self.catalog.claim(claim)
                    taken.add(article_id)
                    busy.add(path)
                    plans.append(Claimed(claim, existing))
            return plans

    def _add_claimed(self, source: Source, claimed: Claimed, progress: Progress) -> AddResult:
        """Index and publish a claimed file (the lock is taken only to publish); the claim ends."""
        try:
            entry = self._publish(claimed.claim.article_id, source, claimed.existing, progress)
        finally:
            self.catalog.release(claimed.claim)
        return AddResult(Outcome.UPDATED if claimed.existing else Outcome.ADDED, entry)

    def adopt(self, entry: LibraryEntry, text: str, progress: Progress = silent) -> Outcome:
        """Take in an article of another library (``assistant migrate-library``) under its own id and
        entry, indexing its text here; unchanged if this library has it already, with a fresh index.
        ``SourceUnusable`` if an article of another file holds the id here."""
        with self.catalog.locked(self.settings.index_lock_timeout, progress):
            existing = self.catalog.entry(entry.id)
            if existing is not None and existing.source_path != entry.source_path:
                msg = (
                    f"{entry.id!r}: {self.catalog.where} already has an article with this id, from "
                    f"{existing.source_path!r}; remove it there first (`assistant remove {entry.id}`)"
                )
                raise SourceUnusable(msg)
            article = parse_article(text)
            if existing == entry and self.indexes.is_fresh(entry.id, article):
                return Outcome.UNCHANGED

            def adopted(manifest: Manifest) -> LibraryEntry:
                return entry.model_copy(update={"sentences": manifest.sentences})

            self._publish_version(entry.id, text, adopted, progress, holding_lock=True)
        self._reroute()
        return Outcome.UPDATED if existing is not None else Outcome.ADDED

    def remove(self, article_id: str, progress: Progress = silent) -> LibraryEntry:
        """Remove the article and its index; ``UnknownArticle`` if there is none with this id."""
        with self.catalog.locked(self.settings.index_lock_timeout, progress):
            claims = self.catalog.claims()
            self._realign_indexes(skip=set(claims))
            entry = self.entry(article_id)
            if article_id in claims:
                msg = (
                    f"another process is adding a new version of {article_id!r} right now; remove it "
                    "once that is done"
                )
                raise LibraryBusy(msg)
            self.catalog.remove(article_id)
            self.indexes.remove(article_id)
            self._reroute()
        return entry

    def _reroute(self) -> None:
        """Bring the router of questions across all articles in step (cheap when it is); a failure
        leaves the change made, and a served "all" question tries again."""
        from assistant.library.router import ArticleRouter, reconcile_quietly

        wait = self.settings.index_lock_timeout
        reconcile_quietly(ArticleRouter(self.indexes), self.catalog.entries(), wait)

    def _realign_indexes(self, skip: set[str] | None = None) -> None:
        """Each article's current index build is of its current text: what a process killed mid-update
        may have left otherwise is put right before anything else changes."""
        for entry in self.catalog.entries():
            if entry.id not in (skip or set()):  # being added now: its new build is not a leftover
                self.indexes.realign(entry.id, entry.text_sha256)

    def _by_source(self, path: Path) -> LibraryEntry | None:
        return self.catalog.by_source(str(path))

    def _unchanged(self, entry: LibraryEntry, source: Source) -> bool:
        """Same file, same text, and an index that still fits it (else: rebuilt, as an update)."""
        return (
            entry.source_sha256 == source.sha256
            and entry.text_sha256 == source.article.sha256
            and self.indexes.is_fresh(entry.id, source.article)
        )

    def _publish(
        self, article_id: str, source: Source, existing: LibraryEntry | None, progress: Progress
    ) -> LibraryEntry:
        """The file's text as the article's new version, with the entry the library keeps of it."""

        def described(manifest: Manifest) -> LibraryEntry:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            article = source.article
            return LibraryEntry(
                id=article_id,
                title=article.title,
                byline=article.author,
                date=article.dates[0] if article.dates else None,
                source_path=str(source.path),
                source_format=source.format,
                source_sha256=source.sha256,
                text_sha256=article.sha256,
                chars=len(article.text),
                sentences=manifest.sentences,
                added_at=existing.added_at if existing else now,
                updated_at=now,
            )

        return self._publish_version(article_id, source.text, described, progress)

    def _publish_version(
        self,
        article_id: str,
        text: str,
        describe: Callable[[Manifest], LibraryEntry],
        progress: Progress,
        *,
        holding_lock: bool = False,
    ) -> LibraryEntry:
        """Write the new version and its index; only then make it the article's current version.

        Should anything fail before that (or the process be interrupted), the new version is deleted
        and the index built before it is made current again: the old version stays whole.
        """
        wait = self.settings.index_lock_timeout
        version = self.catalog.write_version(article_id, text)
        previous_index = self.indexes.current(article_id)
        try:
            manifest = self.indexes.build(article_id, self.catalog.text_path(version), progress)
            entry = describe(manifest)
            self.catalog.write_entry(version, entry)
            with contextlib.nullcontext() if holding_lock else self.catalog.locked(wait, progress):
                self.catalog.publish(article_id, version)
        except BaseException:
            self.catalog.discard(version)
            self.indexes.restore(article_id, previous_index)
            raise
        return entry


def _windows(paths: Iterable[Path], size: int) -> Iterator[list[Path]]:
    window: list[Path] = []
    for path in paths:
        window.append(path)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window
