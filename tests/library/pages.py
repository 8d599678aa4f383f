"""Generated HTML pages (seeded) for the limits on what ``assistant add`` reads."""

from __future__ import annotations

import random

_WORDS = "the council park river said would report mayor city vote budget grant summer plan".split()


def paragraphs_page(size: int) -> bytes:
    """A news-like page of about ``size`` bytes: one long article of plain paragraphs, each its own
    (the extractor drops repeated ones)."""
    rng = random.Random(9)
    paragraphs: list[str] = []
    written = 0
    while written < size:
        sentences = (" ".join(rng.choices(_WORDS, k=12)).capitalize() + "." for _ in range(6))
        paragraphs.append(f"<p>{' '.join(sentences)}</p>\n")
        written += len(paragraphs[-1])
    body = "".join(paragraphs)
    return f"<html><head><title>Big</title></head><body><article>{body}</article></body></html>".encode()


def spans_page(spans: int) -> bytes:
    """A page whose one paragraph is ``spans`` inline elements: the extractor's time grows with their
    square (10,000: ~7 s here; 40,000: minutes)."""
    rng = random.Random(9)
    words = " ".join(f"<span>{rng.choice(_WORDS)}</span>" for _ in range(spans))
    return f"<html><body><article><h1>Spans</h1><p>{words}.</p></article></body></html>".encode()
