"""The persisted index: a Chroma store of sentences and passages plus a manifest of how it was built.

A rebuild writes a new build beside the current one and then makes it current atomically, so a crash
or ``kill -9`` half-way leaves the previous build answering; two indexers take turns under the build
lock. A build counts as fresh only when its store also opens and holds what the manifest says, so an
emptied or damaged store is rebuilt, never called "up to date". Where the Chroma collections live
(each build's folder, a server, a given client) is the ``BuildStore`` and where the truth about builds
lives (which is current, their manifests, the build lock) its ``Catalog``: both behind the seam in
``assistant.index.stores``. The embeddings come from any ``Embedder``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.article import Article, Passage, Sentence, Voice
from assistant.errors import IndexUnavailable
from assistant.index.overview import key_sentences
from assistant.index.stores.base import LOCK_WAIT, BuildStore, Catalog, Gate, Progress
from assistant.index.stores.factory import chroma_store
from assistant.ingest.split import SPLITTER_VERSION, split_article
from assistant.ingest.tagging import TAGGER_ID, tag_entities

if TYPE_CHECKING:  # the freshness check (`assistant index` on an unchanged article) needs neither
    import numpy as np

    from assistant.index.embedder import Embedder

SENTENCE, PASSAGE = "sentence", "passage"
UNITS = (f"{SENTENCE}s", f"{PASSAGE}s")  # a build's collections: ``<collection>-sentences``, ``-passages``
# Bump when the stored layout changes; a build of another format is rebuilt.
INDEX_FORMAT = "3"  # 3: the manifest ranks the key sentences (the overview)


def silent(_: str) -> None:
    """The progress sink that says nothing (and shows no progress bars): the default everywhere."""


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    """How a build was made; a build whose manifest differs from today's inputs is rebuilt."""

    article_sha256: str
    source_id: str
    embedding_model: str
    splitter_version: str
    index_format: str
    collection: str
    sentences: int
    passages: int
    built_at: float
    # Which entity tagger labelled the sentences; builds from before tagging have none ("") and are stale.
    tagger: str = ""
    # The article's key sentences, most important first (``assistant.index.overview``): its overview.
    key_sentences: tuple[int, ...] = ()

    def matches(self, article: Article, model_id: str) -> bool:
        return self.staleness(article, model_id) is None

    def collection_name(self, unit: str) -> str:
        return f"{self.collection}-{unit}s"

    def expected_rows(self) -> dict[str, int]:
        """What the store must hold: entries per collection, as the build wrote them."""
        return {self.collection_name(SENTENCE): self.sentences, self.collection_name(PASSAGE): self.passages}

    def staleness(self, article: Article, model_id: str) -> str | None:
        """Why this build does not fit today's inputs, or None when it does."""
        if self.article_sha256 != article.sha256:
            return "the article changed"
        if self.embedding_model != model_id:
            return "the embedding model changed"
        if (self.splitter_version, self.index_format) != (SPLITTER_VERSION, INDEX_FORMAT):
            return "the splitter or the index format changed"
        if self.tagger != TAGGER_ID:
            return "the entity tagger changed"
        return None


@dataclass(frozen=True)
class OpenIndex:
    """A build opened for reading: the Chroma collection and the sentences with their vectors."""

    build_dir: Path
    manifest: Manifest
    passages: Any
    sentences: tuple[Sentence, ...]
    sentence_vectors: np.ndarray
    store: Gate
    passage_rows: tuple[tuple[str, str, dict[str, Any]], ...]  # (id, text, metadata), read once
    client: Any = None  # the Chroma client it was read with: ``Assistant.close`` closes an embedded one


