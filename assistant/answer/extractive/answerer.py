"""The default answerer: picks the sentences that answer, attributes them, or declines. No LLM.

Answerability is decided from evidence, not from one retrieval score (answerable questions score as
low as 0.03 while unanswerable ones reach 0.49). A question is declined when
- it asks for a task rather than about the article (translate, write a poem, ignore instructions);
- its topical words are missing from the best sentence and the meaning does not match either
  (weighted term coverage and sentence similarity, both low);
- it asks for a kind of answer the best sentence cannot hold (how many → a number, when → a time).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer.extractive.intents import AnswerType, Intent, read_intent
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.article import Sentence, Voice
from assistant.retrieve.query import Query
from assistant.retrieve.text import terms
from assistant.schema import Answer, Citation

_OPINION_CUES = re.compile(
    r"\b(should|could|might|may|must|perhaps|clearly|certainly|no doubt|seems?|likely|worrying|"
    r"suggests?|believe|argu\w+|think|mistake|surely|really|simply)\b",
    re.I,
)

DENSE_WEIGHT, COVERAGE_WEIGHT, RETRIEVAL_WEIGHT, ANSWER_TYPE_BONUS = 0.55, 0.45, 0.1, 0.08
ABOUT_ARTICLE_BONUS = 0.5
FOLLOWS_PREVIOUS_ANSWER_BONUS, FOLLOWING_SENTENCES = 0.05, 2
# A sentence of the wanted kind (a number for "how many") must score near the best one, or we decline.
CONSTRAINED_ANSWER_RATIO = {AnswerType.NUMBER: 0.85}
DEFAULT_CONSTRAINED_RATIO = 0.7
# A lower-ranked sentence chosen because it fits must carry most of the question's own words.
MIN_FALLBACK_COVERAGE = 0.55
MIN_COVERAGE, MIN_DENSE = 0.5, 0.5
# "Did the pilot survive?" is only answered by a sentence that talks about the pilot and surviving.
MIN_YES_NO_COVERAGE = 0.45
SECOND_SENTENCE_RATIO = 0.8
# The sentence right after the best one often finishes its thought ("…raises two points:" → the points).
NEXT_SENTENCE_RATIO = 0.75
MAX_CITED_CHARS = 550
NEARBY_CREDIT = 0.5
# "What did Israel do in response?" is not answered by a sentence that never mentions Israel.
MIN_NAMES_MENTIONED = 0.5
NAME_WINDOW_BEFORE = 2
# A caption describes an image: "the second photo" asks about one.
CAPTION_TERMS = "image photo caption picture"


@dataclass(frozen=True)
class Candidate:
    """A sentence considered for the answer, with the evidence for and against it."""

    sentence: Sentence
    dense: float
    coverage: float
    retrieval: float
    score: float
    follows_previous_answer: bool = False


@dataclass(frozen=True)
class Decision:
    """The chosen sentences, or why the question is declined."""

    answerable: bool
    chosen: tuple[Candidate, ...]
    reason: str


_CAPITALISED_PHRASE = re.compile(r"\b(?:[A-Z][a-z]+\s){1,4}[A-Z][a-z]+\b")


def _acronyms(text: str) -> dict[str, frozenset[str]]:
    """ "irgc" → stems of "Iranian Revolutionary Guard Corps", for every phrase an acronym abbreviates."""
    acronyms = {match.lower() for match in re.findall(r"\b[A-Z]{2,6}\b", text)}
    spelled: dict[str, frozenset[str]] = {}
    for phrase in _CAPITALISED_PHRASE.findall(text):
        initials = "".join(word[0] for word in phrase.split()).lower()
        if initials in acronyms and len(initials) >= 2:
            spelled[initials] = frozenset(terms(phrase))
    return spelled


class ArticleVocabulary:
    """Inverse document frequency of each stem over the article's sentences, and what each covers.

    A sentence covers a question term fully if it (or, for a quotation, its speaker) contains it, and
    half if only a neighbouring sentence of its paragraph, its section heading or (for a quotation) its
    speaker does: "Which players are active around Deir Az Zor?" is answered by the sentence after
    the one naming the city.
    """

    def __init__(self, sentences: Sequence[Sentence]) -> None:
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
        counts = Counter(t for ts in own.values() for t in ts)
        n = len(sentences)
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in counts.items()}
        self.unseen_idf = math.log((n + 1) / 0.5) + 1.0

    def mentions(self, name: Sequence[str], position: int) -> bool:
        """Is this name (its stems) in the sentence, the two before it, or its speaker?

        An acronym counts as mentioned where it is spelled out ("IRGC": "Revolutionary Guard").
        """
        window = range(max(0, position - NAME_WINDOW_BEFORE), position + 1)
        present = self.speaker_terms.get(position, frozenset()).union(
            *(self.sentence_terms[p] for p in window if p in self.sentence_terms)
        )
        for stem in name:
            spelled_out = self.aliases.get(stem, frozenset())
            if stem in present or len(spelled_out & present) >= 2:
                return True
        return False

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unseen_idf)

    def coverage(self, weighted_terms: dict[str, float], position: int, by_speaker: bool) -> float:
        """IDF-weighted share of the query's terms that the sentence (or its neighbours) contains.

        The speaker of a quotation counts fully when the question asks what someone said
        ("according to Sepahnews…"), and half otherwise.
        """
        if not weighted_terms:
            return 0.0
        speaker = self.speaker_terms.get(position, frozenset())
        own = self.sentence_terms.get(position, frozenset()) | (speaker if by_speaker else frozenset())
        nearby = self.nearby_terms.get(position, frozenset()) | speaker
        total = found = 0.0
        for term, importance in weighted_terms.items():
            weight = importance * self.weight(term)
            total += weight
            found += weight if term in own else NEARBY_CREDIT * weight if term in nearby else 0.0
        return found / total


class ExtractiveAnswerer:
    """Select, attribute and cite sentences of the article."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        vectors: np.ndarray,
        templates: AnswerTemplates,
        max_citations: int = 2,
    ) -> None:
        self.sentences = list(sentences)
        self.vectors = vectors
        self.templates = templates
        self.max_citations = max_citations
        self.vocabulary = ArticleVocabulary(self.sentences)
        self.metadata_positions = [s.position for s in self.sentences if s.voice is Voice.METADATA]

    def candidates(
        self, query: Query, intent: Intent, query_vector: np.ndarray, passages: Sequence[dict]
    ) -> list[Candidate]:
        """Score every sentence of the retrieved passages (and the header, for questions about it)."""
        retrieval: dict[int, float] = {}
        for rank, metadata in enumerate(passages):
            for position in range(metadata["first_sentence"], metadata["last_sentence"] + 1):
                retrieval.setdefault(position, 1.0 / (rank + 1))
        if intent.about_article:
            for position in self.metadata_positions:
                retrieval.setdefault(position, 0.0)
        following = self._following_previous_answer(query.previous_answer)
        for position in following:
            retrieval.setdefault(position, 0.0)
        positions = sorted(retrieval)
        similarities = self.vectors[positions] @ query_vector
        scored = []
        for position, dense in zip(positions, similarities, strict=True):
            sentence = self.sentences[position]
            coverage = self.vocabulary.coverage(query.weights, position, intent.asks_who_said)
            score = (
                DENSE_WEIGHT * float(dense)
                + COVERAGE_WEIGHT * coverage
                + RETRIEVAL_WEIGHT * retrieval[position]
            )
            if intent.wants is AnswerType.CAUSE and intent.fits(sentence):
                score += ANSWER_TYPE_BONUS
            if self._answers_about_article(intent, sentence):
                score += ABOUT_ARTICLE_BONUS
            follows = position in following
            if follows:
                score += FOLLOWS_PREVIOUS_ANSWER_BONUS
            scored.append(Candidate(sentence, float(dense), coverage, retrieval[position], score, follows))
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def _fits(self, intent: Intent, candidate: Candidate) -> bool:
        """Does the sentence hold the kind of answer asked for and mention the names asked about?"""
        if not intent.fits(candidate.sentence):
            return False
        names = intent.known_names
        position = candidate.sentence.position
        mentioned = sum(self.vocabulary.mentions(name, position) for name in names)
        return not names or mentioned >= MIN_NAMES_MENTIONED * len(names)

    def _following_previous_answer(self, previous_answer: str) -> set[int]:
        """Sentences just after those the previous answer quoted: where a follow-up's answer often is
        ("Which general said so?", "Did it work?"). Found by exact lookup of our own quotes."""
        if not previous_answer:
            return set()
        quoted = [s for s in self.sentences if s.voice is not Voice.METADATA and s.text in previous_answer]
        return {
            n.position
            for s in quoted
            for n in self.sentences[s.position + 1 : s.position + 1 + FOLLOWING_SENTENCES]
            if n.section == s.section
        }

    @staticmethod
    def _answers_about_article(intent: Intent, sentence: Sentence) -> bool:
        return bool(
            intent.about_article
            and sentence.voice is Voice.METADATA
            and intent.about_article.search(sentence.text)
        )

    def decide(self, query: Query, intent: Intent, ranked: Sequence[Candidate]) -> Decision:
        if intent.task:
            return Decision(False, tuple(ranked[:1]), "task")
        if not ranked:
            return Decision(False, (), "nothing retrieved")
        if intent.unknown_names:
            return Decision(False, tuple(ranked[:1]), "unknown name")
        best = ranked[0]
        if self._answers_about_article(intent, best.sentence):
            about = [c for c in ranked if self._answers_about_article(intent, c.sentence)]
            chosen = sorted(about[: self.max_citations], key=lambda c: c.sentence.position)
            return Decision(True, tuple(chosen), "about the article")
        fitting = [c for c in ranked if self._fits(intent, c)]
        ratio = CONSTRAINED_ANSWER_RATIO.get(intent.wants, DEFAULT_CONSTRAINED_RATIO)
        if not fitting or fitting[0].score < ratio * best.score:
            missing = intent.wants.value if intent.wants and not intent.fits(best.sentence) else "names"
            return Decision(False, (best,), f"no sentence with the {missing} asked for")
        fallback = fitting[0]
        own_coverage = self.vocabulary.coverage(
            query.own_weights, fallback.sentence.position, intent.asks_who_said
        )
        follows = fallback.follows_previous_answer
        if fallback is not best and own_coverage < MIN_FALLBACK_COVERAGE and not follows:
            return Decision(False, (best,), "the sentences that fit do not match the question")
        best = fallback
        # A follow-up's search text mixes two questions; its own words alone may match better, and the
        # sentence right after the previous answer's quote is evidence of its own.
        weak = max(best.coverage, own_coverage) < MIN_COVERAGE and best.dense < MIN_DENSE
        if weak and not follows:
            return Decision(False, (best,), "weak evidence")
        # "Why did it send them?" restates the previous question's action; a cause needs no own words.
        restates = intent.wants is AnswerType.CAUSE
        if query.is_follow_up and query.own_weights and own_coverage == 0 and not restates:
            return Decision(False, (best,), "the follow-up's own words are not in the evidence")
        if not intent.mentions_role(best.sentence.text):
            return Decision(False, (best,), f"no {intent.role} named in the evidence")
        if intent.yes_no and best.coverage < MIN_YES_NO_COVERAGE:
            return Decision(False, (best,), "yes/no without its terms")
        chosen = [best]
        for candidate in ranked:
            if len(chosen) >= self.max_citations:
                break
            cited = sum(len(c.sentence.text) for c in chosen) + len(candidate.sentence.text)
            completes_best = (
                candidate.sentence.position == best.sentence.position + 1
                and candidate.sentence.section == best.sentence.section
            )
            ratio = NEXT_SENTENCE_RATIO if completes_best else SECOND_SENTENCE_RATIO
            if candidate is not best and candidate.score >= ratio * best.score and cited <= MAX_CITED_CHARS:
                chosen.append(candidate)
        chosen.sort(key=lambda c: c.sentence.position)
        return Decision(True, tuple(chosen), "answer")

    def answer(self, query: Query, query_vector: np.ndarray, passages: Sequence[dict]) -> Answer:
        intent = read_intent(query.question, self.vocabulary.idf)
        ranked = self.candidates(query, intent, query_vector, passages)
        decision = self.decide(query, intent, ranked)
        citations = [
            Citation(
                id=n,
                text=c.sentence.text,
                start=c.sentence.start,
                end=c.sentence.end,
                section=c.sentence.section,
                speaker=c.sentence.speaker,
            )
            for n, c in enumerate(decision.chosen, start=1)
        ]
        if not decision.answerable:
            text = self.templates.decline(question=query.question, task=decision.reason == "task")
            markers = " ".join(f"[{c.id}]" for c in citations)
            if markers:
                text = f"{text} {self.templates.context(markers=markers)}"
            return Answer(text=text, answerable=False, citations=citations)
        parts = [
            self.templates.attribute(
                voice=c.sentence.voice.value,
                speaker=c.sentence.speaker,
                opinion=bool(_OPINION_CUES.search(c.sentence.text)),
                quote=c.sentence.text,
                marker=f"[{n}]",
            )
            for n, c in enumerate(decision.chosen, start=1)
        ]
        return Answer(text=" ".join(parts), answerable=True, citations=citations)
