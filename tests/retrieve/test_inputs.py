"""The question and the chat so far as the stages read them: cleaned, bounded, or refused saying why;
and what the question's wording says before retrieval (the article itself, a part of the page). Fast."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidQuestion
from assistant.retrieve.inputs import clean_text, recent_turns, valid_question
from assistant.retrieve.question import asks_about_article, mentions_the_page, naming_the_author
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


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("does the author have a show or something", "does Jane Q. Doe have a show or something"),
        ("What does the writer do for a living?", "What does Jane Q. Doe do for a living?"),
        ("is the author a journalist?", "is Jane Q. Doe a journalist?"),
        ("what is the author's background?", "what is Jane Q. Doe's background?"),
        ("Does the writer run a website?", "Does Jane Q. Doe run a website?"),
        ("where is the author from", "where is Jane Q. Doe from"),
        # the author's view is read from the article's own sentences, not the bio
        ("what does the author think of the radio show?", None),
        ("does the author have a view on the website's claims?", None),
        ("is the author biased?", None),
        ("what does the author say the Pentagon is doing?", None),
        # no author asked about as a person
        ("Which website did the minister found?", None),
        ("Who hosts the summit?", None),
    ],
)
def test_a_question_about_the_author_as_a_person_is_searched_with_the_bylines_name(question, searched):
    assert naming_the_author(question, "Jane Q. Doe") == (searched or question)


def test_without_a_byline_the_author_stays_the_author():
    assert naming_the_author("does the author have a show?", None) == "does the author have a show?"
