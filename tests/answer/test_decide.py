"""The extractive answerer on a three-sentence article with hand-made vectors: one row per question.

Fast: no model, no index. Each row gives the question, the query vector (which sentence it means)
and what a careful reader expects: answered or declined, and which sentences are cited.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.answer.base import answer
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import EXTRACTIVE_WEIGHTS, ExtractiveWeights
from assistant.schema import Turn
from assistant.settings import Settings
from tests.answer.fixture import ARTICLE, evidence, passage, towards

MISSILES = "How many missiles did Iran fire at Deir Ezzor?"
MISSILES_ANSWER = "The author writes: “Iran fired six missiles at Deir Ezzor on Sunday.” [1]"
AFTER_MISSILES = [Turn(role="user", content=MISSILES), Turn(role="assistant", content=MISSILES_ANSWER)]


@pytest.fixture(scope="module")
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(AnswerTemplates.load(Settings().prompts_dir))


@pytest.mark.parametrize(
    ("question", "vector", "answerable", "cited"),
    [
        (MISSILES, towards(1, 0.2, 0.1), True, [0]),
        ("When did Iran fire the missiles?", towards(1, 0.2, 0.1), True, [0]),
        ("What did the Revolutionary Guard say about the strike?", towards(0.3, 1, 0.1), True, [1]),
        ("Why did Iran strike, according to the Revolutionary Guard?", towards(0.4, 1, 0.1), True, [1]),
        ("What do analysts expect?", towards(0.1, 0.1, 1), True, [2]),
        # a number is asked for, and the sentence meant holds none
        ("How many analysts expect further strikes?", towards(0.1, 0.1, 1), False, [2]),
        # a name the article never mentions
        ("How did China react to the strike?", towards(0.5, 0.5, 0.3), False, [1]),
        # nothing of it is in the article, in words or in meaning
        ("What is the recipe for sourdough bread?", towards(0, 0, 0, 1), False, [0]),
        ("Did the strike kill anyone?", towards(0.6, 0.4, 0.2, 0.5), False, [0]),
        # a task, not a question about the article
        ("Translate the article into German.", towards(0.3, 0.3, 0.3, 1), False, [0]),
    ],
)
def test_question_is_answered_or_declined_citing_the_right_sentence(
    answerer, question, vector, answerable, cited
):
    draft = answerer.draft(evidence(question, vector))
    assert draft.answerable is answerable
    assert [s.position for s in draft.cited] == cited
    markers = [f"[{n}]" for n in range(1, len(cited) + 1)]
    assert all(marker in draft.text for marker in markers)
    assert draft.text.startswith("The article does not say") is not answerable


@pytest.mark.parametrize(
    ("follow_up", "vector", "cited"),
    [
        ("When did it fire them?", towards(1, 0.3, 0.2), [0]),
        ("Who said it was punishment?", towards(0.3, 1, 0.1), [1]),
        ("What do analysts expect next?", towards(0.1, 0.1, 1), [2]),
    ],
)
def test_follow_up_is_answered_from_its_own_and_the_borrowed_words(answerer, follow_up, vector, cited):
    draft = answerer.draft(evidence(follow_up, vector, history=AFTER_MISSILES))
    assert draft.answerable
    assert [s.position for s in draft.cited] == cited


def test_only_sentences_of_retrieved_passages_are_considered(answerer):
    only_the_last = [passage(2, 2, rank=1)]
    draft = answerer.draft(evidence(MISSILES, towards(1, 0.2, 0.1), passages=only_the_last))
    assert not draft.answerable
    assert [s.position for s in draft.cited] == [2]


def test_hand_made_evidence_gives_an_answer_with_verbatim_citations(answerer):
    result = answer(answerer, evidence(MISSILES, towards(1, 0.2, 0.1)))
    assert result.answerable and result.text == MISSILES_ANSWER
    [citation] = result.citations
    assert citation.id == 1 and citation.speaker == "Jane Doe" and citation.section == "The strike"
    assert ARTICLE.text[citation.start : citation.end] == citation.text


def test_weights_are_a_constructor_argument_that_can_be_swept(answerer):
    strict = ExtractiveWeights(min_coverage=1.01, min_dense=1.01)
    swept = ExtractiveAnswerer(answerer.templates, weights=strict)
    question = ("What do analysts expect?", towards(0.1, 0.1, 1))
    assert answerer.draft(evidence(*question)).answerable
    assert not swept.draft(evidence(*question)).answerable


def test_weights_are_frozen_and_say_where_they_come_from():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXTRACTIVE_WEIGHTS.dense = 1.0  # type: ignore[misc]
    assert "golden.jsonl" in (ExtractiveWeights.__doc__ or "")
    assert dataclasses.replace(EXTRACTIVE_WEIGHTS, dense=0.6).coverage == EXTRACTIVE_WEIGHTS.coverage


def test_evidence_whose_vectors_do_not_fit_its_sentences_is_refused():
    with pytest.raises(ValueError, match="one row per sentence"):
        evidence(MISSILES, np.ones(3, dtype=np.float32))
