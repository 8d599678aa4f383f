"""The extractive answerer's numbers, in one place so they can be swept and refitted."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.extractive.intents import AnswerType


@dataclass(frozen=True)
class ExtractiveWeights:
    """How candidate sentences are scored, and when the best of them is good enough to answer with.

    Provenance: set by hand against ``tests/data/golden.jsonl`` (session 6); not fitted by a script
    yet, and no held-out score has been measured for them on their own (``tests/data/holdout.jsonl``
    scores the whole answerer). The answer-engine issue refits them with a reproducible script; pass
    another instance to ``ExtractiveAnswerer(weights=…)`` to sweep them.
    """

    dense: float = 0.55
    """A sentence's score: this much of its cosine similarity to the query, …"""
    coverage: float = 0.45
    """… plus this much of the IDF-weighted share of the question's words it (or its neighbours) holds, …"""
    retrieval: float = 0.1
    """… plus this much of 1/rank of the best retrieved passage that contains it."""
    answer_type_bonus: float = 0.08
    """Added to a sentence that gives a cause when the question asks why."""
    about_article_bonus: float = 0.5
    """Added to the header line that answers a question about the article itself (author, date)."""
    follows_previous_answer_bonus: float = 0.05
    """Added to a sentence right after one the previous answer quoted: a follow-up's answer often is."""
    following_sentences: int = 2
    """How many sentences after the previous answer's quotes count as following it."""
    number_answer_ratio: float = 0.85
    """A sentence with a number ("how many") must score this share of the best sentence, or we decline."""
    constrained_answer_ratio: float = 0.7
    """The same for every other kind of answer asked for (a time, a year, a speaker)."""
    min_fallback_coverage: float = 0.55
    """A lower-ranked sentence chosen because it fits must carry this share of the question's own words."""
    min_coverage: float = 0.5
    """Evidence is weak (declined) below this coverage, when also …"""
    min_dense: float = 0.5
    """… below this similarity."""
    min_yes_no_coverage: float = 0.45
    """ "Did the pilot survive?" is answered only by a sentence holding this share of its words."""
    second_sentence_ratio: float = 0.8
    """Another sentence is cited beside the best one when it scores this share of the best's score, …"""
    next_sentence_ratio: float = 0.75
    """… or this share when it is the very next sentence (it often finishes the best one's thought)."""
    max_cited_chars: int = 550
    """Characters cited at most per answer, so a second sentence never turns an answer into a page."""
    nearby_credit: float = 0.5
    """A question word found only around a sentence (its neighbours, section, speaker) counts this much."""
    min_names_mentioned: float = 0.5
    """ "What did Israel do?" needs this share of the question's names mentioned near the sentence, …"""
    name_window_before: int = 2
    """… in the sentence itself or this many before it (or by its speaker)."""

    def answer_ratio(self, wants: AnswerType | None) -> float:
        """The share of the best score a sentence of the kind asked for must reach."""
        return self.number_answer_ratio if wants is AnswerType.NUMBER else self.constrained_answer_ratio


EXTRACTIVE_WEIGHTS = ExtractiveWeights()
