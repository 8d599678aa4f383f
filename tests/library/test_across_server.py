"""The article router on a real ``chroma run`` server (``ASSISTANT_CHROMA_URL``): its builds, pointer and
lock sit beside the articles' own under a scope no article id can take, and every process sharing the
server searches the same current build.

``HashingEmbedder`` embeds: the test is about where the router's rows live and which build is current,
not how well answers read (``test_across.py`` asks real questions).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.library import Library
from assistant.library.router import FOLDER, ArticleRouter
from assistant.library.slugs import is_id
from assistant.settings import Settings
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent / "data"


def test_router_on_a_server_follows_adds_and_removes(chroma: ChromaServer, tmp_path: Path) -> None:
    assert not is_id(FOLDER)  # the router's scope and folder can be no article's
    embedder = HashingEmbedder()
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma.url)
    library = Library(settings, embeddings=embedder)
    birds = library.add(DATA / "lakeshore-birds.md").entry
    park = library.add(DATA / "riverside-park.html").entry

    here, elsewhere = ArticleRouter(library.indexes), ArticleRouter(library.indexes)  # two processes' view
    assert here.routed() == {birds.id: birds.text_sha256, park.id: park.text_sha256}
    assert f"assistant-current-{FOLDER}" in chroma.collections()
    question = embedder.embed_query_vector(
        "How many acres of walking trails and a playground does the park get?"
    )
    assert here.candidates(question)[0] == park.id == elsewhere.candidates(question)[0]
    assert elsewhere.reconcile(library.entries()) is False  # in step already: nothing written

    library.remove(park.id)
    # a process reads the server's pointer at most every POLL_SECONDS: one starting now sees it at once
    assert ArticleRouter(library.indexes).candidates(question) == [birds.id]
    routers = {n for n in chroma.collections() if n.startswith("router-")}
    assert len(routers) <= 2  # the current build and the one before it, which a worker may still read
    assert not (tmp_path / "index" / "articles" / FOLDER).exists()  # a server keeps it all
