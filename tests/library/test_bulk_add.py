"""``assistant add DIR`` over an archive, stopped twice and run again: every article in once, none half.

The real command (``assistant.cli``) in real processes, stopped with Ctrl-C (SIGINT) and then killed
outright (SIGKILL, no clean-up) part-way. ``HashingEmbedder`` stands in for MiniLM, as the command's
``_library`` is made in the test's script: fifty articles embedded by the real model would cost this
suite a minute for nothing this test checks (consistency, not answers).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.index.builds import IndexDirectory
from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.settings import Settings
from benchmarks.generated import generated_articles, paragraph_pool
from tests.index.chroma_server import ChromaServer

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 50
SMALL = (2, 3)  # paragraphs per generated article
SHARED = 16  # articles two indexers share

_COMMAND = """
import signal, sys
# Ctrl-C as a terminal delivers it: a pytest-xdist worker ignores SIGINT, and its children inherit that.
signal.signal(signal.SIGINT, signal.default_int_handler)
import assistant.cli as cli
from assistant.library import Library
from assistant.settings import load_settings
from tests.index.fakes import HashingEmbedder
cli._library = lambda: Library(load_settings(), embeddings=HashingEmbedder())
cli.app(sys.argv[1:])
"""


def _archive(folder: Path, count: int = ARTICLES) -> list[Path]:
    _, pool = paragraph_pool()
    folder.mkdir()
    files = []
    for n, text in enumerate(generated_articles(count, pool, seed=7, paragraphs=SMALL), start=1):
        path = folder / f"{n // 10}" / f"report-{n:03}.txt"  # nested: the folder is walked
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(path)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7\n")  # not an article: counted, not an error
    return files


def _start(env: dict[str, str], folder: Path) -> subprocess.Popen[str]:
    """``assistant add --json FOLDER`` as a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", _COMMAND, "add", "--json", str(folder)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _add(env: dict[str, str], folder: Path, stop_after: int | None = None, how: int = signal.SIGKILL):
    """Run ``assistant add --json FOLDER``; with ``stop_after``, signal it once that many files are done."""
    process = _start(env, folder)
    assert process.stdout is not None
    reports = []
    for line in process.stdout:
        reports.append(json.loads(line))
        if stop_after is not None and len(reports) == stop_after:
            process.send_signal(how)
            break
    rest, stderr = process.communicate(timeout=300)
    reports += [json.loads(line) for line in rest.splitlines() if line.strip()]
    return process.returncode, reports, stderr


@pytest.mark.integration
def test_an_archive_stopped_twice_and_resumed_ends_with_every_article_once(tmp_path: Path) -> None:
    files = _archive(tmp_path / "archive")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"PYTHONPATH": str(ROOT), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}

    code, first, stderr = _add(env, tmp_path / "archive", stop_after=8, how=signal.SIGINT)
    assert code == 130, stderr
    assert "Run the same command again" in stderr and "Traceback" not in stderr
    code, second, stderr = _add(env, tmp_path / "archive", stop_after=len(first) + 9)
    assert code == -signal.SIGKILL, stderr
    code, third, stderr = _add(env, tmp_path / "archive")
    assert code == 0, stderr
    assert "1 other files in the folders were not articles" in stderr.splitlines()[-1]

    def added(reports: list[dict]) -> list[str]:
        return [r["path"] for r in reports if r["outcome"] == "added"]

    assert [r["outcome"] for r in third].count("failed") == 0
    assert len(third) == ARTICLES  # the last run met every file, in the archive's order
    assert [r["path"] for r in third] == [str(p) for p in files]
    everything = added(first) + added(second) + added(third)
    assert sorted(everything) == sorted(map(str, files))  # each added once, across the three runs
    assert {r["path"] for r in third if r["outcome"] == "unchanged"} == set(added(first) + added(second))

    library = Library(Settings(index_dir=tmp_path / "index"))
    entries = library.entries()
    assert sorted(e.source_path for e in entries) == sorted(map(str, files))
    assert len({e.id for e in entries}) == ARTICLES
    assert len(list(library.catalog.versions.iterdir())) == ARTICLES  # no half-added version left
    for entry in entries:
        assert load_article(library.article_path(entry.id)).sha256 == entry.text_sha256
        manifest = IndexDirectory(library.index_dir(entry.id)).current_manifest()
        assert manifest is not None and manifest.article_sha256 == entry.text_sha256


@pytest.mark.integration
def test_two_indexers_given_one_archive_share_it_on_one_server(tmp_path: Path) -> None:
    """Two hosts' indexers run on the same archive against one ``chroma run``: each file is added by
    one of them (the other skips it while claimed, then finds it unchanged), none twice, none half."""
    files = _archive(tmp_path / "archive", SHARED)
    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        base |= {"PYTHONPATH": str(ROOT), "ASSISTANT_CHROMA_URL": chroma.url}
        processes = [
            _start(base | {"ASSISTANT_INDEX_DIR": str(tmp_path / host)}, tmp_path / "archive")
            for host in "ab"
        ]
        reports = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=600)
            assert process.returncode == 0, stderr
            reports.append([json.loads(line) for line in stdout.splitlines()])
        for report in reports:
            assert sorted(r["path"] for r in report) == sorted(map(str, files))  # each met every file
        added = [r["path"] for report in reports for r in report if r["outcome"] == "added"]
        assert sorted(added) == sorted(map(str, files))  # each added by exactly one of them

        library = Library(Settings(index_dir=tmp_path / "reader", chroma_url=chroma.url))
        entries = library.entries()
        assert sorted(e.source_path for e in entries) == sorted(map(str, files))
        assert library.catalog.claims() == {}
        texts = library.catalog.records.find({"kind": "text"}, documents=False)
        rows = library.catalog.records.find({"kind": "entry"}, documents=False)
        named = sorted((r.metadata["article"], r.metadata["version"]) for r in rows)
        assert named == sorted((r.metadata["article"], r.metadata["version"]) for r in texts)
        assert len(texts) == SHARED  # each entry's text there, and no unpublished version left
        for entry in entries:
            manifest = library.indexes.directory(entry.id).current_manifest()
            assert manifest is not None and manifest.article_sha256 == entry.text_sha256
    finally:
        chroma.stop()


@pytest.mark.integration
def test_on_a_terminal_one_progress_bar_covers_the_whole_job(tmp_path: Path) -> None:
    """Standard error a terminal (a pseudo-terminal here): one bar for all the files, articles done of
    all and the rate, then the summary line."""
    _archive(tmp_path / "archive", 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"PYTHONPATH": str(ROOT), "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "COLUMNS": "120"}
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _COMMAND, "add", str(tmp_path / "archive")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0
    text = shown.decode("utf-8", "replace")
    assert "Adding articles" in text and "3/3" in text, text
    assert "/min" in text or "/s" in text, text  # the rate
    assert "Done: 3 added, 0 updated, 0 unchanged, 0 failed of 3 files" in text
