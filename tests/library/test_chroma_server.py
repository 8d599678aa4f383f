"""The library with its indexes on a real ``chroma run`` server (``ASSISTANT_CHROMA_URL``): each
article's index is a scope of its own there (pointer and lock), so articles never share a build.

``HashingEmbedder`` embeds: the test is about where the builds live and which is current.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.library import Library, Outcome
from assistant.library.server_catalog import ServerLibraryCatalog
from assistant.settings import Settings
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent / "data"


def test_articles_keep_their_own_builds_on_one_server(
    chroma: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma.url)
    library = Library(settings, embeddings=HashingEmbedder())
    draft = Path(shutil.copy(DATA / "lakeshore-birds.md", tmp_path / "lakeshore-birds.md"))
    birds = library.add(draft).entry
    park = library.add(DATA / "riverside-park.html").entry
    for entry in (birds, park):
        manifest = library.indexes.directory(entry.id).current_manifest()
        assert manifest is not None and manifest.article_sha256 == entry.text_sha256
    assert library.add(draft).outcome is Outcome.UNCHANGED

    draft.write_text(draft.read_text(encoding="utf-8").replace("212 species", "216 species"), "utf-8")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(ServerLibraryCatalog, "publish", disk_full)
        with pytest.raises(OSError):
            library.add(draft)
    manifest = library.indexes.directory(birds.id).current_manifest()
    assert manifest is not None and manifest.article_sha256 == birds.text_sha256  # the old build again

    updated = library.add(draft)
    assert updated.outcome is Outcome.UPDATED
    manifest = library.indexes.directory(birds.id).current_manifest()
    assert manifest is not None and manifest.article_sha256 == updated.entry.text_sha256
    assert library.assistant(park.id).ask("How many acres does the park plan set aside?").citations

    library.remove(park.id)
    assert library.indexes.directory(park.id).current_manifest() is None
    assert [e.id for e in library.entries()] == [birds.id]
