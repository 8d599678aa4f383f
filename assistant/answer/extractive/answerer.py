"""The default answerer: quotes the sentences that answer, says whose words they are, or declines. No LLM.

The cross-encoder has ranked the candidate sentences (``Evidence.ranked``). Around it:
- a task ("write a poem", "ignore your instructions") is not a question about the article: declined;
- a question about the article itself (author, date, title) is answered from its header, and one
  about the whole of it ("what is it about", "summarize in 3 points") from the key sentences the
  index ranked when it was built;
- "what did they say next?" continues after the previous answer's quotes;
- a follow-up's candidates are ranked by the fitted blend of their scores for its search text (the
  previous question borrowed, or a model's rewrite) and for the question as asked, alone;
- otherwise the best sentence (a sentence that can hold the kind of answer asked for gains a little)
  is cited, with the runner-up when it scores nearly as well and both stay short, unless the
  decline model (``weights.DeclineModel``, fitted by ``assistant tune``) judges that the best does
  not answer; two adjacent sentences the cross-encoder ranks clearly higher together than any one
  alone are cited instead (``assistant.retrieve.windows``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.answer.citations import Draft
from assistant.answer.extractive.features import PREFERRED_ANSWERS, decline_features
from assistant.answer.extractive.intents import AnswerType, Intent, read_intent
from assistant.answer.extractive.templates import AnswerTemplates
from assistant.answer.extractive.vocabulary import ArticleVocabulary
from assistant.answer.extractive.weights import ExtractiveWeights, default_weights
from assistant.article import Sentence, Voice
from assistant.retrieve.evidence import Evidence, RankedSentence
from assistant.retrieve.previous_answer import following as following_quoted
from assistant.retrieve.previous_answer import quoted_in
from assistant.retrieve.question import mentions_the_page
from assistant.retrieve.windows import RankedWindow, leads_in

_OPINION_CUES = re.compile(
    r"\b(should|could|might|may|must|perhaps|clearly|certainly|no doubt|seems?|likely|worrying|"
    r"suggests?|believe|argu\w+|think|mistake|surely|really|simply)\b",
    re.I,
)
# "What did they say next?", "and then?", "what else?": continue where the previous answer stopped.
_CONTINUE = re.compile(
    r"\b(next|after that|afterwards|then what|what else|go on|continue|anything else|and then)\b", re.I
)
_FOLLOWING_WINDOW = 6
"""How far after the previous quote a continuation looks for the same speaker's next words."""


def _same_voice(before: Sentence, sentence: Sentence) -> bool:
    """Quoted from the same speaker, or the author's narration again (not a caption or page text)."""
    return (
        sentence.voice is before.voice
        and sentence.voice in (Voice.AUTHOR, Voice.QUOTE)
        and sentence.speaker == before.speaker
    )


def _blend(rerank: float, question_rerank: float | None, question_weight: float) -> float:
    """A follow-up's logit for its search text blended with its logit for the question as asked."""
    if question_rerank is None:
        return rerank
    return (1 - question_weight) * rerank + question_weight * question_rerank


def _weighed(ranked: Sequence[RankedSentence], question_weight: float) -> Sequence[RankedSentence]:
    """A follow-up's candidates ranked by the blend of their logits for its search text and for the
    question as asked (``ExtractiveWeights.follow_up_question_weight``); others as they were."""
    if not question_weight or all(r.question_rerank is None for r in ranked):
        return ranked
    blended = [replace(r, rerank=_blend(r.rerank, r.question_rerank, question_weight)) for r in ranked]
    return sorted(blended, key=lambda r: (-r.rerank, r.position))


def _weighed_windows(windows: Sequence[RankedWindow], question_weight: float) -> Sequence[RankedWindow]:
    """A follow-up's windows blended as its sentences are (``_weighed``), best first."""
    if not question_weight or all(w.question_rerank is None for w in windows):
        return windows
    blended = [replace(w, rerank=_blend(w.rerank, w.question_rerank, question_weight)) for w in windows]
    return sorted(blended, key=lambda w: (-w.rerank, w.first))


