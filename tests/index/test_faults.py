"""The index under attack or accident, over real HTTP: a store locked by another process, a damaged
store, and an article changed and re-indexed while a server runs."""

from __future__ import annotations

import html
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import app as cli_app
from assistant.index.stores.sqlite_gate import store_file
from assistant.ingest.parse import load_article
from assistant.settings import DEFAULT_ARTICLE
from assistant.ui.session import ChatSession
from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

NEW_TITLE = "Second Edition: Iranian Missile Launch into Syria, Revisited"
QUESTION = "Which provinces were the missiles fired from?"


@pytest.fixture()
def index_copy(assistant, index_dir, tmp_path) -> Path:
    """A copy of the session's built index (of the default article) that a test may damage."""
    return Path(shutil.copytree(index_dir, tmp_path / "index"))


def _serve(serve, index: Path, embeddings, reranker, **settings) -> tuple[Assistant, str]:
    served = Assistant(Settings(index_dir=index, **settings), embeddings=embeddings, reranker=reranker)
    served.open()
    return served, serve(create_app(served, with_ui=False))


def _store(served: Assistant) -> Path:
    return store_file(served.index_directory.current_build())


class LockHolder:
    """Another process holding ``BEGIN EXCLUSIVE`` on a SQLite file until released (30 s at most)."""

    def __init__(self, path: Path) -> None:
        script = (
            "import sqlite3, sys, select\n"
            f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "select.select([sys.stdin], [], [], 30)\n"
            "c.execute('COMMIT')\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "locked"

    def holding(self) -> bool:
        return self.process.poll() is None

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(30) == 0


def test_locked_store_degrades_health_within_its_timeout_and_never_freezes_the_server(
    index_copy, embeddings, serve, reranker
):
    served, url = _serve(serve, index_copy, embeddings, reranker, health_timeout=1.0, request_timeout=5.0)
    holder = LockHolder(_store(served))
    try:
        timings: dict[str, float] = {}
        results: dict[str, httpx.Response] = {}

        def get_health() -> None:
            started = time.monotonic()
            results["healthz"] = httpx.get(f"{url}/healthz", timeout=30)
            timings["healthz"] = time.monotonic() - started

        probe = threading.Thread(target=get_health)
        probe.start()
        embed_times = []
        for _ in range(5):  # while the probe runs: a route that needs no index answers at once
            started = time.monotonic()
            assert httpx.get(f"{url}/embed", timeout=30).status_code == 200
            embed_times.append(time.monotonic() - started)
        probe.join(30)
        started = time.monotonic()
        asked = httpx.post(f"{url}/api/ask", json={"question": "A question nobody asked before?"}, timeout=30)
        ask_time = time.monotonic() - started
        assert holder.holding(), "the lock was released before the checks finished"
    finally:
        holder.release()

    health = results["healthz"]
    assert health.status_code == 503, health.text
    assert health.json()["status"] == "degraded"
    assert "locked by another process" in health.json()["detail"]
    assert timings["healthz"] < 1.0 + 1.5
    assert max(embed_times) < 1.5, embed_times
    assert asked.status_code == 503 and "locked by another process" in asked.json()["detail"]
    assert ask_time < 5.0
    assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
    assert httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30).status_code == 200


def test_stuck_probe_is_shared_by_every_health_request_not_repeated(
    index_copy, embeddings, serve, monkeypatch, reranker
):
    served, url = _serve(serve, index_copy, embeddings, reranker, health_timeout=0.3)
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(20)
        raise RuntimeError("the store never answered")

    monkeypatch.setattr(type(served.served.get().index.passages), "query", hang)
    earlier = {t for t in threading.enumerate() if t.name == "health-probe"}  # other tests' servers' probes
    try:
        for _ in range(8):
            response = httpx.get(f"{url}/healthz", timeout=30)
            assert response.status_code == 503 and "took longer than 0.3 s" in response.json()["detail"]
        probes = [t for t in threading.enumerate() if t.name == "health-probe" and t not in earlier]
        assert len(probes) == 1
    finally:
        release.set()
    probes[0].join(10)
    monkeypatch.undo()
    assert httpx.get(f"{url}/healthz", timeout=30).json()["status"] == "ok"


def _damage(path: Path, how: str) -> None:
    if how == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(random.Random(7).randbytes(path.stat().st_size))


@pytest.mark.parametrize("how", ["empty", "garbage"])
def test_damaged_store_gives_503_naming_the_index_and_the_fix(index_copy, embeddings, serve, how, reranker):
    served, url = _serve(serve, index_copy, embeddings, reranker)
    _damage(_store(served), how)

    asked = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
    assert asked.status_code == 503, asked.text
    detail = asked.json()["detail"]
    assert "'…/chroma.sqlite3' is damaged" in detail and str(_store(served)) not in detail  # path: in the log
    assert "assistant index --rebuild" in detail
    health = httpx.get(f"{url}/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["status"] == "degraded"
    assert "is damaged" in health.json()["detail"]


@pytest.mark.parametrize("how", ["empty", "garbage"])
def test_index_command_rebuilds_a_damaged_store_instead_of_calling_it_up_to_date(
    index_copy, embeddings, monkeypatch, how, reranker
):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_copy))
    builder = Assistant(Settings(), embeddings=embeddings, reranker=reranker)
    damaged_build = builder.index_directory.current_build()
    _damage(store_file(damaged_build), how)
    monkeypatch.setattr("assistant.pipeline.MiniLMEmbeddings", lambda: embeddings)

    result = CliRunner().invoke(cli_app, ["index"])
    assert result.exit_code == 0, result.output
    assert "up to date" not in result.output
    assert "Rebuilding the index: the index store" in result.output and "is damaged" in result.output
    assert builder.index_directory.current_build() != damaged_build
    assert builder.index_directory.is_fresh(
        builder.article, builder.index_directory.current_manifest().embedding_model
    )
    assert "up to date" in CliRunner().invoke(cli_app, ["index"]).output


