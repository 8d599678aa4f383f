"""Shared fixtures: a clean environment for every test, and one real index built per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.embeddings import MiniLMEmbeddings

SHARED_DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ASSISTANT_* setting leaks in, and nothing is written into the repository's index/."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    yield


@pytest.fixture(scope="session")
def embeddings() -> MiniLMEmbeddings:
    """The real all-MiniLM-L6-v2 model, loaded once."""
    return MiniLMEmbeddings()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def assistant(index_dir: Path, embeddings: MiniLMEmbeddings) -> Assistant:
    """An assistant over the default article, with its real Chroma index built on disk."""
    ready = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    ready.open()
    return ready
