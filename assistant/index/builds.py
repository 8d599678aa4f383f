"""The persisted index: a Chroma store of sentences and passages plus a manifest of how it was built.

Layout under ``index_dir``: ``builds/<build>/`` (Chroma files + ``manifest.json``) and ``CURRENT``, a
one-line file naming the active build. A rebuild writes a fresh build folder and then replaces
``CURRENT`` with an atomic rename, so a crash or ``kill -9`` half-way leaves the previous build
answering. A lock file keeps two indexers apart (Chroma's embedded store is not process-safe).
A build counts as fresh only when its store also opens and holds what the manifest says
(``assistant.index.store``), so an emptied or damaged store is rebuilt, never called "up to date".
Where the Chroma collections live (each build's folder, a server, a given client) is the
``BuildStore`` that ``assistant.index.chroma`` picks; the embeddings come from any ``Embedder``.
Where the truth about builds lives (which is current, their manifests, the build lock) is the
``Catalog``: the files above (``FileCatalog``), or, with a Chroma server that workers on several
hosts share, the server itself (``assistant.index.server_catalog``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.article import Article, Passage, Sentence, Voice
from assistant.errors import IndexBusy, IndexUnavailable
from assistant.file_lock import held
from assistant.index.chroma import WRITABLE_FIX, BuildStore, FolderStores, SharedClient
from assistant.index.overview import key_sentences
from assistant.index.server_catalog import ServerCatalog
from assistant.index.store import LOCK_WAIT, Gate
from assistant.ingest.split import SPLITTER_VERSION, split_article
from assistant.ingest.tagging import TAGGER_ID, tag_entities

if TYPE_CHECKING:  # the freshness check (`assistant index` on an unchanged article) needs neither
    import numpy as np

    from assistant.index.embedder import Embedder

SENTENCE, PASSAGE = "sentence", "passage"
# Bump when the stored layout changes; a build of another format is rebuilt.
INDEX_FORMAT = "3"  # 3: the manifest ranks the key sentences (the overview)
KEEP_OLD_BUILDS = 1
Progress = Callable[[str], None]


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


class Catalog(Protocol):
    """Where the truth about builds lives: which one is current, their manifests, the build lock."""

    where: str  # named in messages

    def marker(self) -> object:
        """Changes whenever another build becomes current; cheap enough to ask on every request."""
        ...

    def current(self) -> tuple[str, dict[str, Any] | None] | None:
        """The current build's name and its manifest (None if unreadable), or None if there is none."""
        ...

    def build_path(self, name: str) -> Path:
        """What identifies a build to its ``BuildStore``: its folder, or just its name."""
        ...

    def begin(self, name: str) -> Path:
        """Make room for a new build (its folder, if builds have one); the path's name is the build's."""
        ...

    def abandon(self, build: Path) -> None:
        """Forget a build that ``begin`` made room for but that was never written."""
        ...

    def describe(self, build: Path) -> str:
        """A build as messages name it."""
        ...

    def locked(self, wait_seconds: float, progress: Progress) -> contextlib.AbstractContextManager[None]:
        """Hold the build lock; wait for another build up to ``wait_seconds``, then ``IndexBusy``."""
        ...

    def publish(self, name: str, manifest: dict[str, Any]) -> None:
        """Record the finished build's manifest and make it current, atomically."""
        ...

    def remove_old(self, keep: str, prefix: str) -> None:
        """Delete builds older than ``keep`` and the one before it (whose collections start with
        ``prefix``): a server may still be reading that one."""
        ...


class FileCatalog:
    """``CURRENT``, each build's ``manifest.json`` and a lock file in the index directory: one host."""

    def __init__(self, root: Path, store: BuildStore) -> None:
        self.root = root
        self.store = store
        self.where = repr(str(root))
        self.builds = root / "builds"
        self.current_file = root / "CURRENT"
        self.lock_file = root / ".lock"

    def marker(self) -> tuple[int, int] | None:
        """A stat of ``CURRENT``, which every rebuild replaces."""
        try:
            stat = self.current_file.stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def current(self) -> tuple[str, dict[str, Any] | None] | None:
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise IndexUnavailable(f"cannot read {self.current_file}: {error.strerror}") from error
        manifest_file = self.builds / name / "manifest.json"
        if not manifest_file.is_file():
            return None
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except ValueError:
            manifest = None
        return name, manifest if isinstance(manifest, dict) else None

    def build_path(self, name: str) -> Path:
        return self.builds / name

    def begin(self, name: str) -> Path:
        build_dir = self.builds / name
        try:
            build_dir.mkdir(parents=True)
        except OSError as error:
            msg = f"cannot write the index directory {str(self.root)!r}: {error.strerror}; {WRITABLE_FIX}"
            raise IndexUnavailable(msg) from error
        return build_dir

    def abandon(self, build: Path) -> None:
        shutil.rmtree(build, ignore_errors=True)

    def describe(self, build: Path) -> str:
        return str(build)

    @contextlib.contextmanager
    def locked(self, wait_seconds: float, progress: Progress) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = self.lock_file.open("a+")
        except OSError as error:
            msg = f"cannot write the index directory {str(self.root)!r}: {error.strerror}; {WRITABLE_FIX}"
            raise IndexUnavailable(msg) from error

        def busy() -> IndexBusy:
            msg = f"another process is building the index in {str(self.root)!r}; "
            return IndexBusy(msg + "wait for it to finish and try again")

        def waiting() -> None:
            progress("Another process is building the index; waiting for it…")

        with handle, held(handle, wait_seconds, waiting, busy):
            yield

    def publish(self, name: str, manifest: dict[str, Any]) -> None:
        _write_atomically(self.builds / name / "manifest.json", json.dumps(manifest, indent=2))
        _write_atomically(self.current_file, name + "\n")

    def remove_old(self, keep: str, prefix: str) -> None:
        others = sorted((p for p in self.builds.iterdir() if p.name != keep), reverse=True)
        for old in others[KEEP_OLD_BUILDS:]:
            self.store.remove(old, _collections_of(old))


