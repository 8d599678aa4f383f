"""The article answered from, and how long it may be."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLE = PACKAGE_DIR / "data" / "henningsen-2017-iran-missile-strike.txt"
# UTF-8 spends at most 4 bytes on a character: a bigger file is over the limit without reading it.
MAX_UTF8_BYTES_PER_CHAR = 4


class ArticleSettings(BaseModel):
    """The configured article (``Settings`` checks the file once every field is read)."""

    article_path: Path = Field(DEFAULT_ARTICLE, description="The article to answer from.")
    max_article_chars: int = Field(
        200_000,
        ge=1_000,
        description="Longest article accepted, in characters: bounds the time start-up spends embedding it.",
    )
