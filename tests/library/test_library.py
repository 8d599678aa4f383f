"""The library in process: add, no-op re-add, replace, remove, and what a failure mid-way leaves.

The indexes are real (Chroma on disk, built by ``Assistant.build_index``) but embedded with
``tests/index/fakes.py``'s ``HashingEmbedder``: these tests are about the library's files and their
consistency, not about how well the answers read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.index.builds import IndexDirectory
from assistant.ingest.parse import load_article
from assistant.library import Library, LibraryBusy, Outcome, UnknownArticle
from assistant.library.catalog import LibraryCatalog
from assistant.library.slugs import RESERVED, unique_slug
from assistant.settings import DEFAULT_ARTICLE, Settings
from tests.index.fakes import HashingEmbedder

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def library(settings: Settings, embedder: HashingEmbedder) -> Library:
    return Library(settings, embeddings=embedder)


@pytest.fixture
def article_copy(tmp_path: Path) -> Path:
    """A Markdown article in a folder of its own, free to change."""
    folder = tmp_path / "desk"
    folder.mkdir()
    return Path(shutil.copy(DATA / "lakeshore-birds.md", folder / "lakeshore-birds.md"))


def _versions(library: Library) -> list[str]:
    return sorted(p.name for p in library.catalog.versions.iterdir())


def test_added_article_has_its_text_entry_and_own_index(library: Library, settings: Settings) -> None:
    result = library.add(DATA / "riverside-park.html")
    entry = result.entry
    assert result.outcome is Outcome.ADDED
    assert entry.id == "riverside-park"
    assert (entry.title, entry.byline, entry.date) == (
        "Council Approves Riverside Park After Two-Year Debate",
        "Maria Lopez",
        "2024-03-12",
    )
    assert entry.source_path == str((DATA / "riverside-park.html").resolve())
    assert entry.source_format == "html"
    assert library.article_path("riverside-park") == settings.library_dir / "riverside-park" / "article.txt"
    article = load_article(library.article_path("riverside-park"))
    assert article.sha256 == entry.text_sha256
    assert entry.chars == len(article.text)
    assert library.index_dir("riverside-park") == settings.index_dir / "articles" / "riverside-park"
    manifest = IndexDirectory(library.index_dir("riverside-park")).current_manifest()
    assert manifest is not None
    assert (manifest.article_sha256, manifest.sentences) == (entry.text_sha256, entry.sentences)
    assert library.entries() == [entry]
    assert library.entry("riverside-park") == entry


def test_answers_from_a_library_article_cite_its_text(library: Library) -> None:
    library.add(DATA / "riverside-park.html")
    assistant = library.assistant("riverside-park")
    assert assistant.embeddings is library.indexes.embeddings  # one model for every article
    answer = assistant.ask("How many acres does the park plan set aside?")
    assert answer.citations
    article = load_article(library.article_path("riverside-park"))  # as for the seed: the parsed file
    for citation in answer.citations:
        assert article.text[citation.start : citation.end] == citation.text


def test_readding_an_unchanged_file_changes_nothing(library: Library) -> None:
    first = library.add(DATA / "lakeshore-birds.md").entry
    build = IndexDirectory(library.index_dir(first.id)).current_build()
    versions = _versions(library)
    again = library.add(DATA / "lakeshore-birds.md")
    assert again.outcome is Outcome.UNCHANGED
    assert again.entry == first
    assert IndexDirectory(library.index_dir(first.id)).current_build() == build
    assert _versions(library) == versions


def test_changed_file_replaces_the_old_version_and_keeps_its_id(library: Library, article_copy: Path) -> None:
    first = library.add(article_copy).entry
    article_copy.write_text(
        article_copy.read_text(encoding="utf-8").replace("212 species", "214 species"), encoding="utf-8"
    )
    result = library.add(article_copy)
    assert result.outcome is Outcome.UPDATED
    updated = result.entry
    assert updated.id == first.id
    assert updated.added_at == first.added_at
    assert updated.text_sha256 != first.text_sha256
    assert "214 species" in library.article_path(first.id).read_text(encoding="utf-8")
    manifest = IndexDirectory(library.index_dir(first.id)).current_manifest()
    assert manifest is not None and manifest.article_sha256 == updated.text_sha256
    assert len(_versions(library)) == 1  # the old version is gone once the new one is current
    assert [e.id for e in library.entries()] == [first.id]


def test_same_name_from_another_folder_gets_its_own_id(library: Library, article_copy: Path) -> None:
    ids = [library.add(DATA / "lakeshore-birds.md").entry.id, library.add(article_copy).entry.id]
    assert ids == ["lakeshore-birds", "lakeshore-birds-2"]


def _change(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("212 species", "215 species"), encoding="utf-8")


def _assert_still_first_version(library: Library, first_sha: str) -> None:
    entry = library.entry("lakeshore-birds")
    assert entry.text_sha256 == first_sha
    assert load_article(library.article_path("lakeshore-birds")).sha256 == first_sha
    manifest = IndexDirectory(library.index_dir("lakeshore-birds")).current_manifest()
    assert manifest is not None and manifest.article_sha256 == first_sha
    assert len(_versions(library)) == 1


def test_failure_after_the_new_index_leaves_the_old_version_whole(
    library: Library, article_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new version's text and index are written, then writing its entry fails (a full disk):
    the article, its entry and its index are the old ones, and nothing of the new one is left."""
    first = library.add(article_copy).entry
    _change(article_copy)

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LibraryCatalog, "write_entry", disk_full)
    with pytest.raises(OSError, match="No space left"):
        library.add(article_copy)
    _assert_still_first_version(library, first.text_sha256)
    monkeypatch.undo()
    assert library.add(article_copy).outcome is Outcome.UPDATED  # and the next try goes through


