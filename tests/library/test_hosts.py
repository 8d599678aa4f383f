"""Several hosts, one library: two serving workers with disks of their own (one with none it may write)
against a real ``chroma run``, and ``assistant add``/``remove`` run as other processes.

Real parts: the Chroma server, uvicorn over HTTP, the cross-encoder, the library's code in separate
processes. ``HashingEmbedder`` embeds (in every process alike, so the builds agree): the test is about
where the library lives and who sees a change, not how well answers read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.library.server_catalog import CACHE
from assistant.library.shelf import Shelf
from assistant.settings import DEFAULT_ARTICLE, Settings
from assistant.web.app import create_app
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder

pytestmark = [pytest.mark.integration, pytest.mark.server]

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]
SEEN_WITHIN = 15.0  # seconds: a worker reads the library's stamp at most once a second

_CHANGE = """
import json, os, sys
from pathlib import Path
from assistant.library import Library
from assistant.library.server_catalog import ServerLibraryCatalog
from assistant.settings import load_settings
from tests.index.fakes import HashingEmbedder
if os.environ.get("KILL_BEFORE_PUBLISH"):  # killed after the new index, before the entry names it
    ServerLibraryCatalog.publish = lambda *_: os._exit(9)
library = Library(load_settings(), embeddings=HashingEmbedder())
command, *arguments = sys.argv[1:]
if command == "add":
    print(json.dumps({p: library.add(Path(p)).entry.id for p in arguments}))
else:
    print(json.dumps([library.remove(i).id for i in arguments]))
"""


@dataclass
class Hosts:
    chroma: ChromaServer
    urls: list[str]
    root: Path

    def change(self, *arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """``assistant add``/``remove`` as a process of a third host (its own index directory)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        environment = clean | {
            "PYTHONPATH": str(ROOT),
            "ASSISTANT_CHROMA_URL": self.chroma.url,
            "ASSISTANT_INDEX_DIR": str(self.root / "third-host"),
        }
        command = [sys.executable, "-c", _CHANGE, *arguments]
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment | (env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *arguments: str) -> object:
        process = self.change(*arguments)
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        return json.loads(stdout.strip().splitlines()[-1])


def _worker(settings: Settings, reranker: object) -> Shelf:
    return Shelf(Assistant(settings, embeddings=HashingEmbedder(), reranker=reranker))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, reranker, serve) -> Iterator[Hosts]:
    root = tmp_path_factory.mktemp("hosts")
    chroma = ChromaServer(root / "chroma-data").start()
    article = root / "seed.txt"
    shutil.copyfile(DEFAULT_ARTICLE, article)
    builder = Settings(index_dir=root / "builder", chroma_url=chroma.url, article_path=article)
    Assistant(builder, embeddings=HashingEmbedder(), reranker=reranker).build_index()
    # Host B's index directory is empty, and its cache folder cannot be made (a file has its name; the
    # tests run as root, so permissions would not stop a write): it must serve without writing there.
    no_disk = root / "host-b"
    no_disk.mkdir()
    (no_disk / CACHE).write_text("not a folder\n", encoding="utf-8")
    urls = []
    for index_dir in (root / "host-a", no_disk):
        settings = builder.model_copy(update={"index_dir": index_dir, "library_dir": None})
        shelf = _worker(Settings.model_validate(settings.model_dump()), reranker)
        urls.append(serve(create_app(shelf.default, with_ui=False, shelf=shelf)))
    try:
        yield Hosts(chroma, urls, root)
    finally:
        chroma.stop()
    assert [p.name for p in no_disk.rglob("*")] == [CACHE]  # host B wrote nothing to its disk


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SEEN_WITHIN
    while not check():
        assert time.monotonic() < deadline, f"not within {SEEN_WITHIN} s: {what}"
        time.sleep(0.2)


def _listed(url: str) -> list[str]:
    return [a["id"] for a in httpx.get(f"{url}/api/articles", timeout=30).json()["articles"]]


def _ask(url: str, article: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question, "article": article}, timeout=60)


def _reader(hosts: Hosts) -> Library:
    """The library as yet another host reads it."""
    settings = Settings(index_dir=hosts.root / "reader", chroma_url=hosts.chroma.url)
    return Library(settings, embeddings=HashingEmbedder())


def _text(hosts: Hosts, article_id: str) -> str:
    """The article's text as the library on the server holds it (what the offsets index)."""
    return load_article(_reader(hosts).article_path(article_id)).text


def _verbatim(hosts: Hosts, article_id: str, answer: dict) -> None:
    text = _text(hosts, article_id)
    assert answer["citations"]
    for citation in answer["citations"]:
        assert citation["source"]["id"] == article_id
        assert text[citation["start"] : citation["end"]] == citation["text"]


def test_an_article_added_on_one_host_is_served_by_every_worker_then_removed(hosts: Hosts) -> None:
    added = hosts.run("add", str(DATA / "riverside-park.html"))
    park = added[str(DATA / "riverside-park.html")]  # type: ignore[index]
    for url in hosts.urls:
        _until(lambda url=url: park in _listed(url), f"{park} listed by {url}")
        models = httpx.get(f"{url}/v1/models", timeout=30).json()["data"]
        assert park in [m["id"] for m in models]
        response = _ask(url, park, "How many acres does the park plan set aside?")
        assert response.status_code == 200, response.text
        _verbatim(hosts, park, response.json())

    assert hosts.run("remove", park) == [park]
    for url in hosts.urls:
        _until(lambda url=url: park not in _listed(url), f"{park} gone from {url}")
        assert _ask(url, park, "How many acres?").status_code == 404


def test_two_hosts_adding_different_articles_at_once_both_succeed(hosts: Hosts) -> None:
    files = [str(DATA / "lakeshore-birds.md"), str(DATA / "harbor-ferry.html")]
    processes = [hosts.change("add", path) for path in files]
    ids = []
    for process, path in zip(processes, files, strict=True):
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        ids.append(json.loads(stdout.strip().splitlines()[-1])[path])
    for url in hosts.urls:
        _until(lambda url=url: set(ids) <= set(_listed(url)), f"{ids} listed by {url}")
    hosts.run("remove", *ids)


def test_an_add_killed_mid_way_leaves_every_worker_answering_the_previous_version(hosts: Hosts) -> None:
    draft = Path(shutil.copy(DATA / "lakeshore-birds.md", hosts.root / "lakeshore-birds.md"))
    birds = hosts.run("add", str(draft))[str(draft)]  # type: ignore[index]
    build = _reader(hosts).indexes.directory(birds).current_build()
    question = "How many bird species have been recorded at the lakeshore?"
    for url in hosts.urls[:1]:  # one worker has the article open before the kill, the other not yet
        _until(lambda url=url: birds in _listed(url), f"{birds} listed by {url}")
        assert "212 species" in json.dumps(_ask(url, birds, question).json())

    draft.write_text(draft.read_text(encoding="utf-8").replace("212 species", "216 species"), "utf-8")
    killed = hosts.change("add", str(draft), env={"KILL_BEFORE_PUBLISH": "1"})
    _, stderr = killed.communicate(timeout=300)
    assert killed.returncode == 9, stderr

    for url in hosts.urls:
        _until(lambda url=url: birds in _listed(url), f"{birds} listed by {url}")
        response = _ask(url, birds, question)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "216 species" not in json.dumps(answer)
        assert any("212 species" in c["text"] for c in answer["citations"]), answer
        _verbatim(hosts, birds, answer)
    # The unpublished version's build was put back, not the old text indexed again by a worker.
    assert _reader(hosts).indexes.directory(birds).current_build() == build