class IndexDirectory:
    """Builds, finds and opens the index builds; ``store`` says where their collections live
    (default: an embedded Chroma store in each build's folder), ``catalog`` where the truth about
    them does (``root``, or the Chroma server when the collections are on one)."""

    def __init__(self, root: Path, store: BuildStore | None = None, scope: str = "") -> None:
        """``scope`` tells apart several indexes sharing one Chroma server (an article's id, say): the
        same on every host, unlike ``root``; unused for files, where ``root`` already does."""
        self.root = root
        self.store = store or chroma_store()
        self.catalog: Catalog = self.store.catalog(root, scope)
        self.where = self.catalog.where

    def marker(self) -> object:
        """Changes whenever another build becomes current: cheap enough to check on every request."""
        return self.catalog.marker()

    def _current(self) -> tuple[Path, Manifest | None] | None:
        found = self.catalog.current()
        if found is None:
            return None
        name, stored = found
        try:
            manifest = Manifest(**stored) if stored is not None else None
        except TypeError:
            manifest = None
        return self.catalog.build_path(name), manifest

    def current_build(self) -> Path | None:
        current = self._current()
        return current[0] if current else None

    def current_manifest(self) -> Manifest | None:
        current = self._current()
        return current[1] if current else None

    def describe(self, build: Path) -> str:
        """A build as messages name it: its folder, or its name on the Chroma server."""
        return self.catalog.describe(build)

    def is_fresh(self, article: Article, model_id: str) -> bool:
        return self.staleness(article, model_id) is None

    def staleness(self, article: Article, model_id: str) -> str | None:
        """Why the current build must be rebuilt (missing, stale, damaged or locked store), or None.

        With the default store, opens it with ``sqlite3`` only: no Chroma, no model, a few milliseconds.
        """
        current = self._current()
        if current is None or current[1] is None:
            return f"there is no index in {self.where} yet"
        build, manifest = current
        if reason := manifest.staleness(article, model_id):
            return reason
        problem = self.store.problem(build, manifest.expected_rows(), LOCK_WAIT)
        return problem.text if problem else None

    def locked(self, wait_seconds: float, progress: Progress) -> contextlib.AbstractContextManager[None]:
        """Hold the build lock; wait for another build up to ``wait_seconds``, then refuse."""
        return self.catalog.locked(wait_seconds, progress)

    def build(
        self,
        article: Article,
        embeddings: Embedder,
        progress: Progress,
        show_progress_bar: bool = False,
    ) -> Path:
        """Write a complete new build, then make it current. Call while holding the lock."""
        sentences, passages = split_article(article)
        progress(f"Split the article into {len(sentences)} sentences and {len(passages)} passages.")
        build_name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        build_dir = self.catalog.begin(build_name)
        build_name = build_dir.name  # the catalog may qualify it (a scope on a shared server)
        try:
            collections = self.store.collections(build_dir)  # an unreachable server fails now, not later
        except BaseException:
            self.catalog.abandon(build_dir)
            raise
        progress(f"Tagging the sentences' named entities with {TAGGER_ID}…")
        labels = tag_entities([s.text for s in sentences])
        sentences = [replace(s, entities=found) for s, found in zip(sentences, labels, strict=True)]
        texts = [s.text for s in sentences] + [p.text for p in passages]
        progress(f"Embedding {len(texts)} texts with {embeddings.model_id}…")
        vectors = embeddings.embed_many(texts, show_progress=show_progress_bar)
        manifest = Manifest(
            article_sha256=article.sha256,
            source_id=article.source_id,
            embedding_model=embeddings.model_id,
            splitter_version=SPLITTER_VERSION,
            index_format=INDEX_FORMAT,
            # Named after the build too: in a shared client (a server) builds sit side by side.
            collection=f"article-{article.source_id}-{build_name}",
            sentences=len(sentences),
            passages=len(passages),
            built_at=time.time(),
            tagger=TAGGER_ID,
            key_sentences=tuple(key_sentences(sentences, vectors[: len(sentences)])),
        )
        units = (
            (SENTENCE, [_sentence_record(s) for s in sentences], vectors[: len(sentences)]),
            (PASSAGE, [_passage_record(p) for p in passages], vectors[len(sentences) :]),
        )
        # Closed once written: a process adding an archive would otherwise keep an embedded store open
        # per article (several MB each); the build is opened again to be served.
        with collections:
            for unit, records, unit_vectors in units:
                name = manifest.collection_name(unit)
                collections.create(name)
                ids, texts = [r[0] for r in records], [r[1] for r in records]
                collections.add(name, ids, unit_vectors, [r[2] for r in records], documents=texts)
        self.catalog.publish(build_name, asdict(manifest))
        progress(f"Index ready: {self.describe(build_dir)}")
        self.catalog.remove_old(keep=build_name, prefix=f"article-{article.source_id}-", units=UNITS)
        return build_dir

    def open(self, lock_wait: float = LOCK_WAIT) -> OpenIndex:
        """Open the current build for reading; its store is checked first (``BuildStore.open_gate``)."""
        current = self._current()
        if current is None or current[1] is None:
            msg = f"no index in {self.where}; run `assistant index` to build it"
            raise IndexUnavailable(msg)
        build_dir, manifest = current
        gate = self.store.open_gate(build_dir, manifest.expected_rows(), lock_wait)
        try:
            return self._open_checked(build_dir, manifest, gate)
        except Exception as error:
            logger.info("opening the index store in %s failed: %r", build_dir, error)
            raise IndexUnavailable(self.store.open_failure(build_dir, error)) from None

    def _open_checked(self, build_dir: Path, manifest: Manifest, gate: Gate) -> OpenIndex:
        collections = self.store.collections(build_dir)
        sentence_rows = ["documents", "metadatas", "embeddings"]
        stored = collections.rows(manifest.collection_name(SENTENCE), include=sentence_rows)
        rows = sorted(
            zip(stored["ids"], stored["documents"], stored["metadatas"], stored["embeddings"], strict=True),
            key=lambda row: row[2]["position"],
        )
        sentences = tuple(_sentence_from_record(i, d, m) for i, d, m, _ in rows)
        import numpy as np

        vectors = np.asarray([row[3] for row in rows], dtype=np.float32)
        passages = collections.collection(manifest.collection_name(PASSAGE))
        stored = collections.rows(manifest.collection_name(PASSAGE), include=["documents", "metadatas"])
        passage_rows = tuple(zip(stored["ids"], stored["documents"], stored["metadatas"], strict=True))
        client = collections.client
        return OpenIndex(build_dir, manifest, passages, sentences, vectors, gate, passage_rows, client)


