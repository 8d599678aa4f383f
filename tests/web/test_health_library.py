"""``/healthz``'s library part, in process: what the shelf serves, or why the library cannot be read.

Fast: the library's index is built with ``tests/index/fakes.py``'s ``HashingEmbedder``;
``tests/web/test_articles.py`` reads ``/healthz`` over HTTP while an article is added and removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant import Assistant
from assistant.library import Library
from assistant.library.shelf import Shelf
from assistant.settings import Settings
from assistant.web.health import library_state
from tests.index.fakes import HashingEmbedder

LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"


async def test_the_library_state_or_why_it_cannot_be_read(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    embedder = HashingEmbedder()
    library = Library(settings, embedder)
    library.add(LIGHTHOUSE)
    shelf = Shelf(Assistant(settings, embeddings=embedder), library)

    state, problem = await library_state(shelf, 2.0)
    assert problem is None and state is not None
    assert (state.articles, state.changed_at) == (2, library.changed_at())

    shutil.rmtree(library.root)
    library.root.write_text("not a folder", encoding="utf-8")  # the library folder replaced by a file
    state, problem = await library_state(shelf, 2.0)
    assert state is None and problem is not None
    assert problem.startswith(f"cannot read the library folder {str(library.root)!r}")
