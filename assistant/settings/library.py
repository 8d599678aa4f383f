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
