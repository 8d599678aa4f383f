"""A degenerate model reply over the real app: repeated claims, and claims saying nothing but that
they are the answer, never pass the guardrails as the model's answer (the SCRIPTED model server
writes them; ``/api/ask`` is asked over a real socket)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.web.app import create_app
from tests.answer.llm.replies import LLM_TIMEOUT, QUESTION, restating, shown
from tests.llm.scripted import Reply

pytestmark = pytest.mark.integration

RIDDLE_ARTICLE = """\
Riddle Night at the Town Library

By Jane Doe

Global Research, June 21, 2017

The town library held its first riddle night on Friday evening. One riddle asked what grows shorter
the longer it burns. The answer to the hardest riddle was a candle, said the librarian Ann Lee.
Forty people came to the event, and the library plans another one in the autumn.
"""
RIDDLE = "What is the answer to the hardest riddle?"


@pytest.fixture(scope="module")
def riddle_api(tmp_path_factory, serve, embeddings, reranker, model_server) -> Iterator[httpx.Client]:
    """An article whose answering sentence holds the word "answer", answered through the model."""
    folder = tmp_path_factory.mktemp("riddle")
    (folder / "riddle.txt").write_text(RIDDLE_ARTICLE)
    settings = Settings(
        article_path=folder / "riddle.txt",
        index_dir=folder / "index",
        llm_base_url=model_server.base_url,
        llm_model="scripted",
        llm_timeout=LLM_TIMEOUT,
        llm_cool_down=0,
    )
    ready = Assistant(settings, embeddings=embeddings, reranker=reranker)
    ready.open()
    with httpx.Client(base_url=serve(create_app(ready, with_ui=False)), timeout=60) as client:
        yield client


def _ask(client: httpx.Client, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_answer_is_marker_ten_times_gives_the_extractive_answer(riddle_api, model_server):
    def degenerate(body) -> str:
        n = next(n for n, (_, text) in shown(body).items() if "was a candle" in text)
        return f"The answer is: [{n}] " * 10

    model_server.script(Reply.from_request(degenerate))
    answer = _ask(riddle_api, RIDDLE)
    assert model_server.requests  # the model was asked, and what it wrote was not kept
    assert answer["answered_by"] == "extractive" and "candle" in answer["answer"]
    assert "dropped “The answer is:”: it says nothing about the article" in answer["guardrail_notes"]


def test_a_claim_repeated_ten_times_is_said_once(api, model_server, answering):
    model_server.script(Reply.from_request(lambda body: restating(answering).content_for(body) * 10))
    answer = _ask(api, QUESTION)
    assert answer["answered_by"] == "llm" and answer["answer"].count("According to") == len(answering)
    assert sum("repeats of" in note for note in answer["guardrail_notes"]) == len(answering)
