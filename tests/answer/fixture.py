"""A three-sentence article with hand-made vectors: evidence an answerer can be driven with, no model.

Vectors live in four dimensions: sentence ``i`` points along axis ``i``, and axis 3 is a topic the
article never touches, so a query vector says outright which sentence it means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from assistant.article import Article, Block, BlockKind, Sentence, Voice
from assistant.retrieve.evidence import Evidence, RankedSentence, RetrievedPassage
from assistant.retrieve.query import standalone_query
from assistant.retrieve.question import asks_about_article
from assistant.schema import Turn

AUTHOR = "Jane Doe"
GUARD = "the Revolutionary Guard"
SENTENCES = (
    ("Iran fired six missiles at Deir Ezzor on Sunday.", AUTHOR, Voice.AUTHOR, ("CARDINAL", "DATE", "GPE")),
    (
        "The Revolutionary Guard said the strike punished the Tehran attackers.",
        GUARD,
        Voice.QUOTE,
        ("GPE", "ORG"),
    ),
    ("Analysts expect further strikes in the coming months.", AUTHOR, Voice.AUTHOR, ("DATE",)),
)
SECTION = "The strike"


def _article_and_sentences() -> tuple[Article, tuple[Sentence, ...]]:
    text = " ".join(sentence for sentence, _, _, _ in SENTENCES)
    sentences, start = [], 0
    for position, (sentence, speaker, voice, entities) in enumerate(SENTENCES):
        end = start + len(sentence)
        sentences.append(
            Sentence(f"s{position}", position, 0, start, end, sentence, SECTION, speaker, voice, entities)
        )
        start = end + 1
    article = Article(
        source_id="three-sentences",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
        title="A strike",
        author=AUTHOR,
        dates=(),
        source=None,
        blocks=(Block(BlockKind.PARAGRAPH, 0, len(text), SECTION),),
    )
    return article, tuple(sentences)


ARTICLE, THREE_SENTENCES = _article_and_sentences()
SENTENCE_VECTORS = np.eye(len(THREE_SENTENCES), 4, dtype=np.float32)


def towards(*weights: float) -> np.ndarray:
    """A unit query vector: ``weights[i]`` along sentence ``i``'s axis (the last one: off topic)."""
    vector = np.array(weights + (0.0,) * (4 - len(weights)), dtype=np.float32)
    return vector / np.linalg.norm(vector)


def passage(first: int, last: int, rank: int) -> RetrievedPassage:
    start, end = THREE_SENTENCES[first].start, THREE_SENTENCES[last].end
    return RetrievedPassage(
        id=f"p{first}-{last}",
        text=ARTICLE.text[start:end],
        start=start,
        end=end,
        first_sentence=first,
        last_sentence=last,
        section=SECTION,
        score=1.0 / (60 + rank),
        rank=rank,
    )


WHOLE_ARTICLE = (passage(0, 2, rank=1),)


def evidence(
    question: str,
    vector: np.ndarray,
    passages: Sequence[RetrievedPassage] = WHOLE_ARTICLE,
    history: Sequence[Turn] = (),
    rerank: Sequence[float] = (),
) -> Evidence:
    """``rerank[i]`` is the cross-encoder logit of sentence ``i`` (none given: no candidates)."""
    dense = SENTENCE_VECTORS @ vector
    ranked = sorted(
        (RankedSentence(i, float(dense[i]), float(r)) for i, r in enumerate(rerank)), key=lambda r: -r.rerank
    )
    return Evidence(
        query=standalone_query(question, history, stands_alone=asks_about_article),
        article=ARTICLE,
        passages=tuple(passages),
        sentences=THREE_SENTENCES,
        sentence_vectors=SENTENCE_VECTORS,
        query_vector=vector,
        ranked=tuple(ranked),
        key_sentences=(0, 2, 1),
    )
