"""A real ``chroma run`` server for the library's server-mode tests: one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.index.chroma_server import ChromaServer


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma")).start()
    yield server
    server.stop()
