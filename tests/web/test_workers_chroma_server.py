"""``assistant serve --workers 2`` against one real ``chroma run`` server, over HTTP, with the real models:
both worker processes answer (which one did is read from /proc: the process holding the server end
of the connection), a rebuild made elsewhere is served by both, and a Chroma outage is a 503 and a
degraded /healthz on both, healed once the server is back, with no worker restarted."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import app
from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.settings import DEFAULT_ARTICLE
from benchmarks.common import Client
from tests.conftest import free_port
from tests.index.chroma_server import ChromaServer

pytestmark = pytest.mark.integration

ASSISTANT = str(Path(sys.executable).parent / "assistant")
ADDED = "Fragments of the missiles were later catalogued by the Zagros Heritage Institute in Kermanshah."
NEW_QUESTION = "Who catalogued the missile fragments?"
LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"


@dataclass
class Workers:
    chroma: ChromaServer
    article: Path
    index_dir: Path
    port: int
    pids: list[int]
    process: subprocess.Popen[str]
    log: list[str]  # the supervisor's and workers' standard error, read on a thread so it never fills

    def wait_for_line(self, pattern: str, seconds: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.log):
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} within {seconds} s: {''.join(self.log)}")


def _environment(chroma_url: str, article: Path, index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return env | {
        "ASSISTANT_CHROMA_URL": chroma_url,
        "ASSISTANT_ARTICLE_PATH": str(article),
        "ASSISTANT_INDEX_DIR": str(index_dir),
        "ASSISTANT_FEEDBACK_DB": str(index_dir.parent / "feedback.sqlite3"),
        "HF_HUB_OFFLINE": "1",
        # One keep-alive connection per worker, kept open across a rebuild: idle deadlines far away.
        "ASSISTANT_KEEP_ALIVE_TIMEOUT": "600",
        "ASSISTANT_HEADER_TIMEOUT": "600",
    }


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Workers]:
    root = tmp_path_factory.mktemp("workers")
    chroma = ChromaServer(root / "chroma-data").start()
    article = root / "article.txt"
    shutil.copyfile(DEFAULT_ARTICLE, article)
    settings = Settings(index_dir=root / "builder", chroma_url=chroma.url, article_path=article)
    Assistant(settings, embeddings=embeddings).build_index()
    port = free_port()
    process = subprocess.Popen(
        [ASSISTANT, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=_environment(chroma.url, article, root / "index"),
    )
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(process.stderr.readline, "")), daemon=True).start()
    try:
        running = Workers(chroma, article, root / "index", port, [], process, log)
        found = running.wait_for_line(r"with 2 workers \(pids (\d+), (\d+)\)", seconds=300)
        running.pids = [int(found[1]), int(found[2])]
        yield running
    finally:
        process.terminate()
        process.wait(30)
        chroma.stop()


def _socket_inode(server_port: int, client_port: int) -> str:
    """The inode of the server end of the loopback TCP connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return inode
    raise AssertionError(f"no server socket for the connection from port {client_port}")


def _answering_pid(client: Client, server_port: int, pids: list[int]) -> int:
    """Which worker holds the server end of this (open) connection."""
    target = f"socket:[{_socket_inode(server_port, client.connection.sock.getsockname()[1])}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker among {pids} holds {target}")


@pytest.fixture(scope="module")
def by_worker(workers: Workers) -> dict[int, Client]:
    """One open keep-alive connection to each worker: new connections until both workers took one
    (the kernel hands each to whichever worker accepts first; 100 is a bound, not a expectation)."""
    connections: dict[int, Client] = {}
    for _ in range(100):
        client = Client(workers.port)
        answer = client.ask("Which provinces were the missiles fired from?")
        assert answer["answerable"]
        connections.setdefault(_answering_pid(client, workers.port, workers.pids), client)
        if len(connections) == 2:
            return connections
    raise AssertionError(f"only worker {list(connections)} took connections")


