"""The detail a typed question pins down, and whether a sentence states it (fast, no model).

Wordings are a reader's, not any set's: the check must hold for any article."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.details import AskedDetail, DetailKind, asked_detail


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many Russian troops are in Syria?", AskedDetail(DetailKind.COUNT, "troop")),
        ("how many ppl got hurt in the attack", AskedDetail(DetailKind.COUNT, "ppl")),
        ("How many of the missiles actually hit?", AskedDetail(DetailKind.COUNT, "missil")),
        ("How many people died in the war?", AskedDetail(DetailKind.COUNT, "peopl")),
        # The counted thing is the head of the phrase, past its adverbs and conjunctions.
        (
            "How many combinatorial and graph theoretical problems, formerly believed hard, were shown?",
            AskedDetail(DetailKind.COUNT, "problem"),
        ),
        ("And how many were injured?", None),  # nothing named: the entity labels decide
        ("Exactly how many?", None),
        ("How much did the seat cost?", None),  # an amount, not a count of a named thing
        ("How long did the attacks go on?", AskedDetail(DetailKind.DURATION)),
        ("How long before the strike were the bombings?", None),  # a gap between dates
        ("How old is the general?", AskedDetail(DetailKind.AGE)),
        ("In what year was the group founded?", AskedDetail(DetailKind.YEAR)),
        ("What's the year of the treaty?", AskedDetail(DetailKind.YEAR)),
        ("When was the group founded?", AskedDetail(DetailKind.EVENT_DATE, event=("group", "found"))),
        (
            "When did Iran first fire missiles abroad?",
            AskedDetail(DetailKind.EVENT_DATE, event=("fire", "missil", "abroad")),
        ),
        # A date asked for as a date: a calendar one (the piece's own, which its dateline states, too).
        (
            "On which date did Global Research publish the article?",
            AskedDetail(DetailKind.EVENT_DATE, calendar=True),
        ),
        (
            "whats the exact date the summit took place",
            AskedDetail(DetailKind.EVENT_DATE, event=("summit",), calendar=True),
        ),
        ("When did it happen?", None),  # no event named: the entity labels decide
        ("What did the general say?", None),
    ],
)
def test_the_detail_a_question_asks_for(question, expected):
    assert asked_detail(question) == expected


def test_names_typed_in_lower_case_are_not_the_event():
    """ "when did iran fire" asks the date of the firing; that Iran is there is ``names_not_near``'s."""
    assert asked_detail("when did iran fire", proper_terms={"iran"}) == AskedDetail(
        DetailKind.EVENT_DATE, event=("fire",)
    )


@pytest.mark.parametrize(
    ("question", "sentence", "stated"),
    [
        ("How many troops were sent?", "Turkey sent 3,000 troops to Qatar.", True),
        ("How many troops were sent?", "Turkish troops were deployed to Qatar this week.", False),
        ("How many troops were sent?", "Some 200 of its best troops were sent.", True),
        ("How many soldiers were sent?", "It lost one aircraft and one member of its team.", False),
        ("How many people died?", "The attack killed thirteen people and wounded 50.", True),
        ("How many campuses are there?", "It includes 5 University of California campuses.", True),
        ("How long did the attacks last?", "The attacks of June 6th shocked Tehran.", False),
        ("How long did the attacks last?", "The siege lasted three hours.", True),
        ("How long did the attacks go on for?", "The attacks struck Tehran two weeks ago.", False),
        ("How long did the attacks go on for?", "A day later, the attacks ended.", False),
        ("How long did the siege last?", "It lasted two weeks before the army withdrew.", True),
        ("How long did the group operate?", "It has operated inside Iran for decades.", True),
        ("How old is the writer?", "The American-born writer founded the site.", False),
        ("How old is the writer?", "The writer, 45 years old, founded the site.", True),
        ("What year was the shrine built?", "The shrine was built after the revolution.", False),
        ("What year was the shrine built?", "Attacks failed there in 1991 and 2002.", True),
        ("When was the group founded?", "The group was founded in 1965 in Tehran.", True),
        ("When was the group founded?", "Its members attacked the parliament on June 7th.", False),
        ("When did Iran fire the missiles?", "The missile strike took place on Sunday.", True),
        # "The exact date", "on what date": a calendar date, which "last month" or "Sunday" is not.
        ("whats the exact date of the summit?", "Trump sword-danced at the summit last month.", False),
        ("whats the exact date of the summit?", "The summit opened on May 21st in Riyadh.", True),
        ("On what date did the missile strike take place?", "The strike took place on Sunday.", False),
        ("On what date did the missile strike take place?", "The strike took place on 18 June.", True),
        ("What is the precise date of the strike?", "The strike of 18/06/2017 hit Deir Az Zor.", True),
    ],
)
def test_whether_a_sentence_states_the_detail(question, sentence, stated):
    detail = asked_detail(question)
    assert detail is not None
    assert detail.stated_in(sentence) is stated
