"""The answer stage's seam: ``Evidence`` in (what retrieval gathered: ``assistant.retrieve.evidence``),
``Answer`` out, whichever answerer runs.

An answerer never builds citations itself: it returns a ``Draft`` naming the sentences it cites, and
``answer`` (the only way the pipeline runs an answerer) has ``citations.finish`` build and check
them. So a new answerer (an LLM one, say) is one module implementing ``Answerer`` plus one line in
``assistant.answer.factory``, and cannot cite words the article does not hold at those offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.answer.citations import Draft, finish
from assistant.retrieve.evidence import Evidence
from assistant.schema import Answer

__all__ = [
    "Answerer",
    "Draft",
    "Monitored",
    "Partial",
    "Streaming",
    "answer",
    "stream_answer",
]


class Answerer(Protocol):
    """Decides what to say about one question from its ``Evidence``.

    An answerer may assume the evidence is consistent (offsets into ``evidence.article``, vectors
    normalised, passages in rank order, possibly none). It is called from several threads at once,
    so what it learns about one question stays in locals.

    It must return a ``Draft``: the answer text with ``[n]`` markers, ``[n]`` pointing at
    ``draft.cited[n - 1]``; ``answerable=False`` when the article does not answer (the text then
    says so, and ``cited`` may hold the closest sentences as context); and only sentences taken
    from ``evidence.sentences``, unchanged. ``answer`` turns the draft into the ``Answer``.
    """

    def draft(self, evidence: Evidence) -> Draft: ...


@dataclass(frozen=True)
class Partial:
    """The answer as it is being written (by a model): ``text`` before any check, for a surface that
    replaces it by the checked ``Answer`` in the end (the chat page); ``settled``, the start of the
    checked answer's text already certain, for one that cannot take back what it sent (a standard
    OpenAI client): the ``Answer``'s text starts with the last ``settled``. Markers in ``text`` name
    sentences the writer was shown; those in ``settled`` are the answer's own."""

    text: str
    settled: str = ""


@runtime_checkable
class Streaming(Protocol):
    """An answerer that can show its answer while writing it (a model server streaming tokens)."""

    def stream_draft(self, evidence: Evidence) -> Iterator[Partial | Draft]:
        """Partials as the answer grows, then the ``Draft`` (always last, always one), whose text
        starts with every partial's ``settled``."""
        ...


@runtime_checkable
class Monitored(Protocol):
    """An answerer leaning on a service that can fail on its own (a model server): it still answers
    (falling back), but ``/healthz`` reports the failure until the service works again."""

    def problem(self) -> str | None:
        """Why the service failed last, or None while it works."""
        ...

    def recheck(self) -> str | None:
        """Try the service again after a failure (cheaply, bounded); ``problem()`` afterwards."""
        ...


def answer(answerer: Answerer, evidence: Evidence) -> Answer:
    """Run an answerer: its draft, with the citations built and checked in the one shared place.
    Not started for a question whose answer is no longer wanted (``Query.cancel``)."""
    evidence.query.cancel.check()
    return finish(answerer.draft(evidence), evidence.article)


def stream_answer(answerer: Answerer, evidence: Evidence) -> Iterator[Partial | Answer]:
    """``answer``, showing a streaming answerer's text as it grows: partials, then the ``Answer``."""
    if not isinstance(answerer, Streaming):
        yield answer(answerer, evidence)
        return
    evidence.query.cancel.check()
    for item in answerer.stream_draft(evidence):
        yield finish(item, evidence.article) if isinstance(item, Draft) else item