class _FailingEmbedder(HashingEmbedder):
    def embed_many(self, texts: list[str], show_progress: bool = False):  # noqa: ANN201
        raise KeyboardInterrupt  # Ctrl-C half-way through embedding


def test_interrupted_indexing_leaves_the_old_version_whole(
    settings: Settings, library: Library, article_copy: Path
) -> None:
    first = library.add(article_copy).entry
    _change(article_copy)
    with pytest.raises(KeyboardInterrupt):
        Library(settings, embeddings=_FailingEmbedder()).add(article_copy)
    _assert_still_first_version(library, first.text_sha256)


def test_leftovers_of_a_crash_are_cleaned_up(library: Library) -> None:
    """A version written but never published (``kill -9`` before the link was replaced) is deleted the
    next time the library changes; readers never saw it."""
    library.add(DATA / "lakeshore-birds.md")
    orphan = library.catalog.write_version("lakeshore-birds", "A crash left this.\n\nNever published.")
    stray_link = library.root / ".lakeshore-birds.0123.link"
    stray_link.symlink_to(orphan.relative_to(library.root))
    assert library.entry("lakeshore-birds").title.startswith("Volunteers Count")
    library.add(DATA / "riverside-park.html")
    assert orphan.name not in _versions(library)
    assert len(_versions(library)) == 2
    assert not stray_link.is_symlink()


def test_remove_deletes_the_article_and_its_index(library: Library) -> None:
    library.add(DATA / "lakeshore-birds.md")
    library.add(DATA / "riverside-park.html")
    index_dir = library.index_dir("riverside-park")
    removed = library.remove("riverside-park")
    assert removed.id == "riverside-park"
    assert [e.id for e in library.entries()] == ["lakeshore-birds"]
    assert not index_dir.exists()
    assert not (library.root / "riverside-park").exists()
    assert len(_versions(library)) == 1
    with pytest.raises(UnknownArticle):
        library.article_path("riverside-park")


@pytest.mark.parametrize("article_id", ["no-such-article", "../index", "Lakeshore-Birds", ""])
def test_unknown_id_names_the_ids_there_are(library: Library, article_id: str) -> None:
    library.add(DATA / "lakeshore-birds.md")
    with pytest.raises(UnknownArticle, match=r"the ids there are: lakeshore-birds$"):
        library.remove(article_id)
    assert [e.id for e in library.entries()] == ["lakeshore-birds"]


def test_empty_library_says_how_to_add(library: Library) -> None:
    assert library.entries() == []
    with pytest.raises(UnknownArticle, match="assistant add FILE"):
        library.entry("anything")


def test_a_second_writer_waits_for_the_lock_then_gives_up(
    settings: Settings, embedder: HashingEmbedder
) -> None:
    hurried = Library(settings.model_copy(update={"index_lock_timeout": 0.0}), embeddings=embedder)
    messages: list[str] = []
    with Library(settings, embeddings=embedder).catalog.locked(0, messages.append):
        with pytest.raises(LibraryBusy, match="another process is adding or removing articles"):
            hurried.add(DATA / "lakeshore-birds.md")
    assert hurried.entries() == []


def test_seed_article_is_still_the_default(
    library: Library, settings: Settings, embedder: HashingEmbedder
) -> None:
    """The library is opt-in: with articles in it, the default assistant answers from the seed article
    and builds its index where it always did, beside (never inside) the library's indexes."""
    library.add(DATA / "riverside-park.html")
    assistant = Assistant(settings, embeddings=embedder)
    assert settings.article_path == DEFAULT_ARTICLE
    assert assistant.article == load_article(DEFAULT_ARTICLE)
    assert assistant.build_index()
    assert assistant.index_directory.root == settings.index_dir
    assert assistant.ask("Who fired the missiles?").citations
    assert library.entry("riverside-park").sentences > 0
    assert IndexDirectory(library.index_dir("riverside-park")).current_manifest() is not None


@pytest.mark.parametrize("name", ["all.md", "article-assistant.txt", "ALL.html"])
def test_names_the_apis_reserve_are_never_an_articles_id(name: str) -> None:
    slug = unique_slug(name.rsplit(".", 1)[0], taken=set())
    assert slug not in RESERVED and slug.endswith("-2")
