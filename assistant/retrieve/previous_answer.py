"""Which sentences of the article the previous answer quoted, and which follow them.

A follow-up leans on what the previous *answer* said ("which general said so?", "how did they justify
that?"), and its answer is often the next sentence or two of the article. Retrieval adds those to the
candidates the cross-encoder scores; the answerer may favour them (``ExtractiveWeights``).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.article import Sentence, Voice

FOLLOWING = 2
"""How many sentences after each quoted one count as following it (same section)."""


def quoted_in(previous_answer: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    """The article's sentences the previous answer quoted, found by exact lookup of our own quotes."""
    if not previous_answer:
        return []
    return [s for s in sentences if s.voice is not Voice.METADATA and s.text in previous_answer]


def following(previous_answer: str, sentences: Sequence[Sentence]) -> list[int]:
    """The positions of the sentences right after each one the previous answer quoted, in its
    section, header lines aside."""
    return list(
        dict.fromkeys(
            n.position
            for s in quoted_in(previous_answer, sentences)
            for n in sentences[s.position + 1 : s.position + 1 + FOLLOWING]
            if n.section == s.section and n.voice is not Voice.METADATA
        )
    )
