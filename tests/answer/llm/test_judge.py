"""The model judging the engine's answers and rewriting follow-ups, through the real pipeline over HTTP,
against the SCRIPTED model server (``tests/llm/scripted.py``): each test scripts the judgement's
log-probabilities or the rewrite, so "the model finds the sentences do not answer" happens on demand.
The shipped combination (``fitted_judge.json``) decides, as in production."""

from __future__ import annotations

import time

import pytest

from assistant import Assistant
from assistant.answer.extractive.weights import JudgeModel
from assistant.answer.llm.judge import JUDGED
from assistant.pipeline import Answered
from assistant.schema import Turn
from tests.answer.llm.conftest import scripted_assistant
from tests.answer.llm.replies import QUESTION, restating
from tests.llm.scripted import Reply, ScriptedServer

pytestmark = pytest.mark.integration

CERTAIN_NO = (-9.0, -0.0001)
CERTAIN_YES = (-0.0001, -9.0)
FIRST = "Who fired the missiles?"
FOLLOW_UP = "why did they do it?"
STANDALONE = "Why did Iran's Revolutionary Guard fire missiles into Syria?"


@pytest.fixture(scope="module")
def llm_assistant(assistant: Assistant, index_dir, embeddings, model_server: ScriptedServer) -> Assistant:
    """The conftest's assistant with the judge on: the shipped fit is for another model's name."""
    return scripted_assistant(assistant, index_dir, embeddings, model_server, llm_judge="on")


@pytest.fixture
def chat(llm_assistant) -> list[Turn]:
    """A first question answered (extractively, as a reloaded chat replays it)."""
    reply, _ = llm_assistant.ask_with_article(FIRST, extractive=True)
    return [Turn(role="user", content=FIRST), Turn(role="assistant", content=reply.text)]


def test_an_answer_the_model_finds_unstated_is_given_as_not_stated_over_http(api, model_server, answering):
    model_server.script(restating(answering))
    model_server.judge(CERTAIN_NO)
    body = api.post("/api/ask", json={"question": QUESTION}).json()
    assert body["status"] == "not_stated" and body["answerable"] is False
    assert body["citations"] and {c["text"] for c in body["citations"]} <= answering
    assert any(note.startswith(JUDGED) for note in body["guardrail_notes"])
    assert model_server.requests == []  # no answer was written for a judged-away one
    judged = model_server.judged[0]
    assert judged["logprobs"] is True and judged["max_tokens"] == 1
    assert QUESTION in judged["messages"][-1]["content"]
    assert all(text in judged["messages"][-1]["content"] for text in answering)


def test_the_shipped_combination_is_what_decides(llm_assistant, model_server, answering):
    """The same judgement read through ``JudgeModel``: the pipeline follows it both ways."""
    model = JudgeModel.load()
    choice = llm_assistant.extractive.choose(llm_assistant.evidence(QUESTION))
    assert choice.probability is not None
    assert not model.states_answer(choice.probability, 1e-4)
    assert model.states_answer(choice.probability, 1 - 1e-4)


def test_an_answer_the_model_finds_stated_is_the_models(api, model_server, answering):
    model_server.script(restating(answering))
    model_server.judge(CERTAIN_YES)
    body = api.post("/api/ask", json={"question": QUESTION}).json()
    assert body["status"] == "answered" and body["answered_by"] == "llm"
    assert len(model_server.judged) == 1 and len(model_server.requests) == 1


def test_without_log_probabilities_the_engines_decision_stands_and_says_why(
    llm_assistant, model_server, answering
):
    model_server.script(restating(answering))
    model_server.judge(None)
    answer = llm_assistant.ask(QUESTION)
    assert answer.answerable and answer.answered_by == "llm"
    assert "gives no log-probabilities" in answer.guardrail_notes[0]


def test_the_article_header_is_not_judged(llm_assistant, model_server):
    model_server.judge(CERTAIN_NO)
    answer = llm_assistant.ask("Who wrote this piece?")
    assert answer.answerable and model_server.judged == []


def test_a_streamed_answer_judged_away_streams_no_model_words(llm_assistant, model_server, answering):
    model_server.script(restating(answering))
    model_server.judge(CERTAIN_NO)
    items = list(llm_assistant.stream_with_article(QUESTION))
    assert len(items) == 1 and isinstance(items[0], Answered)
    assert items[0].answer.status == "not_stated"


def test_a_follow_up_is_searched_as_the_model_rewrote_it_from_the_answer(llm_assistant, model_server, chat):
    model_server.rewrite(STANDALONE)
    evidence = llm_assistant.evidence(FOLLOW_UP, chat, with_model=True)
    assert evidence.query.rewritten and evidence.query.search_text == STANDALONE
    assert evidence.query.question == FOLLOW_UP
    shown = model_server.rewritten[0]["messages"][-1]["content"]
    assert chat[1].content[:200] in shown and FOLLOW_UP in shown  # the model saw the previous answer
    # Without the model (a replayed chat, suggestions), the engine's own follow-up handling.
    plain = llm_assistant.evidence(FOLLOW_UP, chat)
    assert not plain.query.rewritten and "fired" in plain.query.search_text.lower()


def test_a_rewrite_that_is_not_one_question_leaves_the_engines_follow_up(llm_assistant, model_server, chat):
    model_server.rewrite("Because of the attacks.\nThe article says Iran fired them.")
    evidence = llm_assistant.evidence(FOLLOW_UP, chat, with_model=True)
    assert not evidence.query.rewritten and evidence.query.is_follow_up
    assert len(model_server.rewritten) == 1


def test_a_question_with_its_own_subject_is_not_rewritten(llm_assistant, model_server, chat):
    model_server.rewrite(STANDALONE)
    question = "What did the Revolutionary Guard say would not go unanswered?"
    evidence = llm_assistant.evidence(question, chat, with_model=True)
    assert not evidence.query.rewritten and model_server.rewritten == []


def test_a_late_rewrite_is_not_waited_for_beyond_its_step_timeout(
    assistant, index_dir, embeddings, model_server, chat
):
    """``ASSISTANT_LLM_STEP_TIMEOUT`` bounds the rewrite, retries included: then the engine's follow-up."""
    quick = scripted_assistant(assistant, index_dir, embeddings, model_server, llm_step_timeout=0.5)
    model_server.rewrite(Reply.text(STANDALONE, delay=2.0), Reply.text(STANDALONE, delay=2.0))
    started = time.monotonic()
    evidence = quick.evidence(FOLLOW_UP, chat, with_model=True)
    assert time.monotonic() - started < 1.5
    assert not evidence.query.rewritten and evidence.query.is_follow_up
