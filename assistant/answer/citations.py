"""The one place citations are made: sentences of the article, checked to be verbatim.

An answerer hands back a ``Draft`` (its text with ``[n]`` markers and the sentences they point at);
``finish`` turns it into the ``Answer``. A citation whose offsets do not give back its text would
send a reader to other words than the answer quotes, so it is never repaired or searched for: it is
a bug (an answerer that changed a quote, or sentences from another article), and raised as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.article import Article, Sentence
from assistant.schema import Answer, AnsweredBy, Citation

_SHOWN = 80


class CitationMismatch(RuntimeError):
    """A citation's offsets do not give back its text: a bug in the code, never something a user did."""


@dataclass(frozen=True)
class Draft:
    """What an answerer decides: the text, whether it answers, and the sentences it cites.

    ``text`` carries ``[n]`` markers; ``[n]`` points at ``cited[n - 1]``. ``notes`` say what the
    guardrails removed from a model's answer, or why it fell back to the extractive one.
    """

    text: str
    answerable: bool
    cited: tuple[Sentence, ...] = ()
    answered_by: AnsweredBy = "extractive"
    notes: tuple[str, ...] = ()
    notice: str | None = None
    """One line for the reader when the answer is not from the configured answerer (its model failed)."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else f"{text[:_SHOWN]}…")


def cite(sentences: Sequence[Sentence], article: Article) -> list[Citation]:
    """Citations ``[1]``, ``[2]``, … of these sentences, each checked: ``article.text[start:end] == text``."""
    citations = []
    for number, sentence in enumerate(sentences, start=1):
        start, end = sentence.start, sentence.end
        found = article.text[start:end] if 0 <= start <= end <= len(article.text) else None
        if found != sentence.text:
            where = "outside the article" if found is None else f"holds {_shown(found)}"
            msg = (
                f"citation [{number}] is not verbatim: {article.source_id!r} (sha256 {article.sha256[:12]}, "
                f"{len(article.text)} characters) at [{start}:{end}] {where}, but the answer quotes "
                f"{_shown(sentence.text)}; the answerer changed a quote or was given the sentences of "
                "another article (rebuild the index with `assistant index --rebuild` if it is stale)"
            )
            raise CitationMismatch(msg)
        citations.append(
            Citation(
                id=number,
                text=sentence.text,
                start=start,
                end=end,
                section=sentence.section,
                speaker=sentence.speaker,
            )
        )
    return citations


def finish(draft: Draft, article: Article) -> Answer:
    """The answer a surface shows: the draft's text, with its citations built and checked here."""
    return Answer(
        text=draft.text,
        answerable=draft.answerable,
        citations=cite(draft.cited, article),
        answered_by=draft.answered_by,
        guardrail_notes=list(draft.notes),
        notice=draft.notice,
    )
