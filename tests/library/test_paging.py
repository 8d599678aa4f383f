"""Large libraries are listed a page at a time: the paging arithmetic, the shelf's pages, and its
library state (what ``/healthz`` says).

Fast: the library's indexes are built with ``tests/index/fakes.py``'s ``HashingEmbedder`` (listing reads
entries only); ``tests/web/test_articles.py`` walks the pages over HTTP with the real models, and
``tests/library/test_cli_paging.py`` with ``assistant list``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.library import Library
from assistant.library.errors import InvalidPage
from assistant.library.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, count
from assistant.library.shelf import Shelf
from assistant.settings import DEFAULT_ARTICLE, Settings
from tests.index.fakes import HashingEmbedder

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"
SEED_ID = "henningsen-2017-iran-missile-strike"
# Five library articles: the three test articles and two copies under other names (ids by file name).
FILES = {
    "flood-barrier.txt": "flood-barrier.txt",
    "lighthouse.txt": "lighthouse.txt",
    "night-trains.md": "night-trains.md",
    "beacon.txt": "lighthouse.txt",
    "overnight.md": "night-trains.md",
}
IDS = ["beacon", "flood-barrier", "lighthouse", "night-trains", "overnight"]


def walk_pages(read: Callable[[int], tuple[list[str], int | None]]) -> list[str]:
    """Every item of a paged listing, following ``next_offset`` from 0 until it is None."""
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        items, offset = read(offset)
        assert items, "a page before the last is never empty"
        seen.extend(items)
    return seen


# -- the arithmetic --


@pytest.mark.parametrize("total", range(0, 8))
@pytest.mark.parametrize("limit", range(1, 9))
def test_walking_the_pages_takes_every_item_once_in_order(total: int, limit: int) -> None:
    items = list(range(total))
    pages: list[Page] = []

    def read(offset: int) -> tuple[list[str], int | None]:
        page = Page(total, offset, limit)
        pages.append(page)
        return [str(i) for i in page.take(items)], page.next_offset

    if total == 0:
        page = Page(0, 0, limit)
        assert (page.take(items), page.next_offset, page.start, page.end) == ([], None, 0, 0)
        return
    assert walk_pages(read) == [str(i) for i in items]
    assert len(pages) == -(-total // limit)  # ceil: no empty last page
    assert all(p.end - p.start == limit for p in pages[:-1])


def test_an_offset_past_the_end_is_an_empty_last_page() -> None:
    for offset in (5, 6, 10**30):
        page = Page(5, offset, 2)
        assert (page.take(range(5)), page.next_offset, page.start, page.end) == ([], None, 5, 5)
    assert Page(5, 4, 2).take("abcde") == ["e"] and Page(5, 4, 2).next_offset is None
    assert Page(5, 3, 2).next_offset is None and Page(5, 2, 2).next_offset == 4


@pytest.mark.parametrize(("total", "offset", "limit"), [(-1, 0, 1), (3, -1, 1), (3, 0, 0)])
def test_a_page_that_cannot_be_is_a_programming_error(total: int, offset: int, limit: int) -> None:
    with pytest.raises(ValueError, match="a page needs"):
        Page(total, offset, limit)


def test_count_takes_whole_numbers_in_range() -> None:
    assert count("limit", "7", 1, MAX_LIMIT) == 7 and count("offset", 0, 0) == 0
    assert count("limit", str(MAX_LIMIT), 1, MAX_LIMIT) == MAX_LIMIT
    assert count("--offset", "123456789012345678901234567890", 0) == 123456789012345678901234567890


@pytest.mark.parametrize(
    ("given", "maximum", "message"),
    [
        ("0", MAX_LIMIT, "limit takes a whole number from 1 to 1,000; got '0'"),
        ("1001", MAX_LIMIT, "limit takes a whole number from 1 to 1,000; got '1001'"),
        ("-3", None, "limit takes a whole number of at least 1; got '-3'"),
        ("abc", None, "limit takes a whole number of at least 1; got 'abc'"),
        ("2.5", None, "got '2.5'"),
        ("", None, "got ''"),
        (True, None, "got True"),
        pytest.param("9" * 100, MAX_LIMIT, f"got '{'9' * 38}…", id="long"),
    ],
)
def test_count_refuses_what_is_not_a_whole_number_in_range(
    given: object, maximum: int | None, message: str
) -> None:
    with pytest.raises(InvalidPage) as refused:
        count("limit", given, 1, maximum)
    assert message in str(refused.value)
    assert InvalidPage.http_status == 422


# -- the shelf and the library --


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("desk")
    for name, source in FILES.items():
        shutil.copy(ARTICLES / source, folder / name)
    return folder


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("paging") / "index")


@pytest.fixture(scope="module")
def library(settings: Settings, embedder: HashingEmbedder, desk: Path) -> Library:
    """The five articles, added once for the module: the tests below only read it."""
    library = Library(settings, embedder)
    for name in FILES:
        library.add(desk / name)
    return library


@pytest.fixture(scope="module")
def shelf(settings: Settings, embedder: HashingEmbedder, library: Library) -> Shelf:
    """The seed article (never opened: listing needs no index) and the library."""
    return Shelf(Assistant(settings, embeddings=embedder), library)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6, DEFAULT_LIMIT])
def test_shelf_pages_walk_the_articles_once_with_the_default_first(shelf: Shelf, limit: int) -> None:
    listed = shelf.articles()
    assert [a.id for a in listed] == [SEED_ID, *IDS]

    def read(offset: int) -> tuple[list[str], int | None]:
        page = shelf.page(offset, limit)
        assert (page.page.total, page.page.offset, page.page.limit) == (6, offset, limit)
        assert list(page.articles) == listed[offset : offset + limit]  # the same articles, made alike
        return [a.id for a in page.articles], page.page.next_offset

    walked = walk_pages(read)
    assert walked == [a.id for a in listed] and len(set(walked)) == len(walked)
    assert shelf.page(0, limit).articles[0].default is True
    assert not any(a.default for a in shelf.page(1, limit).articles)


def test_a_shelf_page_past_the_end_is_empty_and_says_the_total(shelf: Shelf) -> None:
    page = shelf.page(6, 10)
    assert (page.articles, page.page.total, page.page.next_offset) == ((), 6, None)


def test_the_configured_article_in_the_library_is_counted_and_listed_once(
    tmp_path: Path, embedder: HashingEmbedder, desk: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    library = Library(settings, embedder)
    library.add(Path(shutil.copy(DEFAULT_ARTICLE, tmp_path / "seed-copy.txt")))
    library.add(desk / "lighthouse.txt")
    shelf = Shelf(Assistant(settings, embeddings=embedder), library)
    assert [a.id for a in shelf.page(0, 1).articles] == ["seed-copy"]
    assert [a.id for a in shelf.page(1, 1).articles] == ["lighthouse"]
    assert shelf.page(1, 1).page.next_offset is None
    assert shelf.library_state().articles == 2 == len(shelf.articles())


def test_library_state_counts_the_articles_and_follows_each_change(
    tmp_path: Path, embedder: HashingEmbedder, desk: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    library = Library(settings, embedder)
    shelf = Shelf(Assistant(settings, embeddings=embedder), library)
    never = shelf.library_state()
    assert (never.articles, never.changed_at) == (1, None)  # no library folder yet: it never changed

    before = datetime.now(UTC) - timedelta(seconds=1)  # a file's time may lag the clock a little
    library.add(desk / "lighthouse.txt")
    added = shelf.library_state()
    assert added.articles == 2 and added.changed_at is not None
    assert added.changed_at.tzinfo == UTC and before <= added.changed_at <= datetime.now(UTC)
    assert added.changed_at == library.changed_at()

    library.add(desk / "lighthouse.txt")  # unchanged: the folder is left alone
    assert shelf.library_state() == added

    library.remove("lighthouse")
    removed = shelf.library_state()
    assert removed.articles == 1 and removed.changed_at is not None and removed.changed_at >= added.changed_at
