"""Readers misspell ("missles", "wich", "iranian's"): map a question's unknown words onto the article's.

A word that is neither in the article nor a common English word is replaced by the closest word the
article does contain (rapidfuzz's normalised Levenshtein similarity), when that one is close enough
and the word long enough for a typo to be told from another word. English words are left alone even
when the article lacks them: "smallest" must not become "largest" (a question about something the
article does not say stays one). The English word list is the whole-word entries of the
cross-encoder's WordPiece vocabulary (~21,700 words), which ships with the model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


# English's regular inflections, undone: (ending, what replaces it). "slanted" → "slant", "stoking" →
# "stoke", "skipped" → "skip", "worries" → "worry": a reader's English word the word list has only in
# its base form is still English, not a typo of some article word ("slanted" is not "isolated").
_INFLECTIONS = (
    ("ies", "y"), ("ied", "y"), ("ier", "y"), ("iest", "y"), ("ily", "y"),
    ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
    ("er", ""), ("er", "e"), ("est", ""), ("est", "e"), ("ly", ""), ("ness", ""), ("ment", ""),
)  # fmt: skip
_MIN_STEM = 3


def base_forms(word: str) -> Iterable[str]:
    """The base forms a regularly inflected English word may come from (a doubled final consonant
    undone too: "skipped" → "skip")."""
    for ending, replacement in _INFLECTIONS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            stem = word[: -len(ending)]
            yield stem + replacement
            if not replacement and len(stem) > _MIN_STEM and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
                yield stem[:-1]


@dataclass(frozen=True)
class SpellingTuning:
    """Provenance: English typing statistics, not fitted: one edit in five letters is a typo, a word of
    under four letters has too many neighbours to correct safely."""

    min_length: int = 4
    min_similarity: float = 80.0
    """rapidfuzz ``ratio`` (0–100) the closest article word must reach."""


SPELLING_TUNING = SpellingTuning()


class Speller:
    """The article's vocabulary, and the nearest of its words for one that is not in it."""

    def __init__(
        self,
        texts: Iterable[str],
        english: frozenset[str] = frozenset(),
        tuning: SpellingTuning = SPELLING_TUNING,
    ) -> None:
        counts = Counter(word.lower() for text in texts for word in _WORD.findall(text))
        self.tuning = tuning
        self.english = english
        self.known = frozenset(counts) | english
        # Most frequent first: between equally close words the common one is the likelier intent.
        self._choices = [word for word, _ in counts.most_common() if len(word) >= tuning.min_length - 1]
        self.nearest = lru_cache(maxsize=4096)(self._nearest)

    def _nearest(self, word: str) -> str | None:
        found = process.extractOne(
            word, self._choices, scorer=fuzz.ratio, score_cutoff=self.tuning.min_similarity
        )
        return found[0] if found else None

    def correct_word(self, word: str) -> str:
        """The word itself when it is known (or too short to judge), else the article's nearest."""
        lower = word.lower()
        if len(lower) < self.tuning.min_length or lower in self.known:
            return word
        base = lower.removesuffix("'s").removesuffix("’s").rstrip("'’")
        if base in self.known or any(form in self.english for form in base_forms(base)):
            return word
        nearest = self.nearest(lower)
        if nearest is None:
            return word
        return nearest.capitalize() if word[:1].isupper() else nearest

    def correct(self, text: str) -> str:
        """``text`` with each misspelt word replaced; unchanged when every word is known."""
        return _WORD.sub(lambda match: self.correct_word(match.group(0)), text)


@lru_cache(maxsize=4)
def english_words(vocabulary_file: Path) -> frozenset[str]:
    """The whole, lower-case words of a WordPiece ``vocab.txt`` (subword pieces start with ``##``):
    read once per process, not once per article opened (a shelf reopens articles)."""
    lines = vocabulary_file.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line.isalpha() and line.islower())
