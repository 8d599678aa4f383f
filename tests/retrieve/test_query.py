"""How `standalone_query` turns a question and the chat so far into search text and term weights.

Fast: no model, no index. One row per question, as a reader would type it after the turns before it.
"""

from __future__ import annotations

import pytest

from assistant.retrieve.query import (
    _QUESTION_WORD,
    QUERY_TUNING,
    QueryTuning,
    _without_question_word,
    leans_on_context,
    quoted_by_place,
    quoted_names,
    standalone_query,
)
from assistant.schema import Turn


def chat(*texts: str) -> list[Turn]:
    """Turns alternating user, assistant, user, … as the chat shows them."""
    return [Turn(role="user" if n % 2 == 0 else "assistant", content=text) for n, text in enumerate(texts)]


HENNINGSEN = chat("Who is Patrick Henningsen?", "An American-born journalist [1]")
RUSSIA = chat(
    "What did the Russian Defense Ministry announce?", "It halted its Deconfliction cooperation [1]"
)
TURKEY = chat("What did Turkey say about the strike?", "Nothing [1]")
IMAGE = chat("Which news agency released the image of the missile launch?", "Sepahnews [1]")
TEHRAN = chat("How many people died in Tehran?", "13 people [1]")


@pytest.mark.parametrize(
    ("question", "history", "borrowed_from"),
    [
        # a pronoun or a demonstrative points back
        ("Where was he born?", HENNINGSEN, "Who is Patrick Henningsen?"),
        ("Why did it do that?", RUSSIA, "What did the Russian Defense Ministry announce?"),
        ("what did the image show", IMAGE, "Which news agency released the image of the missile launch?"),
        (
            "those missiles",
            chat("Where were the missiles fired from?"),
            "Where were the missiles fired from?",
        ),
        # an elliptical start continues the previous question
        ("And Russia?", TURKEY, "What did Turkey say about the strike?"),
        ("what about israel", TURKEY, "What did Turkey say about the strike?"),
        (
            "how come",
            chat("Why did Iran fire missiles?", "In retaliation [1]"),
            "Why did Iran fire missiles?",
        ),
        # too few words of its own to search with
        ("Tell me more", chat("What is the Deir Az Zor province?"), "What is the Deir Az Zor province?"),
        ("how many?", TEHRAN, "How many people died in Tehran?"),
        # a chat's fillers say nothing of what is asked about: one topical word is left
        (
            "from where in iran tho",
            chat("Who did Iran fire the missiles at?"),
            "Who did Iran fire the missiles at?",
        ),
        (
            "ok so where exactly btw",
            chat("Who did Iran fire the missiles at?"),
            "Who did Iran fire the missiles at?",
        ),
        # only the latest user turn is borrowed, even when it was a follow-up itself
        (
            "So what happened next?",
            chat("Who shot down the Syrian jet?", "The US [1]", "When was that?", "On Sunday [2]"),
            "When was that?",
        ),
        # a question that says what it is about stands alone, whatever came before
        ("Who is Patrick Henningsen?", RUSSIA, None),
        ("What missiles were fired at Deir Az Zor?", HENNINGSEN, None),
        ("What did Sepahnews report about the Kermanshah launch sites?", chat("Who is he?"), None),
        # one topical word, but a name: it says what it is about (in lower case it could be either)
        ("What happened in Raqqa?", RUSSIA, None),
        ("what happened in raqqa?", RUSSIA, "What did the Russian Defense Ministry announce?"),
        ("what happened in 2003?", RUSSIA, None),
        # the reader says it is a new subject: nothing is borrowed, however it goes on
        ("different question, what did they announce?", RUSSIA, None),
        ("ok, new question: why?", RUSSIA, None),
        ("On another note, where was he born?", HENNINGSEN, None),
        ("changing the subject - who wrote it", RUSSIA, None),
        # … but "different" inside a question is a word like any other
        ("and what did the other one say?", TURKEY, "What did Turkey say about the strike?"),
        # nothing to lean on: no earlier user turn with any text
        ("where was he born", [], None),
        ("where was he born", [Turn(role="assistant", content="Hello! Ask me about the article.")], None),
        ("where was he born", chat("   ", "Please ask a question."), None),
    ],
)
def test_a_follow_up_borrows_the_previous_question_and_others_stand_alone(question, history, borrowed_from):
    query = standalone_query(question, history)
    assert query.is_follow_up is (borrowed_from is not None)
    if borrowed_from is None:
        assert query.search_text == question
    else:
        # the earlier question's topic, without its question word when this one brings its own
        topic = _without_question_word(borrowed_from) if _QUESTION_WORD.match(question) else borrowed_from
        assert query.search_text == f"{topic} {question}"


def test_a_bare_question_word_asks_its_own_question_of_the_earlier_topic():
    query = standalone_query("why?", chat("Who fired the missiles?"))
    assert query.search_text == "fired the missiles? why?"
    # after a preposition too ("from where", "to whom"): the earlier question's word is dropped
    query = standalone_query("from where?", chat("Who fired the missiles?"))
    assert query.search_text == "fired the missiles? from where?"


