"""Whether a question asks about what is *not* so, and whether a sentence says anything is not.

A question written to look answerable often negates the sentence it was copied from: "what is
*not* stated using the big O notation?" beside "bounds are usually stated using the big O
notation". The cross-encoder scores the two as a near match (the words are the same), so the
answerer quoted the sentence as the answer. A careful reader checks that a negated question is
answered by a sentence that negates too. English wording only; the decline model weighs the result
(``negation_unmatched``), it never declines alone.
"""

from __future__ import annotations

import re

_NEGATION = re.compile(
    r"\b(?:not|never|no|none|nothing|nobody|neither|nor|cannot|without|unable|"
    r"lacks?|lacking|lacked|except|exception|fails?|failed|failing)\b|n['’]t\b|\bnon-",
    re.IGNORECASE,
)
# "Whether or not", "may or may not", "not only … but", "no matter": no negation asked for.
_NEUTRAL = re.compile(
    r"\bor\s+(?:not|(?:may|might|can|could|will|would|does|do|did|is|are|was|were)\s*(?:not|n['’]t))\b|"
    r"\bnot\s+only\b|\bno\s+matter\b",
    re.IGNORECASE,
)


def negates(text: str) -> bool:
    """Does the text say that something is not, does not, or lacks?"""
    return bool(_NEGATION.search(_NEUTRAL.sub(" ", text)))


def asks_negated(question: str) -> bool:
    """Does the question ask about what is not so ("what is not contained in …?", "which city
    isn't on the coast?"), rather than asking neutrally ("whether or not …")?"""
    return negates(question)
