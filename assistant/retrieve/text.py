"""Words as the lexical side of retrieval and answer selection sees them: lower-cased stems."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHE_S = re.compile(r"['’]s\b")
# English function words (a common English stopword list plus "also" and the "s"/"t" of contractions).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also s t""".split()
)
# No cache inside the stemmer (size 0): ``stem`` keeps its own, bounded in entries and word length.
_STEMMER = Stemmer.Stemmer("english", 0)
# Stems kept for reuse, and the longest word kept: bounds the cache at ~5 MB whatever users type
# (65,536 entries of 2,000-letter "words" held 260 MB). The article's own vocabulary is ~750 words.
STEM_CACHE_SIZE = 16384
MAX_CACHED_WORD_CHARS = 32
MIN_PREFIX = 4
"""A word is found as the start of a longer one only from this length on (English morphology)."""
SUFFIX_LETTERS = 2
"""An English derivational ending ("-ism"/"-ist", "-n") changes about this many letters of a stem."""


def words(text: str) -> list[str]:
    """Lower-case word tokens, without possessive 's and stopwords (not stemmed).

    No synonym or demonym tables: the cross-encoder and the embeddings carry meaning ("deaths" for
    "killed"); the lexical side only has to find the words themselves."""
    tokens = _WORD.findall(_APOSTROPHE_S.sub("", text.lower()))
    return [t for t in tokens if t not in STOPWORDS]


@lru_cache(maxsize=STEM_CACHE_SIZE)
def _cached_stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stem(word: str) -> str:
    return _cached_stem(word) if len(word) <= MAX_CACHED_WORD_CHARS else _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content words of a text, in order."""
    return [stem(word) for word in words(text)]


def stem_found(word_stem: str, stems: Collection[str]) -> bool:
    """The stem is among ``stems``, or begins one of them ("america" in "american-born", "iran" in
    "iranian"), or differs from one only in its last two letters ("buddhist": "buddhism")."""
    if word_stem in stems:
        return True
    if len(word_stem) < MIN_PREFIX:
        return False
    shared = max(MIN_PREFIX, len(word_stem) - SUFFIX_LETTERS)
    return any(
        term.startswith(word_stem)
        or (term[:shared] == word_stem[:shared] and len(term) <= shared + SUFFIX_LETTERS)
        for term in stems
    )
