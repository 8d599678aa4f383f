"""ASSISTANT_CHROMA_URL against a real ``chroma run`` server: the builds, which one is current and the
build lock all live on the server (so hosts with their own index directories agree), indexing is
single-writer and idempotent, and an outage is a clear error that heals once the server is back.

Storage tests: the fake embedder (``tests/index/fakes.py``) stands in for MiniLM, whose answers are
not what is checked here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant import Assistant, Settings
from assistant.errors import IndexBusy, IndexUnavailable
from assistant.index.builds import IndexDirectory
from assistant.index.stores import shared_client
from assistant.index.stores.factory import chroma_store
from assistant.index.stores.server_catalog import LOCK, POINTER, ServerCatalog
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    server.stop()


def _assistant(index_dir: Path, url: str, **settings: object) -> Assistant:
    return Assistant(Settings(index_dir=index_dir, chroma_url=url, **settings), embeddings=HashingEmbedder())


def _client(url: str) -> chromadb.api.ClientAPI:
    port = int(url.rsplit(":", 1)[1])
    return chromadb.HttpClient(port=port, settings=ChromaSettings(anonymized_telemetry=False))


def test_index_lives_on_the_chroma_server_and_hosts_share_it(chroma_server, tmp_path):
    one = _assistant(tmp_path / "host-one", chroma_server.url)
    assert one.build_index() is True
    assert not (tmp_path / "host-one").exists()  # nothing local: the server holds the truth
    answer, article = one.ask_with_article("Who wrote this piece?")
    assert answer.answerable
    assert all(article.text[c.start : c.end] == c.text for c in answer.citations)
    one.check()

    builds = [one.index_directory.current_build().name]
    for _ in range(3):
        assert one.build_index(rebuild=True) is True
        builds.append(one.index_directory.current_build().name)
    stored = chroma_server.collections()
    assert POINTER in stored and LOCK not in stored
    kept = {name.rsplit("-", 1)[0] for name in stored - {POINTER}}
    assert {name.split("-", 2)[2] for name in kept} == set(builds[-2:])  # current + the one before

    other_host = _assistant(tmp_path / "host-two", chroma_server.url)
    assert other_host.build_index() is False  # unchanged article: a no-op, wherever it runs
    assert other_host.index_directory.current_build().name == builds[-1]
    assert other_host.ask("Who wrote this piece?").answerable


def test_a_rebuild_on_one_host_is_served_by_another(chroma_server, tmp_path):
    serving = _assistant(tmp_path / "serving", chroma_server.url)
    serving.open()
    first = serving.served.get().index.build_dir.name
    builder = _assistant(tmp_path / "builder", chroma_server.url)
    assert builder.build_index(rebuild=True) is True
    rebuilt = builder.index_directory.current_build().name
    deadline = time.monotonic() + 30  # workers read the pointer at most once a second
    while serving.served.get().index.build_dir.name == first and time.monotonic() < deadline:
        time.sleep(0.2)
    assert serving.served.get().index.build_dir.name == rebuilt
    assert serving.ask("Who wrote this piece?").answerable


HOLD_LOCK = """
import sys
from pathlib import Path
from assistant.index.stores.factory import chroma_store
from assistant.index.stores.server_catalog import ServerCatalog
catalog = ServerCatalog(chroma_store(sys.argv[1]))
with catalog.locked(0, print):
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_second_indexer_is_refused_while_another_holds_the_server_lock(chroma_server, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, chroma_server.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        late = _assistant(tmp_path / "elsewhere", chroma_server.url, index_lock_timeout=0.5)
        with pytest.raises(IndexBusy) as refused:
            late.build_index()
        message = str(refused.value)
        assert f"pid {holder.pid}" in message
        assert f"is indexing into the Chroma server at {chroma_server.url} since" in message
        assert "wait for it to finish" in message
        assert late.index_directory.current_build() is None  # nothing was written meanwhile
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    assert late.build_index() is True  # released: the next indexer goes ahead
    assert LOCK not in chroma_server.collections()


def test_a_lock_left_by_a_killed_indexer_lapses_and_is_taken_over(chroma_server, tmp_path):
    # What `kill -9` mid-build leaves: the lock, which nobody renews any more.
    _client(chroma_server.url).create_collection(
        LOCK,
        metadata={"owner": "gone-host pid 1 (dead)", "since": time.time() - 120, "expires": time.time() - 60},
    )
    assistant = _assistant(tmp_path / "index", chroma_server.url, index_lock_timeout=0)
    assert assistant.build_index() is True
    assert LOCK not in chroma_server.collections()


def test_an_indexer_that_lost_its_lock_does_not_move_the_pointer_or_free_the_new_holders_lock(
    chroma_server,
):
    client = _client(chroma_server.url)
    catalog = ServerCatalog(chroma_store(chroma_server.url))
    with pytest.raises(IndexBusy, match="lost its build lock"), catalog.locked(0, print):
        # It stalled past its lease; another indexer cleared the lapsed lock and took its own.
        client.get_collection(LOCK).modify(name=f"{LOCK}-lapsed-by-test")
        client.delete_collection(f"{LOCK}-lapsed-by-test")
        client.create_collection(LOCK, metadata={"owner": "the new holder", "since": 0.0, "expires": 2e9})
        catalog.publish("a-stale-build", {"collection": "never-used"})
    assert POINTER not in chroma_server.collections()
    assert client.get_collection(LOCK).metadata["owner"] == "the new holder"


INDEX = """
import sys
from pathlib import Path
from assistant import Assistant, Settings
from tests.index.fakes import HashingEmbedder
settings = Settings(index_dir=Path(sys.argv[2]), chroma_url=sys.argv[1])
Assistant(settings, embeddings=HashingEmbedder()).build_index(rebuild=True, progress=print)
"""


def test_two_indexers_at_once_take_turns_and_leave_one_whole_build(chroma_server, tmp_path):
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", INDEX, chroma_server.url, str(tmp_path / f"host-{n}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )
        for n in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("Index ready" in output for output in outputs) == 2
    assistant = _assistant(tmp_path / "checker", chroma_server.url)
    assert assistant.index_directory.staleness(assistant.article, HashingEmbedder.model_id) is None
    stored = chroma_server.collections() - {POINTER}
    assert len(stored) == 4 and LOCK not in stored  # two whole builds: the current one and the one before


