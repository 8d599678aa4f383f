"""What the decline model sees of a question and its best sentence: signals that do not need the
answer to be known, each cheap, each general (no word of any article).

The cross-encoder's score alone does not separate a question the article answers from one written
to look answerable (SQuAD 2.0's adversarial unanswerables: a swapped name, "smallest" for
"largest"); these add what a careful reader checks: are the question's words and names there, can
the sentence hold the kind of answer asked for, how far ahead of the rest is the best sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.extractive.intents import AnswerType, Intent
from assistant.answer.extractive.negation import asks_negated, negates
from assistant.answer.extractive.vocabulary import ArticleVocabulary
from assistant.article import Sentence
from assistant.retrieve.evidence import RankedSentence
from assistant.retrieve.query import Query

MAX_MARGIN = 10.0
"""A lone candidate's margin, and the cap on any: logits rarely spread wider than this."""
TYPED_ANSWERS = frozenset(
    {AnswerType.PERSON, AnswerType.PLACE, AnswerType.DATE, AnswerType.TIME, AnswerType.NUMBER}
)
"""Answer types a sentence must be able to hold (a cause is preferred, never required)."""
PREFERRED_ANSWERS = TYPED_ANSWERS | {AnswerType.CAUSE}
"""Answer types whose sentences gain the fitted bonus."""


def decline_features(
    query: Query,
    intent: Intent,
    vocabulary: ArticleVocabulary,
    ranked: Sequence[RankedSentence],
    best: RankedSentence,
    cited: Sequence[Sentence],
    sentences: Sequence[Sentence],
    repeated: frozenset[int] = frozenset(),
) -> dict[str, float]:
    """The features of ``weights.FEATURES`` for this question's best sentence and the ones cited;
    ``repeated``: the sentences the previous answer quoted (a follow-up's)."""
    others = [r.rerank for r in ranked if r is not best]
    margin = min(MAX_MARGIN, best.rerank - max(others)) if others else MAX_MARGIN
    coverage = max(
        (vocabulary.coverage(query.own_weights, s.position, intent.asks_who_said) for s in cited), default=0.0
    )
    names = [*intent.known_names]
    mentioned = sum(any(vocabulary.mentions(name, s.position) for s in cited) for name in names)
    all_names = len(names) + len(intent.unknown_names)
    unknown = len(intent.unknown_names) / all_names if all_names else 0.0
    typed = intent.wants in TYPED_ANSWERS
    return {
        "rerank": best.rerank,
        "margin": margin,
        "dense": best.dense,
        "coverage": coverage,
        "missing": vocabulary.missing_share(query.own_weights),
        "type_missing": float(typed and not intent.fits(sentences[best.position])),
        "names_unknown": unknown,
        "names_not_near": (len(names) - mentioned) / all_names if all_names else 0.0,
        "follow_up": float(query.is_follow_up),
        # A follow-up whose best sentence is one the previous answer already quoted: it asks something
        # new, and the article may not say it.
        "repeats_previous": float(best.position in repeated),
        "actor_not_cited": _not_cited(intent.actor, vocabulary, cited),
        # "What did Fars News say about Israel?" answered by Fars News on something else: none of the
        # words for what was spoken of is there (one missing may be the reader's word for the article's).
        "topic_not_cited": float(_not_cited(intent.spoken_of, vocabulary, cited) == 1.0),
        # "How many Russian troops …?" answered by "one member of its combat team": a number, not the count.
        "detail_missing": _detail_missing(intent, vocabulary, cited),
        # "What is *not* stated using the big O notation?" answered by "bounds are stated using …".
        "negation_unmatched": float(asks_negated(query.question) and not any(negates(s.text) for s in cited)),
    }


def _not_cited(stems: Sequence[str], vocabulary: ArticleVocabulary, cited: Sequence[Sentence]) -> float:
    """ "What did <someone> say about <something>?", "how did <someone> respond?": the share of the
    asker's words for that someone (or that something) that no cited sentence names (in it, just
    before it, or as its speaker). An answer quoting somebody else about the same thing, or the same
    somebody about something else, is the near miss a reader most often meets."""
    if not stems:
        return 0.0
    absent = [
        stem
        for stem in stems
        if not any(vocabulary.mentions((stem,), s.position, derived=True) for s in cited)
    ]
    return len(absent) / len(stems)


def _detail_missing(intent: Intent, vocabulary: ArticleVocabulary, cited: Sequence[Sentence]) -> float:
    """1 when the question pins down a detail no cited sentence states. A count of something the
    article never names ("how many ppl …", "how many depots …") is left to ``missing``: the word may
    be the reader's own for what the article counts ("deaths" for "killed 13 people")."""
    detail = intent.detail
    if detail is None or (detail.counted is not None and not vocabulary.knows(detail.counted)):
        return 0.0
    return float(not any(detail.stated_in(s.text) for s in cited))
