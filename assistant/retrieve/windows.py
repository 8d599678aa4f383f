"""Two adjacent sentences scored as one passage: the answer a single sentence only half holds.

A sentence often answers through its neighbour: "Iran fired missiles at ISIS in Syria. The reason
given for this strike was retaliation for the attacks in Tehran." The second holds the reason but
not the words the question asks with ("Iran", "missiles"), so alone it ranks low; the first ranks
high but gives no reason. The cross-encoder scoring the two together sees both. So around the best
few ranked sentences, each neighbour in the same paragraph forms a window with it, scored once per
question; the answerer cites a window when it clearly outscores the best single sentence
(``ExtractiveWeights.window_gain``, fitted by ``assistant tune``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.article import Sentence


@dataclass(frozen=True)
class RankedWindow:
    """Two adjacent sentences of one paragraph, as the cross-encoder ranked them together."""

    first: int
    """Position of its first sentence in ``Evidence.sentences``; the second is ``first + 1``."""
    rerank: float
    """The cross-encoder's logit for (question, both sentences joined by a space)."""
    question_rerank: float | None = None
    """A follow-up's: the logit for the question as asked, as ``RankedSentence.question_rerank`` (the
    answerer blends the two the same way, so a window and a sentence are compared on one scale)."""

    @property
    def positions(self) -> tuple[int, int]:
        return self.first, self.first + 1


def leads_in(sentence: Sentence) -> bool:
    """ "According to Sepahnews," or "The FT explains:": the sentence says who, the next one what,
    even when the next one is a quotation set apart in a paragraph of its own."""
    return sentence.text.rstrip("\"”’' ").endswith((":", ","))


def window_starts(best: Sequence[int], sentences: Sequence[Sentence], eligible: np.ndarray) -> list[int]:
    """The first positions of the windows around the ``best`` ranked sentences: each one with its
    neighbour before and after, when that neighbour is in the same paragraph (or the first one leads
    in to the second) and both may be cited."""
    starts: list[int] = []
    for position in best:
        for first in (position - 1, position):
            second = first + 1
            if first < 0 or second >= len(sentences) or first in starts:
                continue
            if sentences[first].block != sentences[second].block and not leads_in(sentences[first]):
                continue
            if eligible[first] and eligible[second]:
                starts.append(first)
    return starts


def window_text(sentences: Sequence[Sentence], first: int) -> str:
    return f"{sentences[first].text} {sentences[first + 1].text}"
