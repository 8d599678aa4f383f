"""The library on a real ``chroma run``: a folder library moved in, and the server's data backed up and
served from a copy elsewhere.

``HashingEmbedder`` embeds: the tests are about where the library lives, not how well answers read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import AssistantError
from assistant.ingest.parse import load_article
from assistant.library import Library, Outcome
from assistant.library.catalog import LibraryCatalog
from assistant.library.entry import LibraryEntry
from assistant.library.migrate import migrate
from assistant.library.shelf import Shelf
from assistant.pipeline import Assistant
from assistant.settings import DEFAULT_ARTICLE, Settings
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent / "data"
FILES = ("riverside-park.html", "lakeshore-birds.md")


def _moved(folder: LibraryCatalog, target: Library) -> dict[str, str]:
    outcomes: dict[str, str] = {}

    def done(entry: LibraryEntry, outcome: Outcome | AssistantError) -> None:
        outcomes[entry.id] = outcome if isinstance(outcome, Outcome) else f"error: {outcome}"

    migrate(folder, target, done)
    return outcomes


def test_a_folder_library_moves_into_the_server_as_it_is(chroma: ChromaServer, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    local = Library(Settings(index_dir=tmp_path / "local"), embeddings=embedder)
    entries = [local.add(DATA / name).entry for name in FILES]
    server = Library(Settings(index_dir=tmp_path / "host", chroma_url=chroma.url), embeddings=embedder)

    assert _moved(local.catalog, server) == {e.id: Outcome.ADDED for e in entries}
    assert server.entries() == sorted(entries, key=lambda e: e.id)  # ids, titles, times: as they were
    for entry in entries:
        assert load_article(server.article_path(entry.id)).sha256 == entry.text_sha256
        manifest = server.indexes.directory(entry.id).current_manifest()
        assert manifest is not None and manifest.article_sha256 == entry.text_sha256
    assert server.assistant(entries[0].id).ask("How many acres does the park plan set aside?").citations
    assert local.entries() == sorted(entries, key=lambda e: e.id)  # the folder is only read

    assert _moved(local.catalog, server) == {e.id: Outcome.UNCHANGED for e in entries}  # resumes
    other = Library(Settings(index_dir=tmp_path / "other"), embeddings=embedder)
    renamed = tmp_path / "riverside-park.md"
    renamed.write_text("# Another park\n\nBy Someone Else\n\nA different park was planned.\n", "utf-8")
    clash = other.add(renamed).entry
    assert clash.id == entries[0].id
    [(_, refused)] = _moved(other.catalog, server).items()
    assert refused.startswith("error: ") and "already has an article with this id" in refused
    assert server.entry(clash.id) == entries[0]


def test_migrate_library_needs_a_server_and_says_so_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate-library"], env={"ASSISTANT_INDEX_DIR": str(tmp_path)})
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: assistant migrate-library moves a folder library into a Chroma server")


def test_a_copy_of_the_servers_data_serves_the_library_elsewhere(
    chroma: ChromaServer, tmp_path: Path, reranker
) -> None:
    """Backup and restore as README describes it: stop the server, copy its --path folder, start a
    server on the copy (another host); a worker there with an empty index directory answers."""
    embedder = HashingEmbedder()
    settings = Settings(index_dir=tmp_path / "builder", chroma_url=chroma.url)
    Assistant(settings, embeddings=embedder, reranker=reranker).build_index()
    park = Library(settings, embeddings=embedder).add(DATA / FILES[0]).entry

    chroma.stop()
    try:
        backup = tmp_path / "backup"
        shutil.copytree(chroma.data, backup)
    finally:
        chroma.start()
    restored = ChromaServer(backup).start()
    try:
        elsewhere = Settings(
            index_dir=tmp_path / "elsewhere", chroma_url=restored.url, article_path=DEFAULT_ARTICLE
        )
        shelf = Shelf(Assistant(elsewhere, embeddings=embedder, reranker=reranker))
        assert park.id in shelf.ids()
        answer = shelf.scoped(park.id).assistant.ask("How many acres does the park plan set aside?")
        text = load_article(shelf.library.article_path(park.id)).text
        assert answer.citations
        assert all(text[c.start : c.end] == c.text for c in answer.citations)
    finally:
        restored.stop()