def _optional(**values: str | None) -> dict[str, str]:
    """Chroma metadata cannot hold None: leave such keys out."""
    return {key: value for key, value in values.items() if value is not None}


def _sentence_record(sentence: Sentence) -> tuple[str, str, dict[str, Any]]:
    return (
        sentence.id,
        sentence.text,
        {
            "position": sentence.position,
            "block": sentence.block,
            "start": sentence.start,
            "end": sentence.end,
            "voice": sentence.voice.value,
            "entities": ",".join(sentence.entities),  # Chroma metadata holds scalars only
            **_optional(section=sentence.section, speaker=sentence.speaker),
        },
    )


def _passage_record(passage: Passage) -> tuple[str, str, dict[str, Any]]:
    return (
        passage.id,
        passage.text,
        {
            "start": passage.start,
            "end": passage.end,
            "first_sentence": passage.first_sentence,
            "last_sentence": passage.last_sentence,
            **_optional(section=passage.section),
        },
    )


def _sentence_from_record(sentence_id: str, text: str, metadata: dict[str, Any]) -> Sentence:
    return Sentence(
        id=sentence_id,
        position=metadata["position"],
        block=metadata["block"],
        start=metadata["start"],
        end=metadata["end"],
        text=text,
        section=metadata.get("section"),
        speaker=metadata.get("speaker"),
        voice=Voice(metadata["voice"]),
        entities=tuple(filter(None, metadata.get("entities", "").split(","))),
    )
