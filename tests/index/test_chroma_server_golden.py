"""The golden set answered from a real ``chroma run`` server, with the real models: every answer, its
text and its citations' offsets, is the one the embedded store gives. So the quality floors of
``tests/answer/test_golden.py`` hold in server mode too, for the cost of one pass, not a second suite:
CI's pass is a fixed third of the set (``fixed_sample``), ``make eval``'s (``--full-eval``) all of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.evaluation import CHECKOUT_GOLDEN_SET, fixed_sample, load_golden_set, run_item
from tests.index.chroma_server import ChromaServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def on_server(tmp_path_factory: pytest.TempPathFactory, assistant: Assistant) -> Iterator[Assistant]:
    folder: Path = tmp_path_factory.mktemp("golden-on-server")
    server = ChromaServer(folder / "chroma-data").start()
    try:
        served = Assistant(
            Settings(index_dir=folder / "index", chroma_url=server.url),
            embeddings=assistant.embeddings,
            reranker=assistant.reranker,
        )
        served.open()
        yield served
    finally:
        server.stop()


def test_golden_answers_from_the_server_are_the_embedded_stores(on_server, assistant, full_eval):
    items = load_golden_set(CHECKOUT_GOLDEN_SET)
    different = []
    for item in items if full_eval else fixed_sample(items, 3):
        embedded, _ = run_item(assistant, item)
        served, _ = run_item(on_server, item)
        if (served.text, served.citations) != (embedded.text, embedded.citations):
            different.append(f"{item.id}: {served.text!r} != {embedded.text!r}")
    assert not different, "\n".join(different)
