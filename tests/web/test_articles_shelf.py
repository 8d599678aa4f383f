"""The shelf's ids and its cache of library assistants, in process.

Indexes are built with ``tests/index/fakes.py``'s ``HashingEmbedder``: these tests are about which id
names which article and when the library is read again, not about answers (``test_articles.py`` asks).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.library import Library
from assistant.library.errors import UnknownArticle
from assistant.library.shelf import AcrossArticlesNotYet, Shelf
from assistant.settings import DEFAULT_ARTICLE, Settings
from tests.index.fakes import HashingEmbedder

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"
SEED_ID = "henningsen-2017-iran-missile-strike"


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def default(settings: Settings, embedder: HashingEmbedder, assistant: Assistant) -> Assistant:
    """The seed article, not opened (the shelf never opens the default one); the session's reranker."""
    return Assistant(settings, embeddings=embedder, reranker=assistant.reranker)


@pytest.fixture
def library(settings: Settings, embedder: HashingEmbedder, default: Assistant) -> Library:
    return Library(settings, embedder, default.reranker)


def test_the_configured_article_in_the_library_is_listed_once_under_its_library_id(
    tmp_path: Path, default: Assistant, library: Library
) -> None:
    copy = tmp_path / "seed-copy.txt"
    shutil.copy(DEFAULT_ARTICLE, copy)
    library.add(copy)
    library.add(ARTICLES / "lighthouse.txt")
    shelf = Shelf(default, library)
    assert shelf.default_id == "seed-copy"
    assert shelf.ids() == ["seed-copy", "lighthouse"]
    assert shelf.scoped("seed-copy").assistant is default
    assert [(a.id, a.source, a.default) for a in shelf.articles()] == [
        ("seed-copy", "configured", True),
        ("lighthouse", "library", False),
    ]


def test_a_library_article_with_the_seed_slug_makes_the_default_id_unique(
    tmp_path: Path, default: Assistant, library: Library
) -> None:
    other = tmp_path / f"{SEED_ID}.txt"
    shutil.copy(ARTICLES / "lighthouse.txt", other)
    library.add(other)
    shelf = Shelf(default, library)
    assert shelf.default_id == f"{SEED_ID}-2"
    assert shelf.ids() == [f"{SEED_ID}-2", SEED_ID]
    assert shelf.scoped(SEED_ID).source.title == "Harbourtown Lighthouse"


def test_library_assistants_are_made_once_per_version_and_dropped_when_removed(
    default: Assistant, library: Library
) -> None:
    shelf = Shelf(default, library)
    assert shelf.ids() == [SEED_ID]
    with pytest.raises(UnknownArticle, match="no article 'lighthouse'.*known ids: henningsen"):
        shelf.scoped("lighthouse")
    library.add(ARTICLES / "lighthouse.txt")
    first = shelf.scoped("lighthouse")
    assert first.assistant is shelf.scoped("lighthouse").assistant  # cached
    assert first.assistant.embeddings is default.embeddings and first.assistant.reranker is default.reranker
    library.remove("lighthouse")
    with pytest.raises(UnknownArticle):
        shelf.scoped("lighthouse")
    library.add(ARTICLES / "lighthouse.txt")
    assert shelf.scoped("lighthouse").assistant is not first.assistant  # a new version, a new assistant


def test_all_is_only_for_surfaces_that_answer_across(default: Assistant, library: Library) -> None:
    with pytest.raises(AcrossArticlesNotYet, match="not available here"):
        Shelf(default, library).scoped("all")
