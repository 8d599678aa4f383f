"""The article router in an embedded store: builds kept in step with the library, reused by a file copy
(or written anew when the copy fails), and safe when two reconcile at once.

``HashingEmbedder`` embeds: these tests are about the router's rows and builds, not about answers.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant.library import Library
from assistant.library.router import FOLDER, ArticleRouter
from assistant.settings import Settings
from tests.index.fakes import HashingEmbedder

DATA = Path(__file__).resolve().parent / "data"
ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(Settings(index_dir=tmp_path / "index"), embeddings=HashingEmbedder())


def _rows(router: ArticleRouter) -> list[str]:
    current = router.catalog.current()
    assert current is not None and current[1] is not None
    manifest = current[1]
    client = router.store.client(router.catalog.build_path(manifest["build"]))
    return sorted(client.get_collection(f"{manifest['collection']}-sentences").get(include=[])["ids"])


def test_router_follows_adds_updates_and_removes(library: Library, tmp_path: Path) -> None:
    birds = library.add(DATA / "lakeshore-birds.md").entry
    lighthouse = library.add(ARTICLES / "lighthouse.txt").entry
    router = ArticleRouter(library.indexes)
    assert (library.indexes.root / FOLDER / "CURRENT").is_file()
    assert router.routed() == {birds.id: birds.text_sha256, lighthouse.id: lighthouse.text_sha256}
    rows = _rows(router)
    assert len(rows) == birds.sentences + lighthouse.sentences
    assert router.reconcile(library.entries()) is False and _rows(router) == rows  # twice: same rows

    question = HashingEmbedder().embed_query_vector("When was the Harbourtown lighthouse automated?")
    assert router.candidates(question)[0] == lighthouse.id
    library.remove(lighthouse.id)
    assert router.candidates(question) == [birds.id]
    assert _rows(router) == [r for r in rows if r.startswith(f"{birds.id}:")]


def test_a_failed_copy_is_written_anew(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    birds = library.add(DATA / "lakeshore-birds.md").entry

    def broken(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("assistant.index.stores.embedded.shutil.copytree", broken)
    lighthouse = library.add(ARTICLES / "lighthouse.txt").entry
    router = ArticleRouter(library.indexes)
    assert set(router.routed()) == {birds.id, lighthouse.id}
    assert len(_rows(router)) == birds.sentences + lighthouse.sentences


def test_two_reconciling_at_once_make_one_build(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Library, "_reroute", lambda self: None)  # the library leaves the router alone
    for path in (DATA / "lakeshore-birds.md", ARTICLES / "lighthouse.txt", ARTICLES / "flood-barrier.txt"):
        library.add(path)
    entries = library.entries()
    made: list[bool] = []
    threads = [
        threading.Thread(target=lambda: made.append(ArticleRouter(library.indexes).reconcile(entries)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(made) == [False, True]
    router = ArticleRouter(library.indexes)
    assert set(router.routed()) == {e.id for e in entries}
    assert len(_rows(router)) == sum(e.sentences for e in entries)
