"""The shelf keeps at most ``ASSISTANT_OPEN_ARTICLES`` library articles open, and closing one releases
its Chroma store without failing a question still answering from it.

Real MiniLM embeddings and real Chroma stores on disk: the answers are checked, and so is what chromadb
holds. chromadb keeps each folder's store in a process-wide cache with a count of the clients opened on
it (``SharedSystemClient``); the store is freed when that count drops to zero, so "released" below means
the article's count is back where it was before its assistant opened it (the builds made in this process
by ``Library.add`` hold their own share).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant import Assistant
from assistant.library import Library
from assistant.library.shelf import Shelf

pytestmark = pytest.mark.integration

TESTS = Path(__file__).resolve().parents[1]
SOURCES = (
    TESTS / "ingest" / "articles" / "lighthouse.txt",
    TESTS / "ingest" / "articles" / "flood-barrier.txt",
    TESTS / "ingest" / "articles" / "night-trains.md",
    TESTS / "library" / "data" / "lakeshore-birds.md",
)
QUESTIONS = {
    "lighthouse": ("When was the lighthouse automated?", "1972"),
    "flood-barrier": ("How much will the flood barrier cost?", "41 million pounds"),
    "night-trains": ("How long does the night train from Vienna to Hamburg take?", "13 hours"),
    "lakeshore-birds": ("How many bird species did the volunteers count?", "212"),
}
DEFAULT_QUESTION = ("Which agency also cited General Ramazan Sharif?", "AP")
WAIT = 120.0  # an upper bound only: every wait below ends on an event


class PausingEmbeddings:
    """The real model, except that once armed, the next question's embedding waits for ``proceed``:
    the question is then in flight on its article, past opening it and before searching its store."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.armed = False
        self.entered = threading.Event()
        self.proceed = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def embed_query_vector(self, text: str) -> Any:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.proceed.wait(WAIT)
        return self.model.embed_query_vector(text)


@pytest.fixture(scope="module")
def settings(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("shelf-bound")
    update = {"index_dir": root / "index", "library_dir": root / "library", "open_articles": 2}
    return assistant.settings.model_copy(update=update)


@pytest.fixture(scope="module")
def built(settings: Any, assistant: Assistant) -> None:
    library = Library(settings, assistant.embeddings, assistant.reranker)
    for source in SOURCES:
        library.add(source)


@pytest.fixture()
def pausing(assistant: Assistant) -> PausingEmbeddings:
    return PausingEmbeddings(assistant.embeddings)


@pytest.fixture()
def shelf(settings: Any, built: None, assistant: Assistant, pausing: PausingEmbeddings) -> Iterator[Shelf]:
    """A shelf bound to 2 open articles, over the seed article (the session's index) and the four."""
    default_settings = assistant.settings.model_copy(update={"open_articles": 2})
    default = Assistant(default_settings, embeddings=assistant.embeddings, reranker=assistant.reranker)
    shelf = Shelf(default, Library(settings, pausing, assistant.reranker))
    yield shelf
    for article_id in shelf.open_ids:
        shelf.scoped(article_id).assistant.close()
    default.close()


def clients_on(shelf: Shelf, article_id: str) -> int:
    """How many chromadb clients hold the article's current build open in this process."""
    build = shelf.library.indexes.directory(article_id).current_build()
    return SharedSystemClient._identifier_to_refcount.get(str(build), 0)


def ask(shelf: Shelf, article_id: str | None) -> str:
    question, _ = QUESTIONS[article_id] if article_id else DEFAULT_QUESTION
    return shelf.scoped(article_id).assistant.ask(question).text


def test_at_most_the_bound_are_open_and_a_closed_article_answers_again(shelf: Shelf) -> None:
    ids = list(QUESTIONS)
    held = {article_id: clients_on(shelf, article_id) for article_id in ids}
    assert DEFAULT_QUESTION[1] in ask(shelf, None)
    for number, article_id in enumerate(ids):
        assert QUESTIONS[article_id][1] in ask(shelf, article_id)
        assert shelf.open_ids == tuple(ids[max(0, number - 1) : number + 1])  # least recently asked first
        assert clients_on(shelf, article_id) > held[article_id]  # its store is open
    for article_id in ids[:2]:
        assert clients_on(shelf, article_id) == held[article_id]  # closed: its share released
    for article_id in ids:  # each reopened, then closed again two questions later
        assert QUESTIONS[article_id][1] in ask(shelf, article_id)
        assert len(shelf.open_ids) <= 2
    assert shelf.open_ids == tuple(ids[2:])
    assert shelf.scoped().assistant is shelf.default
    assert shelf.default.served.current is not None  # never closed: answered from the index it opened first
    assert DEFAULT_QUESTION[1] in ask(shelf, None)


def test_asking_an_open_article_keeps_it_open_longest(shelf: Shelf) -> None:
    ask(shelf, "lighthouse")
    ask(shelf, "flood-barrier")
    ask(shelf, "lighthouse")  # now the most recently asked: flood-barrier goes first
    ask(shelf, "night-trains")
    assert shelf.open_ids == ("lighthouse", "night-trains")


def test_an_article_closed_while_a_question_is_in_flight_still_answers_it(
    shelf: Shelf, pausing: PausingEmbeddings
) -> None:
    held = clients_on(shelf, "lighthouse")
    lighthouse = shelf.scoped("lighthouse").assistant
    assert QUESTIONS["lighthouse"][1] in lighthouse.ask(QUESTIONS["lighthouse"][0]).text
    answers: list[str] = []
    pausing.armed = True
    asking = threading.Thread(target=lambda: answers.append(ask(shelf, "lighthouse")))
    asking.start()
    try:
        assert pausing.entered.wait(WAIT)
        ask(shelf, "flood-barrier")
        ask(shelf, "night-trains")  # the bound is 2: lighthouse, least recently asked, is closed
        assert "lighthouse" not in shelf.open_ids
        assert lighthouse.served.current is None
        assert clients_on(shelf, "lighthouse") > held  # the question in flight still holds the store
    finally:
        pausing.proceed.set()
        asking.join(WAIT)
    assert not asking.is_alive()
    assert len(answers) == 1 and QUESTIONS["lighthouse"][1] in answers[0]
    assert clients_on(shelf, "lighthouse") == held  # released once the question let go of it


def test_closing_leaves_a_shared_client_open_and_a_closed_assistant_opens_again(
    tmp_path: Path, assistant: Assistant
) -> None:
    """A given client (or a Chroma server's) is shared, not the assistant's to close. The fake
    embedder is enough: this is about the store, not the answers (which the tests above check)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from tests.index.fakes import HashingEmbedder

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    settings = assistant.settings.model_copy(update={"index_dir": tmp_path / "index"})
    shared = Assistant(settings, HashingEmbedder(), client, assistant.reranker)
    before = shared.ask(DEFAULT_QUESTION[0])
    collections = client.count_collections()
    shared.close()
    shared.close()  # twice: nothing more to do
    assert shared.served.current is None
    assert client.count_collections() == collections  # the client still answers
    assert shared.ask(DEFAULT_QUESTION[0]) == before  # opened again from the same client
    shared.close()
