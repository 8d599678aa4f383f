"""Stems of the words users type are cached in bounded memory, whatever they type."""

from __future__ import annotations

from assistant.retrieve import text
from assistant.retrieve.text import MAX_CACHED_WORD_CHARS, STEM_CACHE_SIZE, terms


def test_long_words_are_stemmed_without_being_cached():
    text._cached_stem.cache_clear()
    long_word = "missiles" * 250
    assert terms(f"{long_word} missiles") == [text._STEMMER.stemWord(long_word), "missil"]
    assert text._cached_stem.cache_info().currsize == 1  # only "missiles"


def test_stem_cache_is_bounded_in_entries_and_word_length():
    assert text._cached_stem.cache_info().maxsize == STEM_CACHE_SIZE <= 16384
    assert MAX_CACHED_WORD_CHARS <= 32
    assert text._STEMMER.maxCacheSize == 0  # no second, unbounded-length cache inside the stemmer
