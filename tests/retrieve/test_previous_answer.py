"""Which sentences the previous answer quoted, and which follow them (fast: a three-sentence article)."""

from __future__ import annotations

from assistant.retrieve.previous_answer import following, quoted_in
from tests.answer.fixture import THREE_SENTENCES


def _quoting(*positions: int) -> str:
    quotes = " ".join(f"“{THREE_SENTENCES[p].text}” [{n}]" for n, p in enumerate(positions, start=1))
    return f"The author writes: {quotes}"


def test_the_quoted_sentences_are_found_by_their_exact_words():
    assert [s.position for s in quoted_in(_quoting(0, 2), THREE_SENTENCES)] == [0, 2]
    assert quoted_in("The article does not say.", THREE_SENTENCES) == []
    assert quoted_in("", THREE_SENTENCES) == []


def test_the_sentences_after_each_quote_follow_it_once_each():
    assert following(_quoting(0), THREE_SENTENCES) == [1, 2]
    assert following(_quoting(0, 1), THREE_SENTENCES) == [1, 2]
    assert following(_quoting(2), THREE_SENTENCES) == []  # the article ends there
    assert following("", THREE_SENTENCES) == []
