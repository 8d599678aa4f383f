"""A file given to ``assistant add`` → the article text the library stores, or a clear refusal.

``.txt`` and ``.md`` are taken as they are (the parser reads both); ``.html``/``.htm`` pages go
through ``assistant.library.html``, within ``HtmlLimits``: a page too big or with too many tags is
refused before parsing, and the parse runs in a process of its own, stopped when its time is up
(``assistant.library.bounded``). Whatever the format, the result is checked as the seed article
is (UTF-8, not binary, within ``ASSISTANT_MAX_ARTICLE_CHARS``, some text) and parsed once, so a file
that would not answer is refused before anything is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from assistant.article import Article
from assistant.errors import ArticleUnusable
from assistant.ingest.parse import parse_article, read_article_text
from assistant.library.bounded import ExtractionFailed, ExtractionTooSlow, extract_within
from assistant.library.entry import SourceFormat
from assistant.library.errors import SourceUnusable

FORMATS: dict[str, SourceFormat] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}
# A page is mostly template: allow this many bytes of HTML per character of article text.
HTML_BYTES_PER_CHAR = 25
LABEL = "assistant add"


@dataclass(frozen=True)
class HtmlLimits:
    """What an HTML page may cost to read (``ASSISTANT_MAX_HTML_BYTES``, ``ASSISTANT_MAX_HTML_TAGS``,
    ``ASSISTANT_HTML_PARSE_SECONDS``; these are their defaults)."""

    max_bytes: int = 5 * 1024 * 1024
    max_tags: int = 60_000
    seconds: float = 20.0


DEFAULT_HTML_LIMITS = HtmlLimits()


@dataclass(frozen=True)
class Source:
    """One file read for the library: its text (``article.txt``), parsed, and where it came from."""

    path: Path
    format: SourceFormat
    sha256: str
    text: str
    article: Article
    date: str | None


def read_source(path: Path, max_chars: int, html: HtmlLimits = DEFAULT_HTML_LIMITS) -> Source:
    """Read ``path`` as an article of its format; ``SourceUnusable`` names the file and what to do."""
    path = path.expanduser().resolve()
    shown = f"{LABEL}: {str(path)!r}"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(FORMATS))
        msg = f"{shown} is not an article file the library reads ({kinds}); save it as one of those"
        raise SourceUnusable(msg)
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise SourceUnusable(f"{shown} {what}; give the path of an article file")
    try:
        if fmt == "html":
            text = _html_text(path, max_chars, html)
        else:
            text = read_article_text(path, max_chars, LABEL)
    except ArticleUnusable as error:
        raise SourceUnusable(str(error)) from None
    except OSError as error:
        raise SourceUnusable(f"{shown} cannot be read ({error.strerror}); check its permissions") from None
    try:
        article = parse_article(text)
    except ValueError:
        raise SourceUnusable(f"{shown} holds no article text once markup is removed") from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    date = article.dates[0] if article.dates else None
    return Source(path=path, format=fmt, sha256=digest, text=text, article=article, date=date)


def _html_text(path: Path, max_chars: int, limits: HtmlLimits) -> str:
    shown = f"{LABEL}: {str(path)!r}"
    size = path.stat().st_size
    if size > HTML_BYTES_PER_CHAR * 4 * max_chars:
        msg = (
            f"{shown} is {size:,} bytes of HTML, more than a page around an article of "
            f"ASSISTANT_MAX_ARTICLE_CHARS={max_chars:,} characters can take; save the article alone"
        )
        raise ArticleUnusable(msg)
    if size > limits.max_bytes:
        msg = (
            f"{shown} is {size:,} bytes of HTML; the limit is ASSISTANT_MAX_HTML_BYTES={limits.max_bytes:,}: "
            "save the article alone (its text as .txt or .md), or raise the limit"
        )
        raise ArticleUnusable(msg)
    data = path.read_bytes()
    if b"\x00" in data or not data.strip():
        what = "is binary, not an HTML page (it holds NUL bytes)" if data.strip() else "is empty"
        raise ArticleUnusable(f"{shown} {what}; give a saved web page (.html)")
    if (tags := data.count(b"<")) > limits.max_tags:
        msg = (
            f"{shown} holds {tags:,} tags; the limit is ASSISTANT_MAX_HTML_TAGS={limits.max_tags:,}: save "
            "the article alone (its text as .txt or .md), or raise the limit"
        )
        raise ArticleUnusable(msg)
    fallback_title = " ".join(path.stem.replace("-", " ").replace("_", " ").split()) or path.name
    try:
        page = extract_within(data, fallback_title, limits.seconds)
    except ExtractionFailed as failure:
        limit = (
            f" (ASSISTANT_HTML_PARSE_SECONDS={limits.seconds:g})"
            if isinstance(failure, ExtractionTooSlow)
            else ""
        )
        raise ArticleUnusable(
            f"{shown}: {failure}{limit}; save the article alone (its text as .txt or .md)"
        ) from None
    if page is None:
        msg = (
            f"{shown}: no article text found in the page (an index, login or empty page?); save the "
            "article's own page, or its text as .txt"
        )
        raise ArticleUnusable(msg)
    if len(page.text) > max_chars:
        msg = (
            f"{shown}: the article in the page is {len(page.text):,} characters long; the limit is "
            f"ASSISTANT_MAX_ARTICLE_CHARS={max_chars:,}: shorten it or raise the limit"
        )
        raise ArticleUnusable(msg)
    return page.text
