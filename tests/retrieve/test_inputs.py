"""The question and the chat so far as the stages read them: cleaned, bounded, or refused saying why;
and what the question's wording says before retrieval (the article itself, a part of the page). Fast."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidQuestion
from assistant.retrieve.inputs import clean_text, recent_turns, valid_question
from assistant.retrieve.question import asks_about_article, mentions_the_page
from assistant.schema import Turn


def test_control_characters_and_lone_surrogates_are_dropped():
    assert clean_text(" Who\x00 fired\x1b it?\ud800 \n") == "Who  fired  it??"
    assert clean_text("line\nbreaks\tand tabs stay") == "line\nbreaks\tand tabs stay"


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        (None, "the question must be text"),
        ("", "the question is empty"),
        (" \x00\x01 ", "the question is empty"),
        ("x" * 11, "the question is 11 characters long; the limit is 10"),
    ],
)
def test_a_question_not_text_empty_or_too_long_is_refused_saying_why(question, problem):
    with pytest.raises(InvalidQuestion, match=problem):
        valid_question(question, limit=10)


def test_a_valid_question_comes_back_cleaned():
    assert valid_question("  Who fired\x00?  ", limit=11) == "Who fired ?"


def test_the_history_is_cut_to_its_recent_turns_each_cleaned_and_bounded():
    history = [Turn(role="user", content=f"question {n}\x00 " + "x" * 20) for n in range(5)]
    kept = recent_turns(history, max_turns=2, limit=12)
    assert kept == (Turn(role="user", content="question 3  "), Turn(role="user", content="question 4  "))
    assert recent_turns(history, max_turns=0, limit=12) == () == recent_turns([], max_turns=2, limit=12)


@pytest.mark.parametrize(
    ("question", "about_article"),
    [
        ("Who wrote this?", True),
        ("What is this article about?", True),
        ("When was it published?", True),
        ("Where was he born?", False),
        ("Why did Iran fire the missiles?", False),
    ],
)
def test_questions_about_the_article_itself_are_told_apart(question, about_article):
    assert asks_about_article(question) is about_article


def test_a_question_naming_a_part_of_the_page_may_be_answered_by_the_header():
    assert mentions_the_page("Which themes is this story tagged with?")
    assert mentions_the_page("Who holds the copyright?")
    assert not mentions_the_page("How many missiles were fired?")
