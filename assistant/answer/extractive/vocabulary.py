"""The article's words as evidence: which question words a sentence holds, and how telling each is.

Inverse document frequency of each stem over the article's sentences, and what each sentence covers:
its own words fully, and (at ``nearby_credit``) the words of its neighbours in the paragraph, its
section heading and, for a quotation, its speaker. Built once per article served.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from assistant.article import Sentence, Voice
from assistant.retrieve.text import MIN_PREFIX, stem_found, terms

# English words for what a caption describes: "the second photo" asks about one.
CAPTION_TERMS = "image photo caption picture"
_CAPITALISED_PHRASE = re.compile(r"\b(?:[A-Z][a-z]+\s){1,4}[A-Z][a-z]+\b")


def _acronyms(text: str) -> dict[str, frozenset[str]]:
    """An acronym of the article → the stems of the phrase it abbreviates there, found by initials."""
    acronyms = {match.lower() for match in re.findall(r"\b[A-Z]{2,6}\b", text)}
    spelled: dict[str, frozenset[str]] = {}
    for phrase in _CAPITALISED_PHRASE.findall(text):
        initials = "".join(word[0] for word in phrase.split()).lower()
        if initials in acronyms and len(initials) >= 2:
            spelled[initials] = frozenset(terms(phrase))
    return spelled


_INNER_WORD = re.compile(r"(?<=\s)[A-Za-z][A-Za-z'’-]*")


def _proper_terms(sentences: Sequence[Sentence]) -> frozenset[str]:
    """Stems the article writes capitalised within a sentence more often than not: its names."""
    capitalised: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for sentence in sentences:
        for word in _INNER_WORD.findall(sentence.text):
            for term in terms(word):
                (capitalised if word[0].isupper() else lower)[term] += 1
    return frozenset(t for t, n in capitalised.items() if n > lower[t])


class ArticleVocabulary:
    """IDF of the article's stems and the stems each sentence covers (itself, nearby, its speaker)."""

    def __init__(
        self, sentences: Sequence[Sentence], nearby_credit: float, name_window: int, title: str = ""
    ) -> None:
        self.nearby_credit = nearby_credit
        # What the whole article is about ("Victoria"): every sentence is about it, named or not.
        self.title_terms = frozenset(terms(title))
        self.name_window = name_window
        own = {s.position: frozenset(terms(s.text)) for s in sentences}
        self.sentence_terms = own
        self.nearby_terms: dict[int, frozenset[str]] = {}
        for s in sentences:
            neighbours = [
                own[n.position]
                for n in sentences[max(0, s.position - 1) : s.position + 2]
                if n.block == s.block and n.position != s.position
            ]
            described = CAPTION_TERMS if s.voice is Voice.CAPTION else ""
            self.nearby_terms[s.position] = frozenset().union(
                *neighbours, terms(f"{s.section or ''} {described}")
            )
        self.speaker_terms = {
            s.position: frozenset(terms(s.speaker or "")) if s.voice is Voice.QUOTE else frozenset()
            for s in sentences
        }
        self.aliases = _acronyms(" ".join(s.text for s in sentences))
        self.proper_terms = _proper_terms(sentences)
        counts = Counter(t for ts in own.values() for t in ts)
        n = len(sentences)
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in counts.items()}
        self.unseen_idf = math.log((n + 1) / 0.5) + 1.0

    def knows(self, word_stem: str) -> bool:
        """Does the article use this word, or one it begins or differs from only in its ending?"""
        return stem_found(word_stem, self.idf.keys())

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unseen_idf)

    def mentions(self, name: Sequence[str], position: int, derived: bool = False) -> bool:
        """Is this name (its stems) in the sentence, the few before it, its speaker, or the title? An
        acronym counts where it is spelled out ("IRGC": "Revolutionary Guard"); with ``derived``, so
        does a word the name begins ("Russia" in "the Russian Defense Ministry")."""
        window = range(max(0, position - self.name_window), position + 1)
        present = self.speaker_terms.get(position, frozenset()).union(
            *(self.sentence_terms[p] for p in window if p in self.sentence_terms)
        )
        if self.title_terms.issuperset(name):
            return True
        for stem in name:
            spelled_out = self.aliases.get(stem, frozenset())
            if stem in present or len(spelled_out & present) >= 2:
                return True
            if derived and len(stem) >= MIN_PREFIX and any(term.startswith(stem) for term in present):
                return True
        return False

    def coverage(self, weighted_terms: dict[str, float], position: int, by_speaker: bool) -> float:
        """IDF-weighted share of the query's terms the sentence holds (its neighbours: part credit).

        The speaker of a quotation counts fully when the question asks what someone said."""
        if not weighted_terms:
            return 0.0
        speaker = self.speaker_terms.get(position, frozenset())
        own = self.sentence_terms.get(position, frozenset()) | (speaker if by_speaker else frozenset())
        nearby = self.nearby_terms.get(position, frozenset()) | speaker
        total = found = 0.0
        for term, importance in weighted_terms.items():
            weight = importance * self.weight(term)
            total += weight
            found += weight if term in own else self.nearby_credit * weight if term in nearby else 0.0
        return found / total

    def missing_share(self, weighted_terms: dict[str, float]) -> float:
        """IDF-weighted share of the question's words the whole article never uses: a question about
        something the article does not cover often brings one ("smallest" where it says "largest")."""
        total = sum(i * self.weight(t) for t, i in weighted_terms.items())
        missing = sum(
            i * self.unseen_idf
            for t, i in weighted_terms.items()
            if t not in self.idf and t not in self.aliases
        )
        return missing / total if total else 0.0
