"""Claims: what lets several indexers add to one library at once without colliding (``claims.py``).

In process, with the folder library and ``HashingEmbedder``; a claim's owner is made another process
by its pid (a live one: this test's parent; a dead one: a child that has exited).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.library import Library, LibraryBusy, Outcome
from assistant.library.claims import HOST, Claim
from assistant.settings import Settings
from tests.index.fakes import HashingEmbedder

DATA = Path(__file__).resolve().parent / "data"


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(child.stdout)


def _claim(library: Library, article_id: str, source: Path, pid: int) -> Claim:
    claim = Claim(article_id=article_id, source_path=str(source.resolve()), host=HOST, pid=pid, expires=0.0)
    library.catalog.claim(claim)
    return claim


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(
        Settings(index_dir=tmp_path / "index", index_lock_timeout=0.6), embeddings=HashingEmbedder()
    )


def test_a_file_another_live_process_is_adding_is_waited_for_then_refused(library: Library) -> None:
    park = DATA / "riverside-park.html"
    _claim(library, "riverside-park", park, os.getppid())  # alive, on this host: not expired for it
    messages: list[str] = []
    with pytest.raises(LibraryBusy, match="another process is adding"):
        library.add(park, progress=messages.append)
    assert messages == ["Another process is adding this file; waiting for it…"]
    assert library.entries() == []


def test_a_dead_process_claim_is_cleared_and_its_id_is_free_again(library: Library) -> None:
    park = DATA / "riverside-park.html"
    _claim(library, "riverside-park", park, _dead_pid())
    result = library.add(park)
    assert (result.outcome, result.entry.id) == (Outcome.ADDED, "riverside-park")
    assert library.catalog.claims() == {}  # its own claim ended too


def test_a_claimed_id_is_not_given_to_another_file(library: Library, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "riverside-park.md"
    other.parent.mkdir()
    shutil.copy(DATA / "lakeshore-birds.md", other)
    _claim(library, "riverside-park", DATA / "riverside-park.html", os.getppid())
    assert library.add(other).entry.id == "riverside-park-2"


def test_an_article_being_updated_is_not_removed(library: Library) -> None:
    park = library.add(DATA / "riverside-park.html").entry
    _claim(library, park.id, DATA / "riverside-park.html", os.getppid())
    with pytest.raises(LibraryBusy, match="adding a new version"):
        library.remove(park.id)
    assert library.entry(park.id) == park
