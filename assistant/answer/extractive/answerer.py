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

from assistant.answer.base import Evidence
from assistant.answer.citations import Draft
from assistant.answer.extractive.intents import AnswerType, Intent, read_intent
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.weights import EXTRACTIVE_WEIGHTS, ExtractiveWeights
from assistant.article import Sentence, Voice
from assistant.retrieve.query import Query
from assistant.retrieve.text import terms

_OPINION_CUES = re.compile(
    r"\b(should|could|might|may|must|perhaps|clearly|certainly|no doubt|seems?|likely|worrying|"
    r"suggests?|believe|argu\w+|think|mistake|surely|really|simply)\b",
    re.I,
)

# English words for what a caption describes: "the second photo" asks about one.
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

    def __init__(
        self, sentences: Sequence[Sentence], weights: ExtractiveWeights = EXTRACTIVE_WEIGHTS
    ) -> None:
        self.weights = weights
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
        window = range(max(0, position - self.weights.name_window_before), position + 1)
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
        nearby_credit = self.weights.nearby_credit
        for term, importance in weighted_terms.items():
            weight = importance * self.weight(term)
            total += weight
            found += weight if term in own else nearby_credit * weight if term in nearby else 0.0
        return found / total


class ExtractiveAnswerer:
    """Select, attribute and cite sentences of the article: the default ``Answerer``."""

    def __init__(
        self,
        templates: AnswerTemplates,
        max_citations: int = 2,
        weights: ExtractiveWeights = EXTRACTIVE_WEIGHTS,
    ) -> None:
        self.templates = templates
        self.max_citations = max_citations
        self.weights = weights
        self._vocabulary: tuple[tuple[Sentence, ...], ArticleVocabulary] | None = None

    def vocabulary(self, sentences: tuple[Sentence, ...]) -> ArticleVocabulary:
        """The vocabulary of these sentences: built once per article served, not per question."""
        cached = self._vocabulary
        if cached is not None and cached[0] is sentences:
            return cached[1]
        vocabulary = ArticleVocabulary(sentences, self.weights)
        self._vocabulary = (sentences, vocabulary)
        return vocabulary

    def candidates(
        self, evidence: Evidence, intent: Intent, vocabulary: ArticleVocabulary
    ) -> list[Candidate]:
        """Score every sentence of the retrieved passages (and the header, for questions about it)."""
        query, sentences, w = evidence.query, evidence.sentences, self.weights
        retrieval: dict[int, float] = {}
        for passage in sorted(evidence.passages, key=lambda p: p.rank):
            for position in range(passage.first_sentence, passage.last_sentence + 1):
                retrieval.setdefault(position, 1.0 / passage.rank)
        if intent.about_article:
            for sentence in sentences:
                if sentence.voice is Voice.METADATA:
                    retrieval.setdefault(sentence.position, 0.0)
        following = self._following_previous_answer(query.previous_answer, sentences)
        for position in following:
            retrieval.setdefault(position, 0.0)
        positions = sorted(retrieval)
        similarities = evidence.sentence_vectors[positions] @ evidence.query_vector
        scored = []
        for position, dense in zip(positions, similarities, strict=True):
            sentence = sentences[position]
            coverage = vocabulary.coverage(query.weights, position, intent.asks_who_said)
            score = w.dense * float(dense) + w.coverage * coverage + w.retrieval * retrieval[position]
            if intent.wants is AnswerType.CAUSE and intent.fits(sentence):
                score += w.answer_type_bonus
            if self._answers_about_article(intent, sentence):
                score += w.about_article_bonus
            follows = position in following
            if follows:
                score += w.follows_previous_answer_bonus
            scored.append(Candidate(sentence, float(dense), coverage, retrieval[position], score, follows))
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def _fits(self, intent: Intent, candidate: Candidate, vocabulary: ArticleVocabulary) -> bool:
        """Does the sentence hold the kind of answer asked for and mention the names asked about?"""
        if not intent.fits(candidate.sentence):
            return False
        names = intent.known_names
        position = candidate.sentence.position
        mentioned = sum(vocabulary.mentions(name, position) for name in names)
        return not names or mentioned >= self.weights.min_names_mentioned * len(names)

    def _following_previous_answer(self, previous_answer: str, sentences: Sequence[Sentence]) -> set[int]:
        """Sentences just after those the previous answer quoted: where a follow-up's answer often is
        ("Which general said so?", "Did it work?"). Found by exact lookup of our own quotes."""
        if not previous_answer:
            return set()
        quoted = [s for s in sentences if s.voice is not Voice.METADATA and s.text in previous_answer]
        return {
            n.position
            for s in quoted
            for n in sentences[s.position + 1 : s.position + 1 + self.weights.following_sentences]
            if n.section == s.section
        }

    @staticmethod
    def _answers_about_article(intent: Intent, sentence: Sentence) -> bool:
        return bool(
            intent.about_article
            and sentence.voice is Voice.METADATA
            and intent.about_article.search(sentence.text)
        )

    def decide(
        self, query: Query, intent: Intent, ranked: Sequence[Candidate], vocabulary: ArticleVocabulary
    ) -> Decision:
        """Answer with the best candidate that fits the question, or decline and say why."""
        w = self.weights
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
        fitting = [c for c in ranked if self._fits(intent, c, vocabulary)]
        if not fitting or fitting[0].score < w.answer_ratio(intent.wants) * best.score:
            missing = intent.wants.value if intent.wants and not intent.fits(best.sentence) else "names"
            return Decision(False, (best,), f"no sentence with the {missing} asked for")
        fallback = fitting[0]
        own_coverage = vocabulary.coverage(
            query.own_weights, fallback.sentence.position, intent.asks_who_said
        )
        follows = fallback.follows_previous_answer
        if fallback is not best and own_coverage < w.min_fallback_coverage and not follows:
            return Decision(False, (best,), "the sentences that fit do not match the question")
        best = fallback
        # A follow-up's search text mixes two questions; its own words alone may match better, and the
        # sentence right after the previous answer's quote is evidence of its own.
        weak = max(best.coverage, own_coverage) < w.min_coverage and best.dense < w.min_dense
        if weak and not follows:
            return Decision(False, (best,), "weak evidence")
        # "Why did it send them?" restates the previous question's action; a cause needs no own words.
        restates = intent.wants is AnswerType.CAUSE
        if query.is_follow_up and query.own_weights and own_coverage == 0 and not restates:
            return Decision(False, (best,), "the follow-up's own words are not in the evidence")
        if not intent.mentions_role(best.sentence.text):
            return Decision(False, (best,), f"no {intent.role} named in the evidence")
        if intent.yes_no and best.coverage < w.min_yes_no_coverage:
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
            ratio = w.next_sentence_ratio if completes_best else w.second_sentence_ratio
            if candidate is not best and candidate.score >= ratio * best.score and cited <= w.max_cited_chars:
                chosen.append(candidate)
        chosen.sort(key=lambda c: c.sentence.position)
        return Decision(True, tuple(chosen), "answer")

    def draft(self, evidence: Evidence) -> Draft:
        """The chosen sentences, attributed to their speakers, or a decline with the closest as context."""
        query = evidence.query
        vocabulary = self.vocabulary(evidence.sentences)
        intent = read_intent(query.question, vocabulary.idf)
        ranked = self.candidates(evidence, intent, vocabulary)
        decision = self.decide(query, intent, ranked, vocabulary)
        cited = tuple(c.sentence for c in decision.chosen)
        if not decision.answerable:
            text = self.templates.decline(question=query.question, task=decision.reason == "task")
            markers = " ".join(f"[{n}]" for n in range(1, len(cited) + 1))
            if markers:
                text = f"{text} {self.templates.context(markers=markers)}"
            return Draft(text=text, answerable=False, cited=cited)
        parts = [
            self.templates.attribute(
                voice=sentence.voice.value,
                speaker=sentence.speaker,
                opinion=bool(_OPINION_CUES.search(sentence.text)),
                quote=sentence.text,
                marker=f"[{n}]",
            )
            for n, sentence in enumerate(cited, start=1)
        ]
        return Draft(text=" ".join(parts), answerable=True, cited=cited)
