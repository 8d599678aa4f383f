"""What the library records about one article (its ``entry.json``). Plain data: no I/O here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SourceFormat = Literal["txt", "md", "html"]


class LibraryEntry(BaseModel):
    """One article of the library: where it came from, what it is, and the hashes that say whether a
    re-added file changed (``source_sha256``: the file's bytes; ``text_sha256``: the text the answers
    and offsets refer to, the same hash the index manifest records)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    title: str
    byline: str | None = None
    date: str | None = None
    source_path: str
    source_format: SourceFormat
    source_sha256: str
    text_sha256: str
    chars: int
    sentences: int
    added_at: str
    updated_at: str
