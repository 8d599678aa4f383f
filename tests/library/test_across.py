"""Questions across all articles: routed to the article that answers, named, cited in that article.

One library of five small real articles (real MiniLM embeddings and cross-encoder, Chroma on disk) beside
the configured seed article, shared by the module: the router is built by ``Library.add`` itself. The
surfaces (``/api/ask``, the ``openai`` client, ``assistant ask``) run against the same library.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.library.router import ROUTING, ArticleRouter
from assistant.library.shelf import ALL, Shelf
from assistant.pipeline import Assistant
from assistant.schema import Answer, Turn
from assistant.web.app import create_app
from tests.library.shared import library_beside

pytestmark = [pytest.mark.integration, pytest.mark.server]

TESTS = Path(__file__).resolve().parents[1]
FILES = (
    TESTS / "ingest" / "articles" / "lighthouse.txt",
    TESTS / "ingest" / "articles" / "flood-barrier.txt",
    TESTS / "library" / "data" / "lakeshore-birds.md",
    TESTS / "library" / "data" / "riverside-park.html",
    TESTS / "library" / "data" / "harbor-ferry.html",
)
DEFAULT_ID = "henningsen-2017-iran-missile-strike"
QUESTIONS = {
    "lighthouse": ("When was the lighthouse automated?", "1972"),
    "flood-barrier": ("How much will the flood barrier cost?", "41 million pounds"),
    "lakeshore-birds": ("How many bird species did the volunteers count?", "212"),
    "riverside-park": ("How many acres does the park plan set aside?", "14 acres"),
    "harbor-ferry": ("How much did the ferry's repairs cost?", "1.2 million dollars"),
    DEFAULT_ID: ("Which agency also cited General Ramazan Sharif?", "AP"),
}
OFF_TOPIC = "What is the boiling point of mercury?"


@pytest.fixture(scope="module")
def library(assistant: Assistant, index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The seed article's index copied from the session's (``assistant ask`` finds it built)."""
    root = tmp_path_factory.mktemp("across")
    shutil.copytree(index_dir, root / "index", ignore=shutil.ignore_patterns("library", "articles"))
    return library_beside(assistant, root, *FILES)


@pytest.fixture(scope="module")
def shelf(assistant: Assistant, library: Library) -> Shelf:
    return Shelf(assistant, library)


def _text_of(shelf: Shelf, article_id: str) -> str:
    if article_id == shelf.default_id:
        return shelf.default.article.text
    library = shelf.library
    return load_article(library.article_path(article_id), library.settings.max_article_chars).text


def _assert_from(shelf: Shelf, answer: Answer, article_id: str) -> None:
    """Answered from ``article_id``: named once, every citation verbatim at its offsets there."""
    title = next(a.title for a in shelf.articles() if a.id == article_id)
    assert answer.answerable, answer.text
    assert answer.text.startswith(f"From “{title}”: ") and answer.text.count("From “") == 1
    text = _text_of(shelf, article_id)
    assert answer.citations
    for citation in answer.citations:
        assert citation.source is not None and citation.source.id == article_id
        assert citation.source.title == title
        assert text[citation.start : citation.end] == citation.text


@pytest.mark.parametrize("article_id", list(QUESTIONS))
def test_question_is_answered_from_the_article_that_says_it(shelf: Shelf, article_id: str) -> None:
    question, expected = QUESTIONS[article_id]
    scoped = shelf.scoped(ALL, across=True)
    assert scoped.across and scoped.source.id == ALL
    answer = scoped.attribute(scoped.assistant.ask(question))
    _assert_from(shelf, answer, article_id)
    assert expected in answer.text


def test_off_topic_question_is_declined(shelf: Shelf) -> None:
    answer = shelf.scoped(ALL, across=True).assistant.ask(OFF_TOPIC)
    assert not answer.answerable
    assert all(c.source is not None for c in answer.citations)


def test_follow_up_stays_with_the_article_that_answered(
    shelf: Shelf, monkeypatch: pytest.MonkeyPatch
) -> None:
    across = shelf.scoped(ALL, across=True).assistant
    first = across.ask("When was the Harbourtown Lighthouse first lit?")
    _assert_from(shelf, first, "lighthouse")
    history = [Turn(role="user", content="When was the Harbourtown Lighthouse first lit?")]
    history.append(Turn(role="assistant", content=first.text))
    asked = _count_evidence(monkeypatch)
    follow_up = across.ask("And how tall is its tower?", history)
    assert asked == ["Harbourtown Lighthouse"]  # it leans on the answer: not routed afresh
    _assert_from(shelf, follow_up, "lighthouse")
    # what the article's own assistant answers, given the history without the article's name in it
    plain = [history[0], Turn(role="assistant", content=first.text.split(": ", 1)[1])]
    scoped = shelf.scoped("lighthouse").assistant.ask("And how tall is its tower?", plain)
    assert follow_up.text == "From “Harbourtown Lighthouse”: " + scoped.text


