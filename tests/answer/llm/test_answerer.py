"""The LLM answerer through the real pipeline (index, models, ``openai`` client, HTTP), against the
SCRIPTED model server of ``tests/llm/scripted.py``: each test scripts what the "model" replies, so the
failures the guardrails and the fallback exist for happen on demand."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assistant import Assistant, Settings
from assistant.answer.llm import LLMAnswerer
from assistant.answer.llm.answerer import UNAVAILABLE, best_of
from assistant.answer.llm.backend import RETRIES
from assistant.evaluation import GoldenItem, evaluate, report_table
from assistant.schema import Answer
from tests.answer.llm.replies import LLM_TIMEOUT, QUESTION, SLOWER_THAN_TIMEOUT, UNANSWERED, restating, shown
from tests.llm.scripted import Reply, ScriptedServer

pytestmark = pytest.mark.integration


def ask(
    llm_assistant: Assistant, server: ScriptedServer, *replies: Reply, question: str = QUESTION
) -> Answer:
    server.script(*replies)
    return llm_assistant.ask(question)


def assert_verbatim_and_shown(answer: Answer, llm_assistant: Assistant, server: ScriptedServer) -> None:
    text = llm_assistant.article.text
    provided = {t for _, t in shown(server.requests[0]).values()} if server.requests else set()
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.text
        if answer.answered_by == "llm":
            assert citation.text in provided
    assert sorted(int(n) for n in re.findall(r"\[(\d+)\]", answer.text)) == sorted(
        {c.id for c in answer.citations}
    )


def test_a_faithful_answer_is_the_models_with_verbatim_citations(llm_assistant, model_server, answering):
    answer = ask(llm_assistant, model_server, restating(answering))
    assert answer.answered_by == "llm" and answer.answerable and answer.guardrail_notes == []
    assert answer.notice is None
    assert answer.text.startswith("According to ") and answer.text.endswith(f"[{len(answering)}].")
    assert {c.text for c in answer.citations} == answering
    assert_verbatim_and_shown(answer, llm_assistant, model_server)


def test_the_model_is_shown_the_chosen_sentences_numbered_with_speakers(
    llm_assistant, model_server, answering
):
    extractive = Assistant(
        Settings(index_dir=llm_assistant.settings.index_dir),
        embeddings=llm_assistant.embeddings,
        reranker=llm_assistant.reranker,
    ).ask(QUESTION)
    ask(llm_assistant, model_server, restating(answering))
    request = model_server.requests[0]
    sentences = [text for _, text in shown(request).values()]
    assert {c.text for c in extractive.citations} <= set(sentences)
    assert len(sentences) >= 3 and request["model"] == "scripted" and request["temperature"] == 0
    assert QUESTION in request["messages"][-1]["content"]


def test_an_unknown_citation_is_removed_and_noted(llm_assistant, model_server, answering):
    answer = ask(llm_assistant, model_server, restating(answering, extra="It was a show of force [7]."))
    assert answer.answered_by == "llm" and "[7]" not in answer.text
    assert "removed [7]: the model was given no sentence 7" in answer.guardrail_notes
    assert_verbatim_and_shown(answer, llm_assistant, model_server)


def test_a_sentence_with_an_invented_quote_is_dropped(llm_assistant, model_server, answering):
    answer = ask(
        llm_assistant, model_server, restating(answering, extra='Iran called it "a gift to Paris" [1].')
    )
    assert answer.answered_by == "llm" and "Paris" not in answer.text
    assert any("“a gift to Paris”, which the article does not say" in n for n in answer.guardrail_notes)
    assert_verbatim_and_shown(answer, llm_assistant, model_server)


def test_an_uncited_sentence_is_dropped(llm_assistant, model_server, answering):
    answer = ask(llm_assistant, model_server, restating(answering, extra="This shows Iran is very powerful."))
    assert answer.answered_by == "llm" and "powerful" not in answer.text
    assert any("it cites no sentence" in n for n in answer.guardrail_notes)


def test_nothing_supported_gives_the_extractive_answer_with_the_reasons(llm_assistant, model_server):
    answer = ask(llm_assistant, model_server, Reply.text("Missiles were fired from the moon [1]."))
    assert answer.answered_by == "extractive" and answer.answerable
    assert answer.guardrail_notes[-1] == "the extractive answer is given: nothing it wrote was supported"
    assert_verbatim_and_shown(answer, llm_assistant, model_server)


def test_an_answer_leaving_out_a_sentence_that_answers_gives_the_extractive_one(
    llm_assistant, model_server, answering
):
    def elsewhere(body: dict[str, Any]) -> str:
        n, (speaker, text) = next((n, st) for n, st in shown(body).items() if st[1] not in answering)
        return f"According to {speaker}, {text.rstrip('.')} [{n}]."

    answer = ask(llm_assistant, model_server, Reply.from_request(elsewhere))
    assert answer.answered_by == "extractive" and answer.answerable
    assert "found to answer the question" in answer.guardrail_notes[-1]
    assert {c.text for c in answer.citations} == answering


def test_chosen_sentences_the_model_left_out_are_quoted_after_its_answer(llm_assistant, model_server):
    evidence = llm_assistant.evidence(QUESTION)
    choice = llm_assistant.extractive.choose(evidence)
    best = best_of(evidence, choice)
    assert len(choice.cited) >= 2  # the question's answer rests on more than its best sentence

    def only_the_best(body: dict[str, Any]) -> str:
        n, (speaker, text) = next((n, st) for n, st in shown(body).items() if st[1] == best.text)
        return f"According to {speaker}, {text.rstrip('.')} [{n}]."

    answer = ask(llm_assistant, model_server, Reply.from_request(only_the_best))
    assert answer.answered_by == "llm" and answer.text.startswith("According to")
    assert [c.text for c in answer.citations][0] == best.text
    assert {c.text for c in answer.citations} == {s.text for s in choice.cited}
    assert (
        answer.guardrail_notes[-1].startswith("quoted [2]")
        and "the model left it out" in answer.guardrail_notes[-1]
    )
    assert_verbatim_and_shown(answer, llm_assistant, model_server)


def test_the_models_own_decline_gives_the_extractive_answer(llm_assistant, model_server):
    answer = ask(llm_assistant, model_server, Reply.text("NOT IN THE ARTICLE"))
    assert answer.answered_by == "extractive" and answer.answerable
    assert "the model said the sentences do not answer" in answer.guardrail_notes


def test_a_question_the_article_does_not_answer_is_declined_without_asking_the_model(
    llm_assistant, model_server, answering
):
    answer = ask(llm_assistant, model_server, restating(answering), question=UNANSWERED)
    assert not answer.answerable and answer.answered_by == "extractive"
    assert model_server.requests == []


@pytest.mark.parametrize(
    ("replies", "requests", "notice"),
    [
        ([Reply.error(500)] * (RETRIES + 1), RETRIES + 1, "answered HTTP 500"),
        ([Reply.error(503), "restating"], 2, None),
        ([Reply.error(401)], 1, "refused the request (HTTP 401)"),
        ([Reply.garbage()], 1, "returned something that is not a chat completion"),
        ([Reply.text("late", delay=SLOWER_THAN_TIMEOUT)], 1, f"gave no answer within {LLM_TIMEOUT:g} s"),
        ([Reply.malformed_stream()], 1, "returned something that is not a chat completion stream"),
        ([Reply.cut_stream()], 1, "broke off its answer"),
        ([Reply.paced("Iran fired " * 20, pace=0.25)], 1, f"gave no answer within {LLM_TIMEOUT:g} s"),
    ],
    ids=[
        "http-500",
        "retried-503",
        "refused",
        "garbage",
        "timeout",
        "malformed-stream",
        "cut-stream",
        "slow-stream",
    ],
)
def test_a_failing_backend_gives_the_extractive_answer_with_a_notice(
    llm_assistant, model_server, answering, replies, requests, notice
):
    replies = [restating(answering) if r == "restating" else r for r in replies]
    answer = ask(llm_assistant, model_server, *replies)
    assert len(model_server.requests) == requests
    if notice is None:
        assert answer.answered_by == "llm"
        return
    assert answer.answered_by == "extractive" and answer.answerable and answer.citations
    assert len(answer.guardrail_notes) == 1 and notice in answer.guardrail_notes[0]
    assert answer.notice == UNAVAILABLE  # the reader is told; the notes say why
    assert answer.guardrail_notes[0].endswith("the extractive answer is given")


def test_an_unreachable_backend_gives_the_extractive_answer(llm_assistant, assistant):
    settings = Settings(
        index_dir=llm_assistant.settings.index_dir, llm_base_url="http://127.0.0.1:9/v1", llm_model="m"
    )
    down = Assistant(settings, embeddings=llm_assistant.embeddings, reranker=assistant.reranker)
    answer = down.ask(QUESTION)
    assert answer.answered_by == "extractive" and answer.answerable
    assert "cannot be reached" in answer.guardrail_notes[0]
    assert isinstance(down.answerer, LLMAnswerer) and "cannot be reached" in (down.answerer.problem() or "")


def test_api_ask_json_says_who_answered_and_what_was_removed(api, model_server, answering):
    model_server.script(restating(answering, extra="It was a show of force [7]."))
    body = api.post("/api/ask", json={"question": QUESTION}).json()
    assert body["answered_by"] == "llm" and body["citations"]
    assert body["guardrail_notes"] == [
        "removed [7]: the model was given no sentence 7",
        "dropped “It was a show of force.”: it cites no sentence it was given",
    ]


def test_a_slow_backend_still_gets_an_answer_within_the_request_deadline(api, model_server, llm_assistant):
    model_server.script(Reply.text("late", delay=SLOWER_THAN_TIMEOUT))
    response = api.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200 and response.json()["answered_by"] == "extractive"
    assert llm_assistant.settings.request_timeout > LLM_TIMEOUT


def test_healthz_is_degraded_after_a_failure_and_ok_after_a_success(api, model_server, answering):
    model_server.script(*[Reply.error(500)] * (RETRIES + 1))
    assert api.post("/api/ask", json={"question": QUESTION}).json()["answered_by"] == "extractive"
    model_server.script(*[Reply.error(500)] * (RETRIES + 1))  # the probe /healthz makes fails too
    degraded = api.get("/healthz")
    assert degraded.status_code == 503 and degraded.json()["status"] == "degraded"
    assert "the LLM backend at" in degraded.json()["detail"] and "HTTP 500" in degraded.json()["detail"]
    model_server.script(restating(answering))
    assert api.post("/api/ask", json={"question": QUESTION}).json()["answered_by"] == "llm"
    model_server.script()
    assert api.get("/healthz").json()["status"] == "ok"
    assert model_server.requests == []  # a success needs no probe


def test_healthz_probes_a_failed_backend_and_sees_it_recover(api, model_server):
    model_server.script(Reply.garbage())
    api.post("/api/ask", json={"question": QUESTION})
    model_server.script(Reply.text("pong"))
    assert api.get("/healthz").json()["status"] == "ok"
    assert len(model_server.requests) == 1 and model_server.requests[0]["max_tokens"] == 1


def test_eval_reports_how_many_answers_the_llm_wrote(llm_assistant, model_server, answering):
    items = [
        GoldenItem(id="a", question=QUESTION, evidence=["Kermanshah"]),
        GoldenItem(id="b", question=UNANSWERED, unanswerable=True),
        GoldenItem(id="c", question=QUESTION, evidence=["Kermanshah"]),
    ]
    model_server.script(restating(answering), Reply.error(401))
    report, results = evaluate(llm_assistant, items)
    assert [r.answered_by for r in results] == ["llm", "extractive", "extractive"]
    assert (report.answered_by_llm, report.llm_fallbacks) == (1, 1)
    assert "answered by              llm 1, extractive 2" in report_table(report)
