"""The LLM answerer against a real model: llama.cpp's server on SmolLM2-135M (``llm_server``).

The model is too weak to answer well, which makes it a fair adversary: whatever it writes, every
citation shown is verbatim and points at a sentence it was given, and a backend killed mid-run
leaves every question answered (extractively) until it is back."""

from __future__ import annotations

import re

import pytest

from assistant import Assistant, Settings
from assistant.answer.llm import LLMAnswerer
from assistant.answer.llm.answerer import shown_sentences

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


def test_a_backend_killed_mid_run_leaves_answers_extractive_until_it_returns(smol: Assistant, llm_server):
    answerer = smol.answerer
    assert isinstance(answerer, LLMAnswerer)
    smol.ask(QUESTIONS[0])
    llm_server.stop()
    try:
        answer = smol.ask(QUESTIONS[0])
        assert answer.answered_by == "extractive" and answer.answerable and answer.citations
        assert "cannot be reached" in answer.guardrail_notes[0]
        assert "cannot be reached" in (answerer.problem() or "")
    finally:
        llm_server.start()
    assert answerer.recheck() is None and answerer.problem() is None
