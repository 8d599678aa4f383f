"""Typos are mended against the article's words; English words and the article's own never change."""

from __future__ import annotations

import pytest

from assistant.retrieve.spelling import Speller

ARTICLE = "Iran's Revolutionary Guard fired missiles. The largest attack killed thirteen people in Tehran."
ENGLISH = frozenset({"what", "smallest", "weather", "who", "the", "which", "people"})


@pytest.mark.parametrize(
    ("question", "mended"),
    [
        ("who fired the missles", "who fired the missiles"),
        ("how many peple were kiled in Tehrn?", "how many people were killed in Tehran?"),
        ("what did the Revolutonary Gaurd say", "what did the Revolutionary Guard say"),
        # an English word the article lacks is a question about something else, not a typo
        ("what was the smallest attack", "what was the smallest attack"),
        ("what is the weather", "what is the weather"),
        # too short to tell a typo from another word
        ("teh", "teh"),
    ],
)
def test_misspelt_words_become_the_articles_and_nothing_else_changes(question, mended):
    assert Speller([ARTICLE], ENGLISH).correct(question) == mended


def test_a_known_word_with_a_possessive_is_left_alone():
    assert Speller([ARTICLE], ENGLISH).correct("irans missiles") == "iran's missiles"
    assert Speller([ARTICLE], ENGLISH).correct("Iran's missiles") == "Iran's missiles"


@pytest.mark.parametrize("word", ["slanted", "stoking", "skipped", "worries", "bigger", "quietly"])
def test_an_inflected_english_word_is_not_taken_for_a_typo_of_the_articles(word):
    """The word list has "slant", "stoke", "skip"…: their regular forms are English too, even when an
    article word is as close as "isolated" is to "slanted"."""
    english = ENGLISH | {"slant", "stoke", "skip", "worry", "big", "quiet"}
    article = "The isolated stroking skipper worried about the bigger, quieter stations."
    assert Speller([article], english).correct(f"is it {word}") == f"is it {word}"


def test_a_typo_whose_stem_is_no_english_word_is_still_mended():
    assert Speller([ARTICLE], ENGLISH).correct("missles") == "missiles"
