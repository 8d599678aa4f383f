"""The LLM answerer against a real model: llama.cpp's server on SmolLM2-135M (``llm_server``).

The model is too weak to answer well, which makes it a fair adversary: whatever it writes, every
citation shown is verbatim and points at a sentence it was given, and a backend killed mid-run
leaves every question answered (extractively) until it is back."""

from __future__ import annotations

import re

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.answer.llm import LLMAnswerer
from assistant.answer.llm.answerer import shown_sentences
from assistant.web.app import create_app

pytestmark = [pytest.mark.llm, pytest.mark.integration]

QUESTIONS = (
    "Where were the missiles fired from?",
    "How many people did the attack in Tehran kill?",
    "What did the Revolutionary Guard say will not go unanswered?",
    "Who wrote this piece?",
    "What does the author fear the situation could descend into?",
)


@pytest.fixture(scope="module")
def smol(assistant: Assistant, index_dir, embeddings, llm_server) -> Assistant:
    settings = Settings(
        index_dir=index_dir, llm_base_url=llm_server.base_url, llm_model=llm_server.model, llm_timeout=60
    )
    ready = Assistant(settings, embeddings=embeddings, reranker=assistant.reranker)
    ready.open()
    return ready


@pytest.mark.parametrize("question", QUESTIONS)
def test_whatever_the_model_writes_citations_are_verbatim_and_were_shown_to_it(smol: Assistant, question):
    answerer = smol.answerer
    assert isinstance(answerer, LLMAnswerer)
    evidence = smol.evidence(question)
    provided = {s.text for s in shown_sentences(evidence, answerer.extractive.choose(evidence))}
    answer = smol.ask(question)
    text = smol.article.text
    assert answer.citations and all(text[c.start : c.end] == c.text for c in answer.citations)
    assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}) == [c.id for c in answer.citations]
    if answer.answered_by == "llm":
        assert all(c.text in provided for c in answer.citations)
    else:
        assert answer.guardrail_notes[-1].startswith("the extractive answer is given")


def test_a_backend_killed_mid_run_leaves_answers_extractive_until_it_returns(
    smol: Assistant, llm_server, serve
):
    """Over HTTP: every request still answered (extractively, at once while the backend rests),
    ``/healthz`` degraded naming the backend, and answers from the model again once it is back."""
    answerer = smol.answerer
    assert isinstance(answerer, LLMAnswerer)
    with httpx.Client(base_url=serve(create_app(smol, with_ui=False)), timeout=90) as api:
        assert api.post("/api/ask", json={"question": QUESTIONS[0]}).status_code == 200
        llm_server.stop()
        try:
            answers = [api.post("/api/ask", json={"question": q}).json() for q in QUESTIONS[:3]]
            assert all(
                a["answered_by"] == "extractive" and a["answerable"] and a["citations"] for a in answers
            )
            assert "cannot be reached" in answers[0]["guardrail_notes"][0]
            assert all("failed moments ago" in a["guardrail_notes"][0] for a in answers[1:])  # resting
            health = api.get("/healthz")
            assert health.status_code == 503 and health.json()["status"] == "degraded"
            assert "the LLM backend at" in health.json()["detail"]
        finally:
            llm_server.start()
        assert api.get("/healthz").json()["status"] == "ok"  # the probe saw it back: the rest is over
        again = api.post("/api/ask", json={"question": QUESTIONS[0]}).json()
        assert not any("cannot be reached" in n or "moments ago" in n for n in again["guardrail_notes"])
        assert answerer.problem() is None


def test_a_real_llama_cpp_server_gives_the_judge_its_log_probabilities(smol: Assistant, llm_server):
    """The judge's request as llama.cpp answers it: a P(yes) from the first token's top log-probabilities
    (the shipped fit is for the 1.5B model, so here the judge is called directly)."""
    from assistant.answer.llm.backend import ChatBackend
    from assistant.answer.llm.judge import JudgePrompt, StatedJudge

    judge = StatedJudge(
        ChatBackend(llm_server.base_url, llm_server.model, timeout=60), JudgePrompt.load(), 60
    )
    evidence = smol.evidence(QUESTIONS[0])
    chosen = smol.extractive.choose(evidence).cited
    probability, note = judge.probability(QUESTIONS[0], chosen)
    assert probability is not None and 0.0 <= probability <= 1.0 and note == ""


def test_a_real_model_rewrites_a_follow_up_or_leaves_it_to_the_engine(smol: Assistant, llm_server):
    from assistant.answer.llm.backend import ChatBackend
    from assistant.answer.llm.standalone import QuestionWriter, StandalonePrompt
    from assistant.retrieve.inputs import Question
    from assistant.schema import Turn

    writer = QuestionWriter(
        ChatBackend(llm_server.base_url, llm_server.model, timeout=60), StandalonePrompt.load(), 60
    )
    first, _ = smol.ask_with_article(QUESTIONS[0], extractive=True)
    history = (Turn(role="user", content=QUESTIONS[0]), Turn(role="assistant", content=first.text))
    rewritten = writer.rewrite(Question("why did they do it?", history))
    assert rewritten.text == "why did they do it?"
    assert rewritten.standalone is None or (
        "\n" not in rewritten.standalone and len(rewritten.standalone) <= 300
    )
