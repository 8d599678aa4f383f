"""The persisted index: manifest, idempotent ids, rebuild on change, atomic swap, build lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import IndexBusy, IndexUnavailable
from assistant.index.builds import IndexDirectory
from assistant.ingest.split import SPLITTER_VERSION
from assistant.settings import DEFAULT_ARTICLE

pytestmark = pytest.mark.integration


def _assistant(index_dir: Path, embeddings, **settings) -> Assistant:
    return Assistant(Settings(index_dir=index_dir, **settings), embeddings=embeddings)


def test_manifest_records_how_the_index_was_built(assistant):
    manifest = assistant.index_directory.current_manifest()
    assert manifest.article_sha256 == assistant.article.sha256
    assert manifest.splitter_version == SPLITTER_VERSION
    assert manifest.embedding_model.startswith("sentence-transformers/all-MiniLM-L6-v2@")
    stored = json.loads((assistant.index_directory.current_build() / "manifest.json").read_text())
    assert stored["index_format"] == manifest.index_format


def test_unchanged_article_is_not_rebuilt(assistant):
    build = assistant.index_directory.current_build()
    assert assistant.build_index() is False
    assert assistant.index_directory.current_build() == build


def test_reindexing_never_duplicates_entries(tmp_path, embeddings):
    first = _assistant(tmp_path, embeddings)
    first.build_index()
    first.build_index(rebuild=True)
    opened = first.index_directory.open()
    ids = opened.passages.get()["ids"]
    assert len(ids) == len(set(ids)) == opened.manifest.passages
    assert len({s.id for s in opened.sentences}) == len(opened.sentences) == opened.manifest.sentences


def test_changed_article_triggers_rebuild(tmp_path, embeddings):
    original = _assistant(tmp_path / "index", embeddings)
    original.build_index()
    edited = tmp_path / "edited.txt"
    edited.write_text(DEFAULT_ARTICLE.read_text() + "\nA closing paragraph added later by the editors.\n")
    changed = _assistant(tmp_path / "index", embeddings, article_path=edited)
    assert changed.build_index() is True
    assert changed.index_directory.current_manifest().article_sha256 == changed.article.sha256


def test_kill_during_rebuild_leaves_previous_index_answering(tmp_path, embeddings):
    index_dir = tmp_path / "index"
    _assistant(index_dir, embeddings).build_index()
    directory = IndexDirectory(index_dir)
    previous = directory.current_build()
    environment = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir)}
    indexer = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "index", "--rebuild"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list((index_dir / "builds").iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    indexer.send_signal(signal.SIGKILL)
    indexer.wait()
    assert len(list((index_dir / "builds").iterdir())) == 2, "the rebuild never started"
    assert directory.current_build() == previous
    survivor = _assistant(index_dir, embeddings)
    assert survivor.build_index() is False
    assert survivor.ask("Which agency also cited General Ramazan Sharif?").answerable
    assert survivor.build_index(rebuild=True) is True
    assert directory.current_build() != previous


def test_second_indexer_waits_then_refuses_with_clear_message(tmp_path, embeddings):
    blocked = _assistant(tmp_path / "index", embeddings, index_lock_timeout=0.3)
    holder = IndexDirectory(tmp_path / "index")
    with holder.locked(0, print):
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="another process is building the index"):
            blocked.build_index(rebuild=True)
        assert time.monotonic() - started >= 0.3


def test_unwritable_index_directory_gives_clear_error(tmp_path, embeddings):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    with pytest.raises(ValueError, match=r"ASSISTANT_INDEX_DIR"):
        _assistant(not_a_directory / "index", embeddings)
    # Settings cannot see every cause (a directory made read-only later): the index says so itself.
    broken = IndexDirectory(not_a_directory / "index")
    with pytest.raises(IndexUnavailable, match=r"cannot write the index directory .*writable"):
        with broken.locked(0, print):
            pass