def test_server_outage_is_a_clear_error_and_answers_resume_when_it_is_back(chroma_server, tmp_path):
    assistant = _assistant(tmp_path / "index", chroma_server.url)
    assistant.open()
    chroma_server.stop()
    with pytest.raises(IndexUnavailable, match=f"the Chroma server at {chroma_server.url} does not answer"):
        assistant.ask("Which provinces were the missiles fired from?")
    with pytest.raises(IndexUnavailable, match="Chroma server"):
        assistant.check()
    refused = _assistant(tmp_path / "other", chroma_server.url)
    with pytest.raises(IndexUnavailable, match="Chroma server"):
        refused.build_index()

    chroma_server.start()  # same port, same data folder
    assert assistant.ask("Which provinces were the missiles fired from?").answerable
    assistant.check()
    assert refused.build_index() is False


def test_a_hung_server_fails_calls_within_the_time_limit_instead_of_holding_them(
    chroma_server, tmp_path, monkeypatch
):
    monkeypatch.setattr(shared_client, "SERVER_CALL_SECONDS", 1.0)
    assistant = _assistant(tmp_path / "index", chroma_server.url)
    assistant.open()
    os.kill(chroma_server.process.pid, signal.SIGSTOP)  # up, but answering nothing
    try:
        started = time.monotonic()
        with pytest.raises(IndexUnavailable, match=r"does not answer \(ReadTimeout\)"):
            assistant.ask("Which provinces were the missiles fired from?")
        assert time.monotonic() - started < 30  # a bound, not a measurement: without limits, for ever
    finally:
        os.kill(chroma_server.process.pid, signal.SIGCONT)
    assert assistant.ask("Which provinces were the missiles fired from?").answerable


def test_indexes_of_different_scopes_on_one_server_keep_their_own_current_build(chroma_server, tmp_path):
    article = Assistant(Settings(index_dir=tmp_path / "unused"), embeddings=HashingEmbedder()).article
    built = {}
    for scope in ("first-article", "second-article"):
        directory = IndexDirectory(tmp_path / scope, chroma_store(chroma_server.url), scope=scope)
        with directory.locked(0, print):
            built[scope] = directory.build(article, HashingEmbedder(), print).name
    for scope, build in built.items():
        directory = IndexDirectory(tmp_path / "another-host", chroma_store(chroma_server.url), scope=scope)
        assert build.startswith(f"{scope}.") and directory.current_build().name == build
        # One scope's clean-up of older builds left the other's collections alone.
        assert directory.staleness(article, HashingEmbedder.model_id) is None
    assert IndexDirectory(tmp_path / "default", chroma_store(chroma_server.url)).current_build() is None
    assert {f"{POINTER}-first-article", f"{POINTER}-second-article"} <= chroma_server.collections()


def test_a_build_whose_process_died_before_publishing_is_deleted_by_the_next_one(chroma_server, tmp_path):
    """The old builds are deleted by name, never by listing the server's every collection (which
    grows with every article on it): a build marked as begun but never published is one of them."""
    article = Assistant(Settings(index_dir=tmp_path / "unused"), embeddings=HashingEmbedder()).article
    directory = IndexDirectory(tmp_path / "host", chroma_store(chroma_server.url), scope="crashy")
    with directory.locked(0, print):
        first = directory.build(article, HashingEmbedder(), print).name
    with directory.locked(0, print):  # a process writes half a build, then dies without publishing it
        dead = directory.catalog.begin("20990101T000000-deadbeef").name
        with directory.store.collections(directory.catalog.build_path(dead)) as collections:
            collections.create(f"article-{article.source_id}-{dead}-sentences")
    assert any(dead in name for name in chroma_server.collections())
    for _ in range(2):
        with directory.locked(0, print):
            directory.build(article, HashingEmbedder(), print)
    names = chroma_server.collections()
    assert not any(dead in name for name in names)  # the dead build's collection, by name
    assert not any(first in name for name in names)  # the oldest whole build, two builds on
    assert len([n for n in names if n.startswith(f"article-{article.source_id}-crashy.")]) == 4
