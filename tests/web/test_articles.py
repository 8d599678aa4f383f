"""Questions about one article of several, over real HTTP: ``article`` in ``/api/ask``, ``model`` in ``/v1``.

A library of two small articles (real MiniLM embeddings, real Chroma on disk) beside the configured seed
article; the server runs while a third article is added and then removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import openai
import pytest

from assistant.ingest.parse import load_article
from assistant.library import Library
from assistant.library.shelf import Shelf
from assistant.schema import AskResponse
from assistant.web.app import create_app
from tests.library.shared import library_beside

pytestmark = [pytest.mark.integration, pytest.mark.server]

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"
BIRDS = Path(__file__).resolve().parents[1] / "library" / "data" / "lakeshore-birds.md"
DEFAULT_ID = "henningsen-2017-iran-missile-strike"
DEFAULT_QUESTION = "Which agency also cited General Ramazan Sharif?"
QUESTIONS = {
    "lighthouse": ("When was the lighthouse automated?", "1972"),
    "flood-barrier": ("How much will the flood barrier cost?", "41 million pounds"),
}
KEY = "articles-test-key"


@pytest.fixture(scope="module")
def library(assistant, tmp_path_factory) -> Library:
    files = (ARTICLES / "lighthouse.txt", ARTICLES / "flood-barrier.txt")
    return library_beside(assistant, tmp_path_factory.mktemp("articles"), *files)


@pytest.fixture(scope="module")
def base_url(assistant, library, serve) -> str:
    return serve(create_app(assistant, with_ui=False, shelf=Shelf(assistant, library)))


@pytest.fixture()
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http


@pytest.fixture()
def openai_client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0)


def _check_cites_only(citations: list[dict], library: Library, article_id: str) -> None:
    """Every citation names the article and is a verbatim span of its text (as the parser reads it)."""
    text = load_article(library.article_path(article_id), library.settings.max_article_chars).text
    title = library.entry(article_id).title
    assert citations
    for citation in citations:
        assert citation["source"] == {"id": article_id, "title": title}
        assert text[citation["start"] : citation["end"]] == citation["text"]


def test_articles_lists_the_default_first_then_the_library(client):
    response = client.get("/api/articles")
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["offset"], body["limit"], body["next_offset"]) == (3, 0, 100, None)
    articles = body["articles"]
    assert [a["id"] for a in articles] == [DEFAULT_ID, "flood-barrier", "lighthouse"]
    assert articles[0]["default"] is True and articles[0]["source"] == "configured"
    flood = articles[1]
    assert flood == {
        "id": "flood-barrier",
        "title": "City Council Approves New Flood Barrier",
        "byline": "Tom Okafor",
        "date": flood["date"],
        "source": "library",
        "default": False,
    }
    assert flood["date"] and "2024" in flood["date"]


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_articles_pages_walk_the_whole_list_once_with_the_default_first(client, limit):
    whole = client.get("/api/articles").json()["articles"]
    walked, offset = [], 0
    while offset is not None:
        response = client.get("/api/articles", params={"limit": limit, "offset": offset})
        assert response.status_code == 200
        page = response.json()
        assert (page["total"], page["offset"], page["limit"]) == (3, offset, limit)
        assert page["articles"] and len(page["articles"]) <= limit
        walked.extend(page["articles"])
        offset = page["next_offset"]
    assert walked == whole and len({a["id"] for a in walked}) == 3
    assert walked[0]["id"] == DEFAULT_ID and walked[0]["default"] is True
    past = client.get("/api/articles", params={"offset": 3}).json()
    assert (past["articles"], past["total"], past["next_offset"]) == ([], 3, None)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit takes a whole number from 1 to 1,000; got '0'"),
        ({"limit": 1001}, "limit takes a whole number from 1 to 1,000; got '1001'"),
        ({"limit": -1}, "limit takes a whole number from 1 to 1,000; got '-1'"),
        ({"limit": "ten"}, "limit takes a whole number from 1 to 1,000; got 'ten'"),
        ({"offset": -1}, "offset takes a whole number of at least 0; got '-1'"),
        ({"offset": "1.5"}, "offset takes a whole number of at least 0; got '1.5'"),
        ({"offset": ""}, "offset takes a whole number of at least 0; got ''"),
    ],
)
def test_a_bad_page_is_a_422_saying_what_to_give(client, params, message):
    response = client.get("/api/articles", params=params)
    assert response.status_code == 422
    assert response.json()["detail"] == f"invalid request: {message}"


def test_paging_is_documented_in_the_schema(client):
    schema = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/articles"]["get"]["parameters"]}
    limit, offset = parameters["limit"]["schema"], parameters["offset"]["schema"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == ("integer", 1, 1000, 100)
    assert (offset["type"], offset["minimum"], offset["default"]) == ("integer", 0, 0)
    assert all(p["description"] for p in parameters.values())
    listed = schema["components"]["schemas"]["ArticleList"]["properties"]
    assert set(listed) == {"articles", "total", "offset", "limit", "next_offset"}
    assert all(field["description"] for field in listed.values())
    library = schema["components"]["schemas"]["LibraryHealth"]["properties"]
    assert set(library) == {"articles", "changed_at"} and all(f["description"] for f in library.values())


@pytest.mark.parametrize("article_id", sorted(QUESTIONS))
def test_scoped_answer_cites_only_its_article(client, library, article_id):
    question, expected = QUESTIONS[article_id]
    body = client.post("/api/ask", json={"question": question, "article": article_id}).json()
    assert body["answerable"] is True and expected in body["answer"]
    _check_cites_only(body["citations"], library, article_id)


def test_without_article_the_answer_is_the_default_one_as_before(client, assistant):
    body = client.post("/api/ask", json={"question": DEFAULT_QUESTION}).json()
    source = {"id": DEFAULT_ID, "title": assistant.article.title}
    assert all(c.pop("source") == source for c in body["citations"])
    assert body == AskResponse.of(assistant.ask(DEFAULT_QUESTION)).model_dump(
        mode="json", exclude={"citations": {"__all__": {"source"}}}
    )
    by_id = client.post("/api/ask", json={"question": DEFAULT_QUESTION, "article": DEFAULT_ID}).json()
    assert [c.pop("source") for c in by_id["citations"]] == [source] * len(by_id["citations"])
    assert by_id == body


def test_unknown_article_is_404_naming_known_ids_and_all_answers_across(client):
    response = client.post("/api/ask", json={"question": "When was it built?", "article": "no-such-article"})
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "'no-such-article'" in detail and "lighthouse" in detail and "GET /api/articles" in detail
    question, expected = QUESTIONS["lighthouse"]
    everything = client.post("/api/ask", json={"question": question, "article": "all"})
    assert everything.status_code == 200 and expected in everything.json()["answer"]
    assert {c["source"]["id"] for c in everything.json()["citations"]} == {"lighthouse"}


def test_models_lists_one_model_per_article(openai_client):
    ids = [m.id for m in openai_client.models.list()]
    assert ids == ["article-assistant", DEFAULT_ID, "flood-barrier", "lighthouse", "all"]


def test_openai_model_picks_the_article(openai_client, library):
    question, expected = QUESTIONS["lighthouse"]
    completion = openai_client.chat.completions.create(
        model="lighthouse", messages=[{"role": "user", "content": question}]
    )
    assert completion.model == "lighthouse" and expected in completion.choices[0].message.content
    _check_cites_only(completion.model_extra["citations"], library, "lighthouse")

    question, expected = QUESTIONS["flood-barrier"]
    stream = openai_client.chat.completions.create(
        model="flood-barrier", messages=[{"role": "user", "content": question}], stream=True
    )
    chunks = list(stream)
    assert expected in "".join(c.choices[0].delta.content or "" for c in chunks)
    assert {c.model for c in chunks} == {"flood-barrier"}
    _check_cites_only(chunks[-1].model_extra["citations"], library, "flood-barrier")


def test_openai_unknown_model_is_model_not_found(openai_client):
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as caught:
            openai_client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": DEFAULT_QUESTION}], stream=stream
            )
        error = caught.value.body
        assert error["code"] == "model_not_found" and error["param"] == "model"
        assert "'gpt-4o'" in error["message"] and "lighthouse" in error["message"]


def _library_health(client: httpx.Client) -> tuple[int, datetime]:
    """``/healthz``'s ``library``: how many articles are served, and when the library last changed."""
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
    library = health.json()["library"]
    changed_at = datetime.fromisoformat(library["changed_at"])
    assert changed_at.utcoffset() == timedelta(0)
    return library["articles"], changed_at