@pytest.mark.parametrize(
    ("question", "history", "own", "borrowed"),
    [
        ("Where was he born?", HENNINGSEN, {"born": 1.0}, {"patrick": 0.25, "henningsen": 0.25}),
        ("And Russia?", TURKEY, {"russia": 1.0}, {"turkey": 0.5, "strike": 0.5}),
        (
            "Why did it do that?",
            RUSSIA,
            {},
            {"russian": 1 / 6, "defens": 1 / 6, "ministri": 1 / 6, "announc": 0.5},
        ),
        (
            "what did the image show",
            IMAGE,
            {"imag": 1.0},
            {"news": 0.5, "agenc": 0.5, "releas": 0.5, "missil": 0.5, "launch": 0.5},
        ),
        ("those missiles", chat("Where were the missiles fired from?"), {"missil": 1.0}, {"fire": 0.5}),
        (
            "Who named them?",
            chat("Who was named as a partner in the Tehran attacks?"),
            {},
            {"partner": 0.5, "tehran": 0.5, "attack": 0.5},
        ),
        (
            "What missiles were fired at Deir Az Zor?",
            HENNINGSEN,
            {"missil": 1.0, "fire": 1.0, "deir": 1 / 3, "az": 1 / 3, "zor": 1 / 3},
            {},
        ),
    ],
)
def test_borrowed_words_weigh_half_and_a_name_shares_one_words_weight(question, history, own, borrowed):
    query = standalone_query(question, history)
    assert query.own_weights == pytest.approx(own)
    assert query.weights == pytest.approx(own | borrowed)


def test_a_word_the_question_has_itself_is_not_weakened_by_borrowing_it():
    query = standalone_query("what did the image show", IMAGE)
    assert query.weights["imag"] == 1.0


def test_a_follow_up_carries_the_latest_answer_and_a_standalone_question_none():
    two_answers = chat("Who shot down the Syrian jet?", "The US [1]", "When was that?", "On Sunday [2]")
    assert standalone_query("Where was it?", two_answers).previous_answer == "On Sunday [2]"
    assert standalone_query("Where was it?", chat("Who shot down the Syrian jet?")).previous_answer == ""
    assert standalone_query("Who shot down the Syrian jet?", two_answers).previous_answer == ""


def test_the_query_stage_numbers_live_in_one_tuning_and_can_be_swept():
    assert QUERY_TUNING == QueryTuning(borrowed_weight=0.5, max_topical_terms_of_follow_up=1)
    heavier = standalone_query("And Russia?", TURKEY, QueryTuning(borrowed_weight=0.8))
    assert heavier.weights == pytest.approx({"russia": 1.0, "turkey": 0.8, "strike": 0.8})
    two_words = "Where did the missiles land?"
    assert not leans_on_context(two_words)
    assert leans_on_context(two_words, QueryTuning(max_topical_terms_of_follow_up=2))
    with pytest.raises(AttributeError):
        QUERY_TUNING.borrowed_weight = 1.0  # type: ignore[misc]


def test_a_follow_up_can_name_what_the_previous_answer_quoted():
    """ "Who was flying it?" after an answer quoting a named thing: the search names it too, when the
    tuning asks for the previous answer's names."""
    history = [
        Turn(role="user", content="What did the jet shoot down?"),
        Turn(
            role="assistant",
            content="The author writes: “A US Navy jet shot down a Syrian Air Force plane.” [1]",
        ),
    ]
    plain = standalone_query("who was flying it?", history)
    assert "Syrian Air Force" not in plain.search_text
    named = standalone_query("who was flying it?", history, QueryTuning(answer_names=2))
    assert "Syrian Air Force" in named.search_text and "US Navy" in named.search_text
    assert named.own_weights == plain.own_weights  # the question's own words stay the focus


def test_quoted_names_are_read_from_the_quotes_only_newest_first():
    answer = (
        'Fars News Agency is quoted as saying: "Tehran Province was hit" [1] and “New York Times said” [2]'
    )
    assert quoted_names(answer, 5) == ["New York Times", "Tehran Province"]
    assert quoted_names(answer, 0) == []


TWO_QUOTES = chat(
    "What happened at Deir Az Zor?",
    "The author writes: “Iran fired missiles at ISIS.” [1] “A US jet shot down a Syrian SU-22.” [2]",
)


@pytest.mark.parametrize(
    ("question", "pointed"),
    [
        ("explain the second one", "A US jet shot down a Syrian SU-22."),
        ("Who said the first one?", "Iran fired missiles at ISIS."),
        ("tell me more about the last point", "A US jet shot down a Syrian SU-22."),
    ],
)
def test_a_quote_pointed_at_by_its_place_is_what_the_follow_up_is_about(question, pointed):
    """ "The second one" is the previous answer's second quote: searched with it, not with the
    previous question, which asked for both."""
    query = standalone_query(question, TWO_QUOTES)
    assert query.is_follow_up and query.search_text == f"{pointed} {question}"
    assert query.previous_answer == TWO_QUOTES[-1].content


def test_a_place_the_previous_answer_has_no_quote_for_falls_back_to_the_previous_question():
    query = standalone_query("explain the third one", TWO_QUOTES)
    assert query.search_text == "What happened at Deir Az Zor? explain the third one"
    assert quoted_by_place("what is the second one", "No quotes here.") is None
    assert quoted_by_place("what happened second", TWO_QUOTES[-1].content) is None
