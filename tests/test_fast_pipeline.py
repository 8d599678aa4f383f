"""The fast tier: the whole pipeline over the default article in a second, no model and no files for Chroma.

A fake embedder (words hashed into vectors, ``tests/index/fakes.py``) and an in-memory Chroma client
stand in for MiniLM and the persisted store; everything else is the real code: splitting, the
manifest and ``CURRENT`` on disk, hybrid retrieval, the extractive answerer, citations. What the
real model answers is checked by the integration tier (``tests/answer/test_golden.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant import Assistant, Settings
from assistant.schema import Turn
from tests.index.chroma_server import ChromaServer
from tests.index.fakes import HashingEmbedder


def _in_memory_client() -> chromadb.api.ClientAPI:
    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


def _fast_assistant(index_dir: Path, client: chromadb.api.ClientAPI | None = None) -> Assistant:
    return Assistant(
        Settings(index_dir=index_dir),
        embeddings=HashingEmbedder(),
        chroma_client=client or _in_memory_client(),
    )


@pytest.fixture(
    scope="module",
    params=["in-memory", pytest.param("chroma-server", marks=pytest.mark.integration)],
)
def fast(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The answering tests run twice: on an in-memory client, and on a real `chroma run` server
    (ASSISTANT_CHROMA_URL: the pointer and the lock on the server too), a few seconds more."""
    folder = tmp_path_factory.mktemp("fast")
    if request.param == "in-memory":
        assistant = _fast_assistant(folder / "index")
        assistant.open()
        yield assistant
        return
    server = ChromaServer(folder / "chroma-data").start()
    try:
        assistant = Assistant(
            Settings(index_dir=folder / "index", chroma_url=server.url), embeddings=HashingEmbedder()
        )
        assistant.open()
        yield assistant
    finally:
        server.stop()


def _collections(assistant: Assistant) -> dict[str, int]:
    client = assistant.index_directory.store.client(None)
    return {c.name: c.count() for c in client.list_collections()}


def test_index_is_built_into_the_given_client_with_the_fake_model_recorded(tmp_path):
    assistant = _fast_assistant(tmp_path / "index")
    assert assistant.build_index() is True
    manifest = assistant.index_directory.current_manifest()
    assert manifest.embedding_model == HashingEmbedder.model_id
    stored = _collections(assistant)
    assert {name: stored[name] for name in manifest.expected_rows()} == manifest.expected_rows()
    build = assistant.index_directory.current_build()
    assert sorted(p.name for p in build.iterdir()) == ["manifest.json"]  # Chroma wrote no files
    assert assistant.build_index() is False


@pytest.mark.parametrize(
    "question",
    [
        "Who wrote this piece?",
        "Which provinces were the missiles fired from?",
        "Which agency also cited General Ramazan Sharif?",
    ],
)
def test_answers_cite_the_article_verbatim(fast, question):
    answer, article = fast.ask_with_article(question)
    assert answer.answerable, answer.text
    assert answer.citations
    for citation in answer.citations:
        assert article.text[citation.start : citation.end] == citation.text


def test_follow_up_borrows_the_subject_of_the_previous_question(fast):
    first = "How many people were killed in the Tehran attack?"
    answer = fast.ask("And how many were injured?", [Turn(role="user", content=first)])
    assert answer.answerable, answer.text
    assert any("wounded 50" in citation.text for citation in answer.citations)


def test_question_the_article_does_not_touch_is_declined(fast):
    answer = fast.ask("What is the best recipe for banana bread?")
    assert not answer.answerable
    assert answer.text.startswith("The article does not say.")
    assert answer.status == ("not_stated" if answer.citations else "declined")


def test_health_check_passes_and_probes_the_embedder(fast):
    probes = fast.embeddings.probes
    fast.check()
    assert fast.embeddings.probes == probes + 1


def test_rebuild_replaces_the_collections_without_duplicates_or_leftovers(tmp_path):
    assistant = _fast_assistant(tmp_path / "index")
    assistant.build_index()
    first = assistant.index_directory.current_manifest()
    made = [first]
    for _ in range(3):
        assert assistant.build_index(rebuild=True) is True
        made.append(assistant.index_directory.current_manifest())
    current = made[-1]
    opened = assistant.index_directory.open()
    ids = opened.passages.get()["ids"]
    assert len(ids) == len(set(ids)) == current.passages
    assert (current.sentences, current.passages) == (first.sentences, first.passages)
    kept = {p.name for p in (assistant.index_directory.root / "builds").iterdir()}
    assert len(kept) == 2  # the current build and the one before it
    stored = _collections(assistant)  # the in-memory client is shared: other tests' builds are there too
    for manifest in made:
        expected = manifest.expected_rows() if manifest.collection.endswith(tuple(kept)) else {}
        assert {name: stored[name] for name in manifest.expected_rows() if name in stored} == expected
    assert assistant.ask("Who wrote this piece?").answerable


def test_collections_gone_from_the_client_make_the_build_stale_and_rebuilt(tmp_path):
    client = _in_memory_client()
    assistant = _fast_assistant(tmp_path / "index", client)
    assistant.build_index()
    manifest = assistant.index_directory.current_manifest()
    client.delete_collection(manifest.collection_name("passage"))
    reason = assistant.index_directory.staleness(assistant.article, HashingEmbedder.model_id)
    assert reason is not None and "is missing" in reason
    assert assistant.build_index() is True
    assert assistant.ask("Who wrote this piece?").answerable


def test_another_embedding_model_makes_the_build_stale(tmp_path):
    client = _in_memory_client()
    _fast_assistant(tmp_path / "index", client).build_index()

    class OtherModel(HashingEmbedder):
        model_id = "fake/another-model@tests"

    other = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=OtherModel(), chroma_client=client)
    assert other.index_directory.staleness(other.article, other.embeddings.model_id) == (
        "the embedding model changed"
    )
    assert other.build_index() is True
    assert other.index_directory.current_manifest().embedding_model == "fake/another-model@tests"
