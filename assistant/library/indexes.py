"""Each article's own index, built by the existing code, with one set of models for all articles.

An article's index is an ``IndexDirectory`` under ``<ASSISTANT_INDEX_DIR>/articles/<id>/`` built by
``Assistant.build_index`` from settings that point at the article: the same builds, manifest, lock and
atomic ``CURRENT`` as the seed article's (on a Chroma server, the article's id is the index's
``scope``: its own pointer and lock there). The embedding model and the reranker are made once (on first
need) and handed to every article's ``Assistant``, so adding ten articles loads the models once.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.index.builds import IndexDirectory, Manifest, silent
from assistant.index.stores.factory import chroma_store
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.article import Article
    from assistant.index.embedder import Embedder
    from assistant.pipeline import Assistant
    from assistant.retrieve.rerank import CrossEncoderReranker

ARTICLES = "articles"


class ArticleIndexes:
    """Builds, checks and removes the indexes of the library's articles."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embedder | None = None,
        reranker: CrossEncoderReranker | None = None,
    ) -> None:
        self.settings = settings
        self.root = settings.index_dir / ARTICLES
        self._embeddings = embeddings
        self._reranker = reranker

    @property
    def embeddings(self) -> Embedder:
        if self._embeddings is None:
            from assistant.index.embeddings import MiniLMEmbeddings

            self._embeddings = MiniLMEmbeddings()
        return self._embeddings

    @property
    def reranker(self) -> CrossEncoderReranker:
        if self._reranker is None:
            from assistant.retrieve.rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(max_query_tokens=self.settings.rerank_query_tokens)
        return self._reranker

    @contextlib.contextmanager
    def embedding_with(self, embedder: Embedder) -> Iterator[None]:
        """Build with ``embedder`` (of the same model: ``PrefetchedEmbeddings``) while inside."""
        previous, self._embeddings = self._embeddings, embedder
        try:
            yield
        finally:
            self._embeddings = previous

    def model_id(self) -> str:
        """The embedding model's id, without loading it."""
        if self._embeddings is not None:
            return self._embeddings.model_id
        from assistant.index.model import embedding_model_id

        return embedding_model_id()

    def index_dir(self, article_id: str) -> Path:
        return self.root / article_id

    def settings_for(self, article_id: str, article_path: Path) -> Settings:
        """The settings an ``Assistant`` answering from this article runs with."""
        return self.settings.model_copy(
            update={"article_path": article_path, "index_dir": self.index_dir(article_id)}
        )

    def assistant(self, article_id: str, article_path: Path) -> Assistant:
        """An ``Assistant`` over one article, sharing this library's models."""
        from assistant.pipeline import Assistant

        settings = self.settings_for(article_id, article_path)
        return Assistant(settings, embeddings=self.embeddings, reranker=self.reranker, scope=article_id)

    def directory(self, article_id: str) -> IndexDirectory:
        store = chroma_store(self.settings.chroma_url)
        return IndexDirectory(self.index_dir(article_id), store, scope=article_id)

    def is_fresh(self, article_id: str, article: Article) -> bool:
        """Whether the article's current build fits this text and model (sqlite only: no model loaded)."""
        return self.directory(article_id).is_fresh(article, self.model_id())

    def current(self, article_id: str) -> tuple[Path, Manifest] | None:
        """The current build and its manifest, to go back to should the new version not be published."""
        directory = self.directory(article_id)
        build, manifest = directory.current_build(), directory.current_manifest()
        return (build, manifest) if build is not None and manifest is not None else None

    def build(self, article_id: str, article_path: Path, progress: Callable[[str], None]) -> Manifest:
        """Build the article's index if missing or stale; its manifest (sentence counts and all)."""
        assistant = self.assistant(article_id, article_path)
        assistant.build_index(progress=progress)
        manifest = assistant.index_directory.current_manifest()
        if manifest is None:  # build_index raises rather than leave no build; this is a guard
            msg = f"the index of {article_id!r} has no manifest after building"
            raise RuntimeError(msg)
        return manifest

    def restore(self, article_id: str, previous: tuple[Path, Manifest] | None) -> None:
        """Make ``previous`` current again (the build before a version that was not published)."""
        if previous is None:
            self.remove(article_id)
            return
        build, manifest = previous
        directory = self.directory(article_id)
        with directory.locked(self.settings.index_lock_timeout, silent):
            if directory.current_build() != build:
                directory.catalog.publish(build.name, asdict(manifest))

    def realign(self, article_id: str, text_sha256: str) -> bool:
        """If the current build is of another text than the article's (a process was killed between
        making a new version's build current and publishing the version), make the build of the
        article's text current again; True if one was. Only where the catalog keeps older manifests to
        go back to (``Catalog.history``: build folders, not a server)."""
        directory = self.directory(article_id)
        manifest = directory.current_manifest()
        if manifest is None or manifest.article_sha256 == text_sha256:
            return False
        for build, stored in directory.catalog.history():
            try:
                candidate = Manifest(**stored)
            except TypeError:
                continue
            if candidate.article_sha256 == text_sha256:
                with directory.locked(self.settings.index_lock_timeout, silent):
                    directory.catalog.publish(build, stored)
                return True
        return False

    def remove(self, article_id: str) -> None:
        """Delete the article's index: its current build's collections (wherever they live), the
        server's pointer for its scope if it has one, and its folder.

        On a Chroma server the build kept before the current one is left (a pair of collections):
        deleting every build of a scope belongs to the server's catalog, next to its pointer.
        """
        directory = self.directory(article_id)
        with contextlib.suppress(Exception):  # an unreadable or unreachable index costs space, not answers
            with directory.locked(self.settings.index_lock_timeout, silent):
                build, manifest = directory.current_build(), directory.current_manifest()
                if build is not None and manifest is not None:
                    directory.store.remove(build, list(manifest.expected_rows()))
                directory.catalog.forget_current()
        shutil.rmtree(self.index_dir(article_id), ignore_errors=True)