def test_both_workers_answer_with_verbatim_citations(workers, by_worker):
    text = load_article(workers.article, Settings().max_article_chars).text  # what offsets point into
    assert sorted(by_worker) == sorted(workers.pids)
    for client in by_worker.values():
        answer = client.ask("Who wrote this piece?")
        assert answer["answerable"]
        for citation in answer["citations"]:
            assert text[citation["start"] : citation["end"]] == citation["text"]
        history = [{"role": "user", "content": "How many people were killed in the Tehran attack?"}]
        status, body = client.request(
            "POST", "/api/ask", {"question": "And how many were injured?", "history": history}
        )
        assert status == 200 and json.loads(body)["answerable"]  # the history travels with the request
        # No chat page: Gradio keeps a tab's state in one process, which a shared socket cannot promise.
        assert client.request("GET", "/")[0] == 404


def test_a_rebuild_made_elsewhere_is_served_by_both_workers(workers, by_worker, embeddings):
    paragraphs = workers.article.read_text(encoding="utf-8").split("\n\n")
    paragraphs.insert(4, ADDED)  # in the body: the page's footer is not cited
    workers.article.write_text("\n\n".join(paragraphs), encoding="utf-8")
    settings = Settings(index_dir=workers.index_dir.parent / "builder", chroma_url=workers.chroma.url)
    builder = Assistant(settings.model_copy(update={"article_path": workers.article}), embeddings=embeddings)
    assert builder.build_index() is True  # what `assistant index` does on another host
    for pid, client in by_worker.items():
        deadline = time.monotonic() + 60  # each worker reads the pointer at most once a second
        while True:
            answer = client.ask(NEW_QUESTION)
            if any("Zagros Heritage Institute" in c["text"] for c in answer["citations"]):
                break
            health = client.request("GET", "/healthz")
            assert time.monotonic() < deadline, f"worker {pid} serves the old build: {answer}, {health}"
            time.sleep(0.5)


def test_chroma_outage_is_a_503_and_degraded_health_then_heals_without_restarts(workers, by_worker):
    workers.chroma.stop()
    try:
        for client in by_worker.values():
            status, body = client.request("POST", "/api/ask", {"question": "Who wrote this piece?"})
            assert status == 503
            assert f"the Chroma server at {workers.chroma.url} does not answer" in json.loads(body)["detail"]
            status, body = client.request("GET", "/healthz")
            health = json.loads(body)
            assert status == 503 and health["status"] == "degraded"
            assert f"Chroma server at {workers.chroma.url}" in health["detail"]
    finally:
        workers.chroma.start()  # same port, same data folder
    for pid, client in by_worker.items():
        status, body = client.request("GET", "/healthz")
        assert (status, json.loads(body)["status"]) == (200, "ok"), pid
        assert client.ask("Who wrote this piece?")["answerable"]
        assert _answering_pid(client, workers.port, workers.pids) == pid  # the same worker process
    assert workers.process.poll() is None


def test_every_worker_says_on_healthz_which_library_it_serves(workers, by_worker, embeddings):
    """Workers behind one address can be seen to agree: each says how many articles it serves and when
    the library last changed, and each follows an article added by another process."""
    for pid, client in by_worker.items():
        status, body = client.request("GET", "/healthz")
        assert (status, json.loads(body)["library"]) == (200, {"articles": 1, "changed_at": None}), pid
    settings = Settings(index_dir=workers.index_dir, chroma_url=workers.chroma.url)
    library = Library(settings, embeddings)  # the workers' library: the same index directory
    library.add(LIGHTHOUSE)  # what `assistant add` does on another host
    for pid, client in by_worker.items():
        deadline = time.monotonic() + 15  # each worker reads the library's stamp at most once a second
        while True:
            status, body = client.request("GET", "/healthz")
            served = json.loads(body)["library"]
            if (status, served["articles"]) == (200, 2) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (status, served["articles"]) == (200, 2), pid
        assert datetime.fromisoformat(served["changed_at"]) == library.changed_at(), pid


def test_several_workers_without_a_chroma_server_are_refused_in_one_line():
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", str(free_port())])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --workers 2 needs ASSISTANT_CHROMA_URL")


def test_a_worker_killed_while_serving_is_replaced_and_the_other_answers_meanwhile(workers, by_worker):
    victim, survivor = workers.pids
    os.kill(victim, signal.SIGKILL)
    workers.wait_for_line(rf"Worker \d \(pid {victim}\) exited with code -9; starting another")
    assert by_worker[survivor].ask("Who wrote this piece?")["answerable"]
    assert workers.process.poll() is None
