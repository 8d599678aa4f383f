"""Questions to offer a reader: the overview the chat opens on, starters, and follow-ups after an answer.

Every question offered is one the article answers. ``writer`` drafts candidates from what the index
already knows about each sentence (its quoted speaker, its entity labels found by ``names``, its section,
the key sentences, the header) with English templates, never from one article's strings; ``offer`` asks
each of the real pipeline, keeps those answered citing the sentence they were made from, and chooses
among them after each answer. It asks the whole pipeline (``Assistant``), so it sits above it, below the
surfaces that offer its questions.
"""

from assistant.suggestions.offer import MAX_CHARS, Suggestion, Suggestions, normalise
from assistant.suggestions.writer import OVERVIEW_QUESTION

__all__ = ["MAX_CHARS", "OVERVIEW_QUESTION", "Suggestion", "Suggestions", "normalise"]