def _count_evidence(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the articles whose evidence is gathered from now on, in order."""
    asked: list[str] = []
    evidence = Assistant.evidence

    def counted(self: Assistant, question: str, history=(), *, cancel=None):  # noqa: ANN001, ANN202
        asked.append(self.article.title)
        return evidence(self, question, history, cancel=cancel)

    monkeypatch.setattr(Assistant, "evidence", counted)
    return asked


def test_per_question_work_is_bounded(shelf: Shelf, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _count_evidence(monkeypatch)
    across = shelf.scoped(ALL, across=True).assistant
    for article_id, (question, _) in QUESTIONS.items():
        asked.clear()
        across.ask(question)
        if article_id == DEFAULT_ID:  # not in the router: asked after the router's few, which do not answer
            assert len(asked) == ROUTING.articles + 1 and asked[-1] == shelf.default.article.title, asked
        else:  # the nearest article answers it: the others are not asked (a scoped question's cost)
            assert len(asked) == 1, (article_id, asked)
    asked.clear()
    across.ask(OFF_TOPIC)  # no article answers: the router's few, plus the configured article
    assert 2 <= len(asked) <= ROUTING.articles + 1, asked
    assert len(shelf.ids()) == len(FILES) + 1 > ROUTING.articles + 1


def test_without_a_router_the_configured_article_answers(
    shelf: Shelf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ArticleRouter, "candidates", lambda self, vector: [])  # not built yet
    question, expected = QUESTIONS[DEFAULT_ID]
    answer = shelf.scoped(ALL, across=True).assistant.ask(question)
    _assert_from(shelf, answer, DEFAULT_ID)
    assert expected in answer.text


def test_reconcile_twice_leaves_the_same_rows(library: Library) -> None:
    router = ArticleRouter(library.indexes)
    before = router.catalog.current()
    assert router.reconcile(library.entries()) is False  # Library.add brought it in step already
    assert router.catalog.current() == before
    assert set(router.routed()) == {e.id for e in library.entries()}
    manifest = before[1] if before else None
    assert manifest is not None
    client = router.store.client(router.catalog.build_path(manifest["build"]))
    ids = client.get_collection(f"{manifest['collection']}-sentences").get(include=[])["ids"]
    assert len(ids) == manifest["rows"] == sum(e.sentences for e in library.entries())
    entry = library.entry("lighthouse")
    assert f"lighthouse:{entry.text_sha256[:16]}:0" in ids


def test_changed_and_removed_articles_are_followed(shelf: Shelf, library: Library, tmp_path: Path) -> None:
    draft = Path(shutil.copy(TESTS / "ingest" / "articles" / "night-trains.md", tmp_path / "night-trains.md"))
    question = "How long does the night train from Vienna to Hamburg take?"
    across = shelf.scoped(ALL, across=True).assistant
    library.add(draft)
    try:
        first = across.ask(question)
        _assert_from(shelf, first, "night-trains")
        assert "13 hours" in first.text
        draft.write_text(draft.read_text(encoding="utf-8").replace("about 13 hours", "about 11 hours"))
        library.add(draft)
        second = across.ask(question)
        _assert_from(shelf, second, "night-trains")
        assert "11 hours" in second.text and "13 hours" not in second.text
    finally:
        library.remove("night-trains")
    vector = shelf.default.embeddings.embed_query_vector(question)
    assert "night-trains" not in ArticleRouter(library.indexes).candidates(vector)
    assert all(s.source.id != "night-trains" for s in shelf.route(vector))


def test_only_the_default_article_makes_all_that_article(assistant: Assistant, tmp_path: Path) -> None:
    settings = assistant.settings.model_copy(update={"index_dir": tmp_path / "index"})
    alone = Shelf(assistant, Library(settings, assistant.embeddings, assistant.reranker))
    scoped = alone.scoped(ALL, across=True)
    assert scoped.assistant is assistant and scoped.source.id == alone.default_id and not scoped.across


# -- the surfaces --


@pytest.fixture(scope="module")
def base_url(assistant: Assistant, shelf: Shelf, serve) -> str:  # noqa: ANN001
    return serve(create_app(assistant, with_ui=False, shelf=shelf))


@pytest.fixture()
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http


@pytest.fixture()
def openai_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0)


def test_api_ask_all_names_the_article_of_each_citation(client: httpx.Client, shelf: Shelf) -> None:
    question, expected = QUESTIONS["flood-barrier"]
    body = client.post("/api/ask", json={"question": question, "article": ALL}).json()
    answer = Answer(text=body["answer"], answerable=body["answerable"], citations=body["citations"])
    _assert_from(shelf, answer, "flood-barrier")
    assert expected in body["answer"]


def test_models_list_all(openai_client: openai.OpenAI) -> None:
    ids = [m.id for m in openai_client.models.list()]
    assert ids[0] == "article-assistant" and ids[-1] == ALL and DEFAULT_ID in ids and "lighthouse" in ids


def test_openai_model_all_answers_streamed_and_not(openai_client: openai.OpenAI, shelf: Shelf) -> None:
    question, expected = QUESTIONS["lakeshore-birds"]
    messages = [{"role": "user", "content": question}]
    completion = openai_client.chat.completions.create(model=ALL, messages=messages)
    content = completion.choices[0].message.content or ""
    assert completion.model == ALL and content.startswith("From “Volunteers Count") and expected in content
    citations = completion.model_extra["citations"]
    assert citations and all(c["source"]["id"] == "lakeshore-birds" for c in citations)

    chunks = list(openai_client.chat.completions.create(model=ALL, messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1].model_extra
    assert streamed == content == final["content"]
    assert [c["source"]["id"] for c in final["citations"]] == [c["source"]["id"] for c in citations]


def test_cli_ask_article_all(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(library.settings.index_dir))
    monkeypatch.setenv("ASSISTANT_LIBRARY_DIR", str(library.settings.library_dir))
    question, expected = QUESTIONS["harbor-ferry"]
    result = CliRunner().invoke(app, ["ask", "--json", "--article", ALL, question])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["answer"].startswith("From “Harbor Ferry") and expected in body["answer"]
    assert body["citations"] and all(c["source"]["id"] == "harbor-ferry" for c in body["citations"])
