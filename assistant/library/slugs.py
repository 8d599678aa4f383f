"""Article ids: short, readable slugs made from the file name, unique in the library."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

MAX_SLUG_CHARS = 60
# What an id may look like: also the guard that keeps an id given on the command line inside the library.
ID_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")
FALLBACK = "article"
RESERVED = frozenset({"all", "article-assistant"})
"""Names the APIs give a meaning of their own ("all" articles, the default model): never an article's id."""


def slugify(name: str) -> str:
    """``"Riverside Park (final).html"`` stem → ``"riverside-park-final"``: ASCII, lowercase, hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:MAX_SLUG_CHARS].rstrip("-")
    return slug or FALLBACK


def unique_slug(name: str, taken: Container[str]) -> str:
    """The slug of ``name``, with ``-2``, ``-3``… appended when another article already has it."""
    base = slugify(name)
    if base not in taken and base not in RESERVED:
        return base
    number = 2
    while f"{base}-{number}" in taken or f"{base}-{number}" in RESERVED:
        number += 1
    return f"{base}-{number}"


def is_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None