def test_article_added_while_serving_is_askable_then_removed_is_404(client, openai_client, library):
    question = {"question": "How many bird species did the volunteers count?", "article": "lakeshore-birds"}
    assert client.post("/api/ask", json=question).status_code == 404
    served, changed_at = _library_health(client)
    assert served == 3 and changed_at == library.changed_at()
    library.add(BIRDS)
    try:
        added = _library_health(client)
        assert added[0] == 4 and added[1] > changed_at and added[1] == library.changed_at()
        body = client.post("/api/ask", json=question).json()
        assert body["answerable"] is True and "212" in body["answer"]
        _check_cites_only(body["citations"], library, "lakeshore-birds")
        listed = client.get("/api/articles").json()
        assert "lakeshore-birds" in [a["id"] for a in listed["articles"]] and listed["total"] == 4
    finally:
        library.remove("lakeshore-birds")
    removed = _library_health(client)
    assert removed[0] == 3 and removed[1] > added[1]
    assert client.post("/api/ask", json=question).status_code == 404
    assert "lakeshore-birds" not in [m.id for m in openai_client.models.list()]
    with pytest.raises(openai.NotFoundError):
        openai_client.chat.completions.create(
            model="lakeshore-birds", messages=[{"role": "user", "content": question["question"]}]
        )


def test_articles_route_needs_the_api_key_like_every_api_route(assistant, library, serve):
    settings = assistant.settings.model_copy(update={"api_keys": [KEY]})
    url = serve(create_app(assistant, settings, with_ui=False, shelf=Shelf(assistant, library)), settings)
    ask = {"question": DEFAULT_QUESTION, "article": "lighthouse"}
    assert httpx.get(f"{url}/api/articles").status_code == 401
    assert httpx.post(f"{url}/api/ask", json=ask).status_code == 401
    allowed = httpx.get(f"{url}/api/articles", headers={"Authorization": f"Bearer {KEY}"})
    assert allowed.status_code == 200 and len(allowed.json()["articles"]) == 3