def test_no_op_freshness_check_opens_the_store_without_chroma_or_the_model(assistant, index_dir):
    script = (
        "import sys, time\n"
        "started = time.monotonic()\n"
        "from assistant.cli import _current_fresh_build\n"
        "build = _current_fresh_build()\n"
        "print(build is not None, time.monotonic() - started)\n"
        "print(sorted(m for m in ('chromadb', 'torch', 'sentence_transformers', 'langchain_core') "
        "if m in sys.modules))\n"
    )
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    fresh_line, modules_line = done.stdout.splitlines()
    assert fresh_line.startswith("True"), done.stderr
    assert float(fresh_line.split()[1]) < 2.0
    assert modules_line == "[]"


def _revised(text: str) -> str:
    """A new edition: another title, and a note before the body that shifts every later offset."""
    title, rest = text.lstrip("\n").split("\n", 1)
    note = "Editor's note: this edition corrects the date of the strike and adds reactions.\n\n"
    first_paragraph = rest.index("Yesterday, Iran's Revolutionary Guard")
    return f"{NEW_TITLE}\n{rest[:first_paragraph]}{note}{rest[first_paragraph:]}"


def _index_in_another_process(index_dir: Path, article: Path) -> None:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_ARTICLE_PATH": str(article)}
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def test_server_follows_an_article_changed_and_reindexed_by_another_process(
    tmp_path, index_copy, embeddings, serve, reranker
):
    article = tmp_path / "article.txt"
    article.write_text(DEFAULT_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    served, url = _serve(serve, index_copy, embeddings, reranker, article_path=article)
    old_text = served.article.text
    chat = ChatSession(served, delay=0)
    *_, (_, messages, turns, _) = chat.respond(QUESTION, [], [])

    article.write_text(_revised(article.read_text(encoding="utf-8")), encoding="utf-8")
    _index_in_another_process(index_copy, article)
    new_text = load_article(article).text

    # The chat page follows too: the new article, highlighted at the new offsets; the earlier answer's
    # citations point into the old text, so they are not highlighted in the new one.
    *_, (_, _, turns, view) = chat.respond(QUESTION, messages, turns)
    citation = turns[-1]["citations"][0]
    assert new_text[citation["start"] : citation["end"]] == citation["text"]
    assert html.escape(NEW_TITLE) in chat.article_view() and "aa-current" in view and "aa-earlier" not in view

    health = httpx.get(f"{url}/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["article"] == NEW_TITLE
    body = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30).json()
    assert body["citations"]
    for citation in body["citations"]:
        assert new_text[citation["start"] : citation["end"]] == citation["text"]
        assert old_text[citation["start"] : citation["end"]] != citation["text"]  # the offsets moved
    assert served.article.text == new_text


@pytest.mark.parametrize("new_build", ["of another article", "missing"])
def test_changed_article_without_its_build_keeps_the_old_pair_and_reports_degraded(
    tmp_path, index_copy, embeddings, serve, caplog, new_build, reranker
):
    article = tmp_path / "article.txt"
    original = DEFAULT_ARTICLE.read_text(encoding="utf-8")
    article.write_text(original, encoding="utf-8")
    served, url = _serve(serve, index_copy, embeddings, reranker, article_path=article)
    old_title, old_text = served.article.title, served.article.text

    article.write_text(_revised(original), encoding="utf-8")  # changed on disk ...
    index = served.index_directory
    if new_build == "missing":  # ... and CURRENT names a build that is not there
        (index.root / "CURRENT").write_text("20990101T000000-00000000\n", encoding="utf-8")
    else:  # ... and another process indexed a different file into the same directory
        other = tmp_path / "other.txt"
        other.write_text(_revised(original).replace(NEW_TITLE, "Yet Another Article"), encoding="utf-8")
        Assistant(
            Settings(index_dir=index.root, article_path=other), embeddings=embeddings, reranker=reranker
        ).build_index()

    health = httpx.get(f"{url}/healthz", timeout=30)
    assert health.status_code == 503, health.text
    assert health.json()["status"] == "degraded" and health.json()["article"] == old_title
    assert "still serving the previous index and article" in health.json()["detail"]
    assert "not switching to the new index" in caplog.text
    body = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30).json()
    for citation in body["citations"]:
        assert old_text[citation["start"] : citation["end"]] == citation["text"]

    Assistant(
        Settings(index_dir=index.root, article_path=article), embeddings=embeddings, reranker=reranker
    ).build_index()
    health = httpx.get(f"{url}/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["article"] == NEW_TITLE
