"""The library of articles (`assistant add`) and how many of them a server keeps open."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class LibrarySettings(BaseModel):
    """The library's folder (``Settings`` puts it in the index directory when unset)."""

    # Generated state like the index: by default a library/ folder inside the index directory.
    library_dir: Path | None = Field(
        None,
        description="Where `assistant add` keeps the library of articles, one folder each (default: "
        "library/ in the index directory; their indexes go to articles/ there).",
    )
    open_articles: int = Field(
        16,
        ge=1,
        description="Library articles whose index a server keeps open at once; the least recently asked "
        "is closed first (the configured article stays open).",
    )
    max_html_bytes: int = Field(
        5 * 1024 * 1024,
        ge=64 * 1024,
        le=1024**3,
        description="Largest HTML page `assistant add` reads, in bytes (a saved news page is rarely over "
        "3 MB); bigger is refused before parsing. It bounds the memory the parse takes.",
    )
    max_html_tags: int = Field(
        60_000,
        ge=1_000,
        le=10_000_000,
        description="Most tags (counted as '<' characters) an HTML page given to `assistant add` may hold; "
        "more is refused before parsing.",
    )
    html_parse_seconds: float = Field(
        20.0,
        gt=0,
        le=3600,
        description="Seconds `assistant add` gives the extraction of one HTML page (in a process of its "
        "own, stopped when they pass): some pages take the parser minutes.",
    )