@dataclass(frozen=True)
class Choice:
    """What the answerer decided for one question, before any wording."""

    answerable: bool
    reason: str
    cited: tuple[Sentence, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    probability: float | None = None
    show_context: bool = True
    overview: bool = False


class ExtractiveAnswerer:
    """Select, attribute and cite sentences of the article: the default ``Answerer``."""

    def __init__(
        self,
        templates: AnswerTemplates,
        max_citations: int = 2,
        weights: ExtractiveWeights | None = None,
    ) -> None:
        self.templates = templates
        self.max_citations = max_citations
        self.weights = weights or default_weights()
        self._vocabulary: tuple[tuple[Sentence, ...], ArticleVocabulary] | None = None

    def vocabulary(self, sentences: tuple[Sentence, ...], title: str = "") -> ArticleVocabulary:
        """The vocabulary of these sentences: built once per article served, not per question."""
        cached = self._vocabulary
        if cached is not None and cached[0] is sentences:
            return cached[1]
        vocabulary = ArticleVocabulary(sentences, self.weights.nearby_credit, self.weights.name_window, title)
        self._vocabulary = (sentences, vocabulary)
        return vocabulary

    def choose(self, evidence: Evidence, weights: ExtractiveWeights | None = None) -> Choice:
        """Decide for one question; ``weights`` overrides the answerer's own (``assistant tune``)."""
        w = weights or self.weights
        query, sentences = evidence.query, evidence.sentences
        vocabulary = self.vocabulary(sentences, evidence.article.title)
        intent = read_intent(query.question, vocabulary.idf, vocabulary.proper_terms, evidence.article.author)
        if intent.task:
            return Choice(False, "task", show_context=False)
        if intent.about_article is not None:
            header = [s for s in sentences if intent.answers_about_article(s)][: self.max_citations]
            if header:
                return Choice(True, "about the article", tuple(header))
            # No such header line ("the paper written by Karp" is not about this article's author):
            # the question is answered, or declined, like any other.
        if intent.conclusion:
            closing = [s for s in sentences if s.voice is Voice.AUTHOR][-intent.overview_points :]
            if closing:
                return Choice(True, "conclusion", tuple(closing), overview=True)
        if intent.overview_points is not None and evidence.key_sentences:
            points = sorted(evidence.key_sentences[: intent.overview_points])
            return Choice(True, "overview", tuple(sentences[p] for p in points), overview=True)
        if query.is_follow_up and _CONTINUE.search(query.question):
            following = self._continuation(query.previous_answer, sentences)
            if following:
                return Choice(True, "continues the previous answer", following)
        if not evidence.ranked:
            return Choice(False, "nothing retrieved", show_context=False)
        if not query.own_weights and not query.is_follow_up and not mentions_the_page(query.question):
            # "Why did it do that?" with nothing before it: no word says what to look for.
            return Choice(False, "nothing asked about", show_context=False)
        following, repeated = frozenset[int](), frozenset[int]()
        if query.is_follow_up:
            following = frozenset(following_quoted(query.previous_answer, sentences))
            repeated = frozenset(s.position for s in quoted_in(query.previous_answer, sentences))
        ranked = _weighed(evidence.ranked, w.follow_up_question_weight)
        best, cited = self._select(ranked, sentences, intent, w, following, repeated)
        features = decline_features(query, intent, vocabulary, ranked, best, cited, sentences, repeated)
        probability = w.decline.probability(features)
        show = best.rerank >= w.context_min_rerank
        if best.rerank < w.min_rerank or probability < w.decline.threshold:
            return Choice(False, "weak evidence", (sentences[best.position],), features, probability, show)
        windows = _weighed_windows(evidence.windows, w.follow_up_question_weight)
        cited = self._windowed(evidence.sentences, windows, ranked, cited, w)
        return Choice(True, "answer", cited, features, probability)

    @staticmethod
    def _windowed(
        sentences: Sequence[Sentence],
        windows: Sequence[RankedWindow],
        ranked: Sequence[RankedSentence],
        cited: tuple[Sentence, ...],
        w: ExtractiveWeights,
    ) -> tuple[Sentence, ...]:
        """The best two-sentence window instead, when together they answer clearly better than any
        one sentence does (the reason given in the sentence after the event it explains). A
        follow-up's windows and sentences come blended alike (``_weighed``, ``_weighed_windows``)."""
        if w.window_gain is None or not windows or not ranked:
            return cited
        window = windows[0]
        if window.rerank < ranked[0].rerank + w.window_gain:
            return cited
        together = tuple(sentences[p] for p in window.positions)
        if sum(len(s.text) for s in together) > w.max_cited_chars:
            return cited
        return together

    def _select(
        self,
        ranked: Sequence[RankedSentence],
        sentences: Sequence[Sentence],
        intent: Intent,
        w: ExtractiveWeights,
        following: frozenset[int] = frozenset(),
        repeated: frozenset[int] = frozenset(),
    ) -> tuple[RankedSentence, tuple[Sentence, ...]]:
        """The best sentence, and the runner-up when it is nearly as good, clears the answering floor
        and both stay short.

        ``following`` are the sentences right after the previous answer's quotes: a follow-up's
        answer is often there ("Which general said so?"), so they gain the fitted bonus too;
        ``repeated`` are those quotes themselves, which answer "who said that?" but rarely a new question.
        A question about the author's view prefers the author's own sentences (the fitted bonus)."""
        typed = intent.wants in PREFERRED_ANSWERS
        penalised = repeated if intent.wants is not AnswerType.SPEAKER else frozenset()

        def adjusted(r: RankedSentence) -> float:
            sentence = sentences[r.position]
            bonus = w.type_fit_bonus if typed and intent.fits(sentence) else 0.0
            if intent.author_view and sentence.voice is Voice.AUTHOR:
                bonus += w.author_view_bonus
            if r.position in following:
                bonus += w.follow_up_bonus
            return r.rerank + bonus - (w.repeat_penalty if r.position in penalised else 0.0)

        order = sorted(ranked, key=lambda r: (-adjusted(r), r.position))
        best = order[0]
        rest = order[1:]
        if intent.wants is AnswerType.CAUSE:
            # A reason asked for: the best sentence that gives one comes next, whatever its score.
            rest = sorted(rest, key=lambda r: not intent.fits(sentences[r.position]))
        order = self._with_what_lead_ins_introduce([best, *rest], sentences)
        chosen = [best]
        budget = w.max_cited_chars - len(sentences[best.position].text)
        for runner_up in order[1:]:
            if len(chosen) >= self.max_citations or adjusted(runner_up) < adjusted(best) - w.second_margin:
                break
            if runner_up.rerank < w.min_rerank:
                continue  # a sentence too weak to answer with alone is not cited beside the answer
            length = len(sentences[runner_up.position].text)
            if length <= budget:
                chosen.append(runner_up)
                budget -= length
        cited = tuple(sentences[r.position] for r in sorted(chosen, key=lambda r: r.position))
        return best, cited

    def _with_what_lead_ins_introduce(
        self, order: list[RankedSentence], sentences: Sequence[Sentence]
    ) -> list[RankedSentence]:
        """ "According to Sepahnews," or "The FT explains:" says who, the next sentence says what: the
        best sentence brings the one it introduces right after it; a lower one gives it its place."""
        result: list[RankedSentence] = []
        seen: set[int] = set()
        for rank, candidate in enumerate(order):
            introduced = self._introduced(candidate, sentences)
            keep = [candidate, introduced] if rank == 0 and introduced else [introduced or candidate]
            for r in keep:
                if r is not None and r.position not in seen:
                    seen.add(r.position)
                    result.append(r)
        return result

    @staticmethod
    def _introduced(best: RankedSentence, sentences: Sequence[Sentence]) -> RankedSentence | None:
        """The sentence a lead-in ending in a colon or a comma introduces, scored as the lead-in."""
        if not best.position + 1 < len(sentences):
            return None
        if not leads_in(sentences[best.position]):
            return None
        following = sentences[best.position + 1]
        if following.voice is Voice.METADATA:
            return None
        return RankedSentence(following.position, best.dense, best.rerank)

    def _continuation(self, previous_answer: str, sentences: Sequence[Sentence]) -> tuple[Sentence, ...]:
        """The sentence after the previous answer's last quote: the same speaker's next words when it
        quoted someone, else the next sentence of the article."""
        quoted = quoted_in(previous_answer, sentences)
        if not quoted:
            return ()
        last = quoted[-1]
        after = [s for s in sentences[last.position + 1 :] if s.voice is not Voice.METADATA]
        if last.voice is Voice.QUOTE and last.speaker:
            same = [s for s in after[:_FOLLOWING_WINDOW] if s.speaker == last.speaker]
            if same:
                after = after[after.index(same[0]) :]
        # "Fars News Agency added," says who speaks next, not what: bring the words it introduces.
        return tuple(after[:2]) if after and leads_in(after[0]) else tuple(after[:1])

    def attributed(self, sentence: Sentence, number: int, continues: bool = False) -> str:
        """One sentence quoted, attributed to its speaker, with its marker ``[number]``."""
        return self.templates.attribute(
            voice=sentence.voice.value,
            speaker=sentence.speaker,
            opinion=bool(_OPINION_CUES.search(sentence.text)),
            quote=sentence.text,
            marker=f"[{number}]",
            continues=continues,
        )

    def draft(self, evidence: Evidence) -> Draft:
        """The chosen sentences, attributed to their speakers, or a decline (with the closest as
        context when something came close)."""
        return self.drafted(evidence, self.choose(evidence))

    def drafted(self, evidence: Evidence, choice: Choice) -> Draft:
        """The draft of a decision already made (the LLM's judge may have made it "not stated")."""
        question = evidence.query.question
        if not choice.answerable and not (choice.show_context and choice.cited):
            return Draft(self.templates.decline(question=question, task=choice.reason == "task"), False)
        parts = [
            self.attributed(sentence, n, continues=n > 1 and _same_voice(choice.cited[n - 2], sentence))
            for n, sentence in enumerate(choice.cited, start=1)
        ]
        if not choice.answerable:
            # "Not stated": on topic, but not what was asked. What the article does say is quoted, as
            # an answer quotes, after saying so; clients tell it apart by ``status``.
            return Draft(" ".join([self.templates.not_stated(question), *parts]), False, choice.cited)
        if choice.overview:
            parts = [self.templates.overview_intro(), *parts]
        return Draft(text=" ".join(parts), answerable=True, cited=choice.cited)
