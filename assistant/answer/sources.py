"""Plain-text presentation of an answer's sources, shared by the CLI and the OpenAI-compatible API."""

from __future__ import annotations

from assistant.schema import Answer, Citation


def where(citation: Citation) -> str:
    """Section and speaker of a citation, e.g. "Introduction, Sepahnews"."""
    return ", ".join(filter(None, [citation.section, citation.speaker]))


def sources_heading(answer: Answer) -> str:
    """A decline shows passages for context, not sources of a claim."""
    return "Sources:" if answer.answerable else "Closest passages:"


def sources_text(answer: Answer) -> str:
    """The numbered, quoted sources under an answer; empty when there are none."""
    if not answer.citations:
        return ""
    lines = [sources_heading(answer)]
    lines += [f"[{c.id}] “{c.text}” ({where(c)})" for c in answer.citations]
    return "\n".join(lines)


def answer_with_sources(answer: Answer) -> str:
    """The answer text with its [n] markers, then the sources they point at."""
    sources = sources_text(answer)
    return f"{answer.text}\n\n{sources}" if sources else answer.text
