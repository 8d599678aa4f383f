"""An answer's sources, in one place for every surface: the CLI, the OpenAI-compatible API's text and
the chat page each take the same parts from ``sources`` and only format them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from assistant.schema import Answer, Citation


@dataclass(frozen=True)
class Source:
    """One cited passage as the reader sees it listed under an answer."""

    citation: Citation
    marker: str
    """The ``[n]`` the answer text points with."""
    quote: str
    """The article's words, verbatim."""
    where: tuple[str, ...]
    """Its section and its speaker, those known (each surface joins them its own way)."""


def sources_heading(answer: Answer) -> str:
    """A decline shows passages for context, not sources of a claim."""
    return "Sources:" if answer.answerable else "Closest passages:"


def sources(answer: Answer) -> Iterator[Source]:
    """The parts of each source under an answer, in the order of its [n] markers."""
    for citation in answer.citations:
        where = tuple(part for part in (citation.section, citation.speaker) if part)
        yield Source(citation, f"[{citation.id}]", citation.text, where)


def sources_text(answer: Answer) -> str:
    """The numbered, quoted sources under an answer as plain text; empty when there are none."""
    if not answer.citations:
        return ""
    lines = [sources_heading(answer)]
    lines += [f"{s.marker} “{s.quote}” ({', '.join(s.where)})" for s in sources(answer)]
    return "\n".join(lines)


def answer_with_sources(answer: Answer) -> str:
    """The answer text with its [n] markers, then the sources they point at (then the notice, if
    the configured model could not answer)."""
    parts = [answer.text, sources_text(answer), f"({answer.notice})" if answer.notice else ""]
    return "\n\n".join(p for p in parts if p)
