"""Whether a question asks about what is not so, and whether a sentence negates (fast, no model).

Wordings are a reader's or SQuAD 2.0's kind, not any set's: the check must hold for any article."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.negation import asks_negated, negates


@pytest.mark.parametrize(
    ("question", "negated"),
    [
        ("What is not strictly contained in EXPTIME?", True),
        ("Which city isn't on the coast?", True),
        ("What cannot be solved by a computer?", True),
        ("Who never signed the treaty?", True),
        ("Which groups have no troops in the region?", True),
        ("Why didn’t Russia respond?", True),
        ("What is contained in EXPTIME?", False),
        # Asked neutrally: whether it is or not, not what is not.
        ("Can the problem be solved whether or not time is bounded?", False),
        ("What may or may not make a machine more powerful?", False),
        ("What did Iran not only fire but also announce?", False),
        ("Which strike mattered, no matter who fired?", False),
        ("Is the memorandum no longer in force?", True),
        ("Who is Nott?", False),  # a name, not the word
        ("What is the knot called?", False),
    ],
)
def test_a_negated_question_is_told_from_a_neutral_one(question, negated):
    assert asks_negated(question) is negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Bounds are usually not stated in the big O notation.", True),
        ("Most cities lie near the coast, with the exception of San Bernardino.", True),
        ("Problems that lack polynomial-time solutions are intractable.", True),
        ("The non-desert counties grew fastest.", True),
        ("The strike failed to hit its target.", True),
        ("Bounds are usually stated in the big O notation.", False),
        ("The area is known for nothing but its dairy farms.", True),
        ("Not only Iran but Russia fired.", False),
    ],
)
def test_a_sentence_saying_something_is_not_is_told_from_one_that_does_not(sentence, negated):
    assert negates(sentence) is negated
