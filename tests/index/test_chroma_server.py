"""ASSISTANT_CHROMA_URL against a real ``chroma run`` server: builds as collections there, answers,
rebuilds that leave no leftovers, and a server that goes away is a 503-style error, not a hang."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.errors import IndexUnavailable
from tests.conftest import free_port
from tests.index.fakes import HashingEmbedder

pytestmark = pytest.mark.integration

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))


def _start_server(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [CHROMA, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    pytest.fail(f"`chroma run` did not answer on {url} within 30 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    if CHROMA is None:
        pytest.fail("the `chroma` command (installed with chromadb) is missing from the venv")
    server, url = _start_server(tmp_path / "chroma-data")
    yield server, url
    _stop(server)


def test_index_lives_on_the_chroma_server_and_answers(chroma_server, tmp_path):
    server, url = chroma_server
    assistant = Assistant(
        Settings(index_dir=tmp_path / "index", chroma_url=url), embeddings=HashingEmbedder()
    )
    assert assistant.build_index() is True
    build = assistant.index_directory.current_build()
    assert sorted(p.name for p in build.iterdir()) == ["manifest.json"]  # the collections are on the server
    answer, article = assistant.ask_with_article("Who wrote this piece?")
    assert answer.answerable
    assert all(article.text[c.start : c.end] == c.text for c in answer.citations)
    assistant.check()

    for _ in range(3):
        assistant.build_index(rebuild=True)
    kept = {p.name for p in assistant.index_directory.builds.iterdir()}
    on_server = {c.name for c in assistant.index_directory.store.client(None).list_collections()}
    assert {name.rsplit("-", 1)[0].split("-", 2)[2] for name in on_server} == kept

    restarted = Assistant(
        Settings(index_dir=tmp_path / "index", chroma_url=url), embeddings=HashingEmbedder()
    )
    assert restarted.build_index() is False  # the manifest here and the collections there agree


def test_server_gone_while_serving_is_an_unavailable_index(chroma_server, tmp_path):
    server, url = chroma_server
    assistant = Assistant(
        Settings(index_dir=tmp_path / "index", chroma_url=url), embeddings=HashingEmbedder()
    )
    assistant.open()
    _stop(server)
    with pytest.raises(IndexUnavailable, match="Chroma server"):
        assistant.ask("Which provinces were the missiles fired from?")
    with pytest.raises(IndexUnavailable):
        assistant.check()