class IndexDirectory:
    """Builds, finds and opens the index builds; ``store`` says where their collections live
    (default: an embedded Chroma store in each build's folder), ``catalog`` where the truth about
    them does (``root``, or the Chroma server when the collections are on one)."""

    def __init__(self, root: Path, store: BuildStore | None = None, scope: str = "") -> None:
        """``scope`` tells apart several indexes sharing one Chroma server (an article's id, say): the
        same on every host, unlike ``root``; unused for files, where ``root`` already does."""
        self.root = root
        self.store = store or FolderStores()
        self.builds = root / "builds"
        self.current_file = root / "CURRENT"
        self.lock_file = root / ".lock"
        server = isinstance(self.store, SharedClient) and self.store.url
        self.catalog: Catalog = ServerCatalog(self.store, scope) if server else FileCatalog(root, self.store)
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
            client = self.store.client(build_dir)  # an unreachable server fails now, not after embedding
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
        batch = client.get_max_batch_size()
        units = (
            (SENTENCE, [_sentence_record(s) for s in sentences], vectors[: len(sentences)]),
            (PASSAGE, [_passage_record(p) for p in passages], vectors[len(sentences) :]),
        )
        for unit, records, unit_vectors in units:
            collection = client.get_or_create_collection(
                manifest.collection_name(unit), metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
            for first in range(0, len(records), batch):
                chunk = records[first : first + batch]
                collection.upsert(
                    ids=[r[0] for r in chunk],
                    documents=[r[1] for r in chunk],
                    metadatas=[r[2] for r in chunk],
                    embeddings=unit_vectors[first : first + batch],
                )
        self.catalog.publish(build_name, asdict(manifest))
        progress(f"Index ready: {self.describe(build_dir)}")
        self.catalog.remove_old(keep=build_name, prefix=f"article-{article.source_id}-")
        return build_dir

    def open(self, lock_wait: float = LOCK_WAIT) -> OpenIndex:
        """Open the current build for reading; its store is checked first (see ``assistant.index.store``)."""
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
            if isinstance(self.store, SharedClient):
                raise IndexUnavailable(self.store.failure(error)) from None
            msg = f"cannot open the index in {str(build_dir)!r}; rebuild it with `assistant index --rebuild`"
            raise IndexUnavailable(msg) from None

    def _open_checked(self, build_dir: Path, manifest: Manifest, gate: Gate) -> OpenIndex:
        client = self.store.client(build_dir)
        stored = client.get_collection(manifest.collection_name(SENTENCE)).get(
            include=["documents", "metadatas", "embeddings"]
        )
        rows = sorted(
            zip(stored["ids"], stored["documents"], stored["metadatas"], stored["embeddings"], strict=True),
            key=lambda row: row[2]["position"],
        )
        sentences = tuple(_sentence_from_record(i, d, m) for i, d, m, _ in rows)
        import numpy as np

        vectors = np.asarray([row[3] for row in rows], dtype=np.float32)
        passages = client.get_collection(manifest.collection_name(PASSAGE))
        stored = passages.get(include=["documents", "metadatas"])
        passage_rows = tuple(zip(stored["ids"], stored["documents"], stored["metadatas"], strict=True))
        return OpenIndex(build_dir, manifest, passages, sentences, vectors, gate, passage_rows, client)


def _collections_of(build_dir: Path) -> list[str]:
    """The collections an old build's manifest names (none, if it never got one)."""
    try:
        manifest = Manifest(**json.loads((build_dir / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return []
    return list(manifest.expected_rows())


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


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
