"""An answer written all at once, sent as if it grew: the chat page shows it word by word, the
OpenAI-compatible stream sends it in chunks, both from the same growing prefixes."""

from __future__ import annotations

from collections.abc import Iterator

STREAM_CHUNKS = 12


def stream_prefixes(answer_text: str, chunks: int = STREAM_CHUNKS) -> Iterator[str]:
    """Growing prefixes of the answer, cut at word boundaries, ending with the whole text."""
    words = answer_text.split(" ")
    step = max(1, len(words) // chunks)
    for end in range(step, len(words), step):
        yield " ".join(words[:end])
    yield answer_text
