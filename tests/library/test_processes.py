"""The library across processes: two adding at once, and one killed half-way through an update.

Real processes (``Library`` in each, as ``assistant add`` runs it) with ``HashingEmbedder`` for the
indexes: the tests are about the catalog's consistency, not answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.index.builds import IndexDirectory
from assistant.ingest.parse import load_article
from assistant.library import Library, UnknownArticle
from assistant.settings import Settings
from tests.index.fakes import HashingEmbedder

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]

_ADD = """
import json, sys
from pathlib import Path
from assistant.library import Library, UnknownArticle
from assistant.settings import load_settings
from tests.index.fakes import HashingEmbedder
library = Library(load_settings(), embeddings=HashingEmbedder())
print(json.dumps({p: library.add(Path(p)).outcome.value for p in sys.argv[1:]}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return clean | {"PYTHONPATH": str(ROOT), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}


def test_two_processes_adding_the_same_files_at_once(tmp_path: Path) -> None:
    """Whatever the interleaving, each file ends up in the library once: one id, one version, one index."""
    files = [
        str(DATA / "riverside-park.html"),
        str(DATA / "lakeshore-birds.md"),
        str(DATA / "harbor-ferry.html"),
    ]
    env = _env(tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _ADD, *order],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (files, files[::-1])
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    reports = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    for path in files:
        assert sorted(report[path] for report in reports) == ["added", "unchanged"]

    library = Library(Settings(index_dir=tmp_path / "index"))
    entries = library.entries()
    assert [e.id for e in entries] == ["harbor-ferry", "lakeshore-birds", "riverside-park"]
    assert len(list(library.catalog.versions.iterdir())) == 3
    for entry in entries:
        assert load_article(library.article_path(entry.id)).sha256 == entry.text_sha256
        manifest = IndexDirectory(library.index_dir(entry.id)).current_manifest()
        assert manifest is not None and manifest.article_sha256 == entry.text_sha256


_KILLED_BEFORE_THE_SWITCH = """
import os, sys
from pathlib import Path
from assistant.library import Library, UnknownArticle
from assistant.library.catalog import LibraryCatalog
from assistant.settings import load_settings
from tests.index.fakes import HashingEmbedder
LibraryCatalog.publish = lambda *_: os._exit(9)  # killed after the new index, before the link switch
Library(load_settings(), embeddings=HashingEmbedder()).add(Path(sys.argv[1]))
"""


def test_a_process_killed_mid_update_leaves_the_old_version_whole(
    tmp_path: Path,
) -> None:
    """Killed (``os._exit``, no clean-up) after the new version's index became current and before the
    version itself was published: readers see the old text and entry; the next change to the library
    makes the old text's build current again and deletes the orphan; adding the file again updates."""
    draft = Path(shutil.copy(DATA / "lakeshore-birds.md", tmp_path / "lakeshore-birds.md"))
    settings = Settings(index_dir=tmp_path / "index")
    library = Library(settings, embeddings=HashingEmbedder())
    first = library.add(draft).entry
    draft.write_text(draft.read_text(encoding="utf-8").replace("212 species", "213 species"), "utf-8")

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BEFORE_THE_SWITCH, str(draft)],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == 9, killed.stderr
    assert library.entry(first.id) == first  # readers still see the old version, whole
    assert load_article(library.article_path(first.id)).sha256 == first.text_sha256
    assert len(list(library.catalog.versions.iterdir())) == 2  # the unpublished new one, left behind
    index = IndexDirectory(library.index_dir(first.id))
    assert index.current_manifest().article_sha256 != first.text_sha256  # the new text's build is current

    with pytest.raises(UnknownArticle):  # any change to the library puts the old version's build back
        library.remove("no-such-article")
    assert index.current_manifest().article_sha256 == first.text_sha256
    assert len(list(library.catalog.versions.iterdir())) == 1

    result = library.add(draft)
    assert result.outcome.value == "updated"
    assert result.entry.id == first.id
    assert "213 species" in library.article_path(first.id).read_text(encoding="utf-8")
    manifest = IndexDirectory(library.index_dir(first.id)).current_manifest()
    assert manifest is not None and manifest.article_sha256 == result.entry.text_sha256
    assert len(list(library.catalog.versions.iterdir())) == 1
