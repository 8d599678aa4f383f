"""``POST /api/feedback`` over real HTTP: stored with 201, refused with 422/429/401/403/404 and a message,
and documented in the OpenAPI schema. The server serves a library article beside the seed article (real
MiniLM index): a rating is checked against the article each citation names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.feedback import FeedbackStore, read_entries
from assistant.library import Library
from assistant.library.shelf import Shelf
from assistant.web.app import create_app
from tests.library.shared import library_beside

pytestmark = [pytest.mark.integration, pytest.mark.server]
KEY = "k" * 32
QUESTION = "Which agency also cited General Ramazan Sharif?"
LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"
LIGHTHOUSE_QUESTION = "When was the lighthouse automated?"


@pytest.fixture(scope="module")
def library(assistant, tmp_path_factory) -> Library:
    return library_beside(assistant, tmp_path_factory.mktemp("feedback-library"), LIGHTHOUSE)


@pytest.fixture(scope="module")
def app(assistant, library, tmp_path_factory):
    db = tmp_path_factory.mktemp("feedback") / "fb.sqlite3"
    settings = assistant.settings.model_copy(update={"feedback_db": db})
    return create_app(assistant, settings, with_ui=False, shelf=Shelf(assistant, library))


@pytest.fixture(scope="module")
def base_url(app, serve) -> str:
    return serve(app)


@pytest.fixture()
def store(app, tmp_path) -> Iterator[FeedbackStore]:
    """A fresh database for each test, with a clock that only moves when the test moves it."""
    saved = app.state.feedback
    app.state.feedback = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=3, clock=lambda: 0.0)
    yield app.state.feedback
    app.state.feedback = saved


@pytest.fixture()
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def answered(assistant) -> dict:
    """An answer as /api/ask gives it, the body a client rates."""
    answer = assistant.ask(QUESTION)
    citations = [c.model_dump() for c in answer.citations]
    return {"rating": "up", "question": QUESTION, "answer": answer.text, "citations": citations}


def test_rating_is_stored_with_201_and_its_id(client, store, answered, assistant):
    response = client.post("/api/feedback", json={**answered, "note": "spot on, thanks"})
    assert response.status_code == 201 and response.json() == {"id": 1}
    (entry,) = read_entries(store.path)
    assert (entry.rating, entry.note, entry.surface, entry.question) == (
        "up",
        "spot on, thanks",
        "api",
        QUESTION,
    )
    assert [c.model_dump() for c in entry.citations] == answered["citations"]
    assert entry.article_sha256 == assistant.article.sha256
    assert b"127.0.0.1" not in store.path.read_bytes()


def test_surface_is_always_api_whatever_the_client_says(client, store, answered):
    assert client.post("/api/feedback", json={**answered, "surface": "chat"}).status_code == 201
    assert next(read_entries(store.path)).surface == "api"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rating": "meh"}, "rating: Input should be 'up' or 'down'"),
        ({"rating": None}, "rating"),
        ({"question": ""}, "question"),
        ({"answer": "x" * 20_001}, "answer: String should have at most 20000 characters"),
        ({"note": "n" * 1001}, "note: String should have at most 1000 characters"),
        ({"citations": [{"id": 1, "text": "x", "start": 0, "end": 1}] * 11}, "citations: List should have"),
        ({"citations": "none"}, "citations"),
    ],
)
def test_bad_ratings_get_422_with_a_message_and_nothing_stored(client, store, answered, change, message):
    response = client.post("/api/feedback", json={**answered, **change})
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert not store.path.exists()


def test_forged_citation_gets_422_naming_it(client, store, answered):
    forged = {**answered["citations"][0], "text": "Iran admitted everything."}
    response = client.post("/api/feedback", json={**answered, "citations": [forged]})
    assert response.status_code == 422
    assert "citation 1" in response.json()["detail"] and "not a verbatim span" in response.json()["detail"]
    shifted = {**answered["citations"][0]}
    shifted["start"] += 1
    assert client.post("/api/feedback", json={**answered, "citations": [shifted]}).status_code == 422
    assert not store.path.exists()


def test_fourth_rating_in_a_minute_gets_429_with_retry_after(client, store, answered):
    for _ in range(3):
        assert client.post("/api/feedback", json=answered).status_code == 201
    refused = client.post("/api/feedback", json=answered)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "at most 3 a minute" in refused.json()["detail"]
    assert len(list(read_entries(store.path))) == 3


def test_disabled_feedback_gets_403_saying_how_to_enable_and_writes_nothing(
    assistant, serve, answered, tmp_path
):
    db = tmp_path / "fb.sqlite3"
    settings = assistant.settings.model_copy(update={"feedback_enabled": False, "feedback_db": db})
    url = serve(create_app(assistant, settings, with_ui=False))
    response = httpx.post(f"{url}/api/feedback", json=answered, timeout=30)
    assert response.status_code == 403
    assert "ASSISTANT_FEEDBACK_ENABLED=true" in response.json()["detail"]
    assert not db.exists() and not db.parent.joinpath("fb.sqlite3-wal").exists()


def test_api_keys_apply_to_feedback(assistant, serve, answered, tmp_path):
    db = tmp_path / "fb.sqlite3"
    settings = assistant.settings.model_copy(update={"api_keys": [KEY], "feedback_db": db})
    url = serve(create_app(assistant, settings, with_ui=False))
    missing = httpx.post(f"{url}/api/feedback", json=answered, timeout=30)
    wrong = httpx.post(f"{url}/api/feedback", json=answered, headers={"Authorization": "Bearer " + "x" * 32})
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == "Bearer" and not db.exists()
    allowed = httpx.post(f"{url}/api/feedback", json=answered, headers={"Authorization": f"Bearer {KEY}"})
    assert allowed.status_code == 201 and db.exists()


def test_malformed_json_gets_4xx_not_500(client, store):
    response = client.post(
        "/api/feedback", content=b'{"rating": \xff', headers={"content-type": "application/json"}
    )
    assert response.status_code in {400, 422} and response.json()["detail"]


def test_openapi_documents_the_route_its_limits_and_refusals(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/feedback"]["post"]
    assert {"201", "401", "403", "404", "422", "429", "503"} <= set(operation["responses"])
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[1]
    body = client.get("/openapi.json").json()["components"]["schemas"][name]
    assert body["properties"]["note"]["maxLength"] == 1000
    assert body["properties"]["citations"]["maxItems"] == 10
    assert body["properties"]["rating"]["enum"] == ["up", "down"]


@pytest.fixture(scope="module")
def answered_lighthouse(base_url) -> dict:
    """An answer about the library article as ``/api/ask`` gives it: each citation names its article."""
    asked = {"question": LIGHTHOUSE_QUESTION, "article": "lighthouse"}
    answer = httpx.post(f"{base_url}/api/ask", json=asked, timeout=60).json()
    assert "1972" in answer["answer"] and answer["citations"][0]["source"]["id"] == "lighthouse"
    return {"rating": "down", "question": LIGHTHOUSE_QUESTION, "answer": answer["answer"], **answer}


def _rating(answered: dict, **change: object) -> dict:
    body = {k: answered[k] for k in ("rating", "question", "answer", "citations")}
    return {**body, **change}


def _without_sources(citations: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "source"} for c in citations]


def test_a_rating_about_a_library_article_is_checked_against_it_and_stored_with_it(
    client, store, answered_lighthouse, library
):
    cited = answered_lighthouse["citations"]
    by_source = client.post("/api/feedback", json=_rating(answered_lighthouse))
    by_field = client.post(
        "/api/feedback",
        json=_rating(answered_lighthouse, citations=_without_sources(cited), article="lighthouse"),
    )
    assert (by_source.status_code, by_field.status_code) == (201, 201)
    sha256 = library.entry("lighthouse").text_sha256
    stored = [(e.article_title, e.article_sha256) for e in read_entries(store.path)]
    assert stored == [("Harbourtown Lighthouse", sha256)] * 2


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        # an old client (no source, no article): checked against the default article, as before
        ({"sources": False}, 422, "is not a verbatim span of the article"),
        ({"article": "no-such-article"}, 404, "no article 'no-such-article' is served here"),
        ({"source": "no-such-article"}, 404, "no article 'no-such-article' is served here"),
        ({"source": "Not An Id!"}, 404, "no article 'Not An Id!'"),
        ({"article": "Not An Id!"}, 422, "article"),
    ],
)
def test_a_rating_naming_another_or_no_article_is_refused_and_nothing_stored(
    client, store, answered_lighthouse, change, status, message
):
    citations = answered_lighthouse["citations"]
    if change.get("sources") is False:
        citations = _without_sources(citations)
    if "source" in change:
        citations = [{**c, "source": {"id": change["source"], "title": "x"}} for c in citations]
    body = _rating(answered_lighthouse, citations=citations)
    if "article" in change:
        body["article"] = change["article"]
    response = client.post("/api/feedback", json=body)
    assert response.status_code == status and message in response.json()["detail"]
    assert not store.path.exists() or not list(read_entries(store.path))


def test_a_citation_naming_the_library_article_with_the_seed_article_s_text_is_refused(
    client, store, answered, answered_lighthouse
):
    source = answered_lighthouse["citations"][0]["source"]
    forged = [{**c, "source": source} for c in answered["citations"]]
    response = client.post("/api/feedback", json={**answered, "citations": forged})
    assert response.status_code == 422
    assert "not a verbatim span of the article 'Harbourtown Lighthouse'" in response.json()["detail"]


@pytest.fixture()
def capped(app, tmp_path) -> Iterator[FeedbackStore]:
    """A fresh database of at most 64 KiB, and room for many ratings a minute."""
    saved = app.state.feedback
    app.state.feedback = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=1000, max_db_bytes=64 * 1024)
    yield app.state.feedback
    app.state.feedback = saved


def test_only_what_the_article_says_about_a_citation_is_stored(client, capped, answered):
    """The repro: speaker, section and source title of 65,000 characters each, on 5 citations, 9 times
    (9 MB of SQLite before). Stored: the sentence's own speaker and section, the article's title."""
    default = next(a for a in client.get("/api/articles").json()["articles"] if a["default"])
    huge = "x" * 65_000
    claimed = {**answered["citations"][0], "speaker": huge, "section": huge}
    claimed["source"] = {"id": default["id"], "title": huge}
    body = {**answered, "citations": [claimed] * 5}
    for _ in range(9):
        assert client.post("/api/feedback", json=body).status_code == 201
    entries = list(read_entries(capped.path))
    first = answered["citations"][0]
    assert len(entries) == 9 and {len(e.citations) for e in entries} == {5}
    for stored in entries[0].citations:
        assert (stored.speaker, stored.section) == (first["speaker"], first["section"])
        assert stored.source is not None and stored.source.title == default["title"]
    assert sum(p.stat().st_size for p in capped.path.parent.iterdir()) < 200_000  # 9 MB before


def test_a_full_database_refuses_ratings_with_503_saying_why_and_the_rest_answers(client, capped, answered):
    statuses = [
        client.post("/api/feedback", json={**answered, "answer": f"{n} " + "a" * 19_000}).status_code
        for n in range(12)
    ]
    assert statuses[0] == 201 and statuses[-1] == 503 and set(statuses) == {201, 503}
    refused = client.post("/api/feedback", json={**answered, "answer": "b" * 19_000})
    detail = refused.json()["detail"]
    assert refused.status_code == 503 and "full" in detail and "ASSISTANT_FEEDBACK_MAX_DB_BYTES" in detail
    assert str(capped.path.parent) not in refused.text
    assert capped.path.stat().st_size <= 64 * 1024
    assert len(list(read_entries(capped.path))) == statuses.count(201)  # kept, and exported
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
