"""The served pair (article file and the build made from it), without a model or files for Chroma:
opened and built lazily, followed when another process rebuilds from the same article file, kept
(and the refusal said) when the new build is of another article, tried again when something changes.

The real index code runs (a fake embedder, an in-memory Chroma client); ``assemble`` stands in for
the stages, which ``tests/retrieve/test_stage.py`` and ``tests/test_fast_pipeline.py`` test."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.article import Article
from assistant.errors import IndexUnavailable
from assistant.index import served as served_module
from assistant.index.builds import IndexDirectory, OpenIndex, silent
from assistant.index.served import ServedIndex, read_article
from assistant.index.stores.factory import chroma_store
from assistant.ingest.parse import load_article
from assistant.settings import Settings
from tests.index.fakes import HashingEmbedder

LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"
ORIGINAL = LIGHTHOUSE.read_text(encoding="utf-8")  # short: a build takes a fraction of a second


def _edition(title: str) -> str:
    return ORIGINAL.replace(load_article(LIGHTHOUSE).title, title, 1)


class Stages:
    """What ``assemble`` builds: records the pair it was built for."""

    def __init__(self, article: Article, index: OpenIndex) -> None:
        self.article, self.index = article, index


@pytest.fixture()
def client() -> chromadb.api.ClientAPI:
    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture()
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ORIGINAL, encoding="utf-8")
    return path


def _served(tmp_path: Path, article_file: Path, client, assembled: list | None = None) -> ServedIndex[Stages]:
    settings = Settings(index_dir=tmp_path / "index", article_path=article_file)
    directory = IndexDirectory(settings.index_dir, chroma_store(client=client))

    def assemble(article: Article, index: OpenIndex) -> Stages:
        stages = Stages(article, index)
        if assembled is not None:
            assembled.append(stages)
        return stages

    return ServedIndex(read_article(settings), directory, settings, HashingEmbedder(), assemble)


def _index_in_another_process(served: ServedIndex, article_file: Path, client) -> None:
    """Another indexer: its own directory object on the same folder and store, another article file."""
    other = IndexDirectory(served.directory.root, chroma_store(client=client))
    other.build(load_article(article_file), HashingEmbedder(), silent)


def test_first_use_builds_opens_and_assembles_the_pair_once(tmp_path, article_file, client):
    assembled: list[Stages] = []
    served = _served(tmp_path, article_file, client, assembled)
    assert served.current is None and served.directory.current_build() is None

    pair = served.get()
    assert served.get() is pair and served.current is pair
    assert [stages.index for stages in assembled] == [pair.index] and pair.stages is assembled[0]
    assert pair.article.sha256 == pair.index.manifest.article_sha256 == served.article.sha256
    assert served.refusal is None


def test_a_rebuild_from_the_same_article_file_is_followed(tmp_path, article_file, client):
    served = _served(tmp_path, article_file, client)
    first = served.get()
    article_file.write_text(_edition("A Second Edition of the Article"), encoding="utf-8")
    _index_in_another_process(served, article_file, client)

    now = served.get()
    assert now is not first and now.article.title == "A Second Edition of the Article"
    assert served.article is now.article and now.stages.article is now.article
    assert now.index.build_dir != first.index.build_dir and served.refusal is None


def test_a_build_of_another_article_keeps_the_previous_pair_and_says_why(
    tmp_path, article_file, client, caplog
):
    served = _served(tmp_path, article_file, client)
    first = served.get()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(_edition("Another Article Altogether"), encoding="utf-8")
    _index_in_another_process(served, elsewhere, client)

    with caplog.at_level(logging.WARNING, logger="assistant.index.served"):
        assert served.get() is first and served.get() is first
    assert served.article is first.article
    new = load_article(elsewhere).sha256[:12]
    assert served.refusal == (
        f"the index in {served.directory.where} was built from another article (sha256 {new}) than "
        f"{str(article_file)!r} holds now (sha256 {first.article.sha256[:12]}); run `assistant index` "
        f"to index that file; still serving the previous index and article ({first.index.build_dir.name})"
    )
    assert caplog.text.count("not switching to the new index") == 1  # said once, not on every request

    # The article file now is the one indexed: the pair follows, and the refusal is gone.
    article_file.write_text(elsewhere.read_text(encoding="utf-8"), encoding="utf-8")
    now = served.get()
    assert now.article.title == "Another Article Altogether" and served.refusal is None


def test_a_refused_build_is_tried_again_when_the_article_file_changes_or_time_passes(
    tmp_path, article_file, client, monkeypatch
):
    now = [100.0]
    monkeypatch.setattr(served_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    served = _served(tmp_path, article_file, client)
    first = served.get()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(_edition("Another Article Altogether"), encoding="utf-8")
    _index_in_another_process(served, elsewhere, client)
    assert served.get() is first and served.refusal is not None

    tries = []
    manifest = served.directory.current_manifest
    monkeypatch.setattr(served.directory, "current_manifest", lambda: tries.append(now[0]) or manifest())
    now[0] += served_module.REFUSED_RETRY_SECONDS - 1
    served.get()
    assert tries == []  # the same CURRENT and article file, and too soon: not tried again
    now[0] += 1
    served.get()
    served.get()
    assert tries == [now[0]] and served.refusal is not None  # tried once more, refused again

    article_file.write_text(elsewhere.read_text(encoding="utf-8"), encoding="utf-8")
    assert served.get().article.title == "Another Article Altogether"  # tried at once, and followed
    assert len(tries) == 2 and served.refusal is None


def test_a_missing_build_is_refused_naming_the_fix(tmp_path, article_file, client):
    served = _served(tmp_path, article_file, client)
    first = served.get()
    (served.directory.root / "CURRENT").write_text("20990101T000000-00000000\n", encoding="utf-8")
    assert served.get() is first
    assert served.refusal is not None and "still serving the previous index and article" in served.refusal


def test_release_lets_go_of_the_pair_and_the_next_use_opens_it_again(tmp_path, article_file, client):
    assembled: list[Stages] = []
    served = _served(tmp_path, article_file, client, assembled)
    first = served.get()
    assert served.release() is first and served.current is None and served.release() is None
    again = served.get()
    assert again is not first and len(assembled) == 2 and again.index.build_dir == first.index.build_dir


def test_a_build_here_is_served_from_the_next_use(tmp_path, article_file, client):
    served = _served(tmp_path, article_file, client)
    first = served.get()
    assert served.build() is False  # fresh
    article_file.write_text(_edition("Rebuilt Here"), encoding="utf-8")
    assert served.build() is True
    assert served.current is None and served.article.title == "Rebuilt Here"
    assert served.get().article.title == "Rebuilt Here" and served.get() is not first


def test_no_build_at_all_is_unavailable_naming_the_command(tmp_path, article_file, client, monkeypatch):
    served = _served(tmp_path, article_file, client)
    monkeypatch.setattr(served, "build", lambda **_: False)  # as if another process removed it meanwhile
    with pytest.raises(IndexUnavailable, match="run `assistant index` to build it"):
        served.get()
