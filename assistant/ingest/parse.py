"""Parse a web-scraped article (markdown-ish text) into a clean ``Article`` with typed blocks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.article import Article, Block, BlockKind
from assistant.errors import ArticleUnusable

_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}([^*\n]+?)\*{1,2}(?![\w*])")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?:;…\"”’')\]]$")
_BYLINE = re.compile(r"^By\s+(.+)$")
_DATE = r"(?:[A-Z][a-z]+ \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]+ \d{4})"
_DATELINE = re.compile(rf"^(?P<source>.+?),?\s+(?P<date>{_DATE})$")
_TAGS = re.compile(r"^(Region|Theme|In-depth Report|Tags?|Topics?):\s")
_SOURCE_LINE = re.compile(r"^(The original source of this article is|Copyright ©|All images in this)")
_BOILERPLATE = re.compile(
    r"^(Comment on|Become a Member|Articles by:|Disclaimer:|For media inquiries|Support|"
    r"Share|Related|\S+\.\w{2,3} contains copyrighted)",
    re.IGNORECASE,
)
_LOWERCASE_START = re.compile(r"^[a-z‘'\"“]?[a-z][^\s.]*(\s|$)")
_HEADING_SMALL_WORDS = frozenset("a an and as at by for in is of on or the to who it did".split())
# Control characters other than line breaks and tabs; text has few, a binary file many.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
BINARY_CONTROL_SHARE = 0.01

INTRODUCTION = "Introduction"
HEADER = "Header"
ABOUT_AUTHOR = "About the author"
SITE_NOTICE = "Site notice"


@dataclass
class _RawParagraph:
    text: str
    blank_lines_before: int


def clean_markup(text: str) -> str:
    """Markdown links and emphasis become their plain text; a paragraph's line breaks become spaces."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _raw_paragraphs(raw: str) -> list[_RawParagraph]:
    paragraphs: list[_RawParagraph] = []
    gaps = 0
    for chunk in _BLANK_LINES.split(raw.replace("\r\n", "\n").replace("\r", "\n")):
        cleaned = clean_markup(chunk)
        if not cleaned:
            gaps += 1
            continue
        paragraphs.append(_RawParagraph(cleaned, gaps + 1 if paragraphs else 0))
        gaps = 0
    return paragraphs


def _join_page_breaks(paragraphs: list[_RawParagraph]) -> list[_RawParagraph]:
    """Rejoin a paragraph split mid-sentence ("…aided the strategic" / "advances of ISIS.")."""
    joined: list[_RawParagraph] = []
    for paragraph in paragraphs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and not _SENTENCE_END.search(previous.text)
            and _LOWERCASE_START.match(paragraph.text)
        ):
            previous.text = f"{previous.text} {paragraph.text}"
        else:
            joined.append(paragraph)
    return joined


def _is_heading(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 8 or text[-1] in ".,;:”\"’'":
        return False
    capitalised = sum(1 for w in words if w[0].isupper() or w.lower() in _HEADING_SMALL_WORDS)
    return capitalised == len(words) and words[0][0].isupper()


def _is_body(text: str) -> bool:
    return len(text.split()) >= 12


def _classify(paragraphs: list[_RawParagraph]) -> list[tuple[BlockKind, str | None, str]]:
    """Give each paragraph its kind and section, walking header → body → bio → site boilerplate."""
    classified: list[tuple[BlockKind, str | None, str]] = []
    author: str | None = None
    stage = "header"
    section: str | None = INTRODUCTION
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if index == 0:
            classified.append((BlockKind.TITLE, HEADER, text))
            continue
        if stage == "header":
            if byline := _BYLINE.match(text):
                author = byline.group(1).strip()
                classified.append((BlockKind.BYLINE, HEADER, text))
                continue
            if _DATELINE.match(text):
                classified.append((BlockKind.DATELINE, HEADER, text))
                continue
            if _TAGS.match(text):
                classified.append((BlockKind.TAGS, HEADER, text))
                continue
            stage = "body"
        if stage == "body" and author and text.startswith(f"{author} is"):
            stage = "bio"
            classified.append((BlockKind.BIO, ABOUT_AUTHOR, text))
            continue
        if stage == "bio" or (stage == "body" and _SOURCE_LINE.match(text)):
            stage = "bio"
            if _SOURCE_LINE.match(text):
                classified.append((BlockKind.CREDITS, ABOUT_AUTHOR, text))
            elif _BOILERPLATE.match(text) or classified[-1][0] is BlockKind.BOILERPLATE:
                classified.append((BlockKind.BOILERPLATE, SITE_NOTICE, text))
            else:
                classified.append((BlockKind.BIO, ABOUT_AUTHOR, text))
            continue
        if _is_heading(text) and not _is_body(text):
            section = text
            classified.append((BlockKind.HEADING, section, text))
        elif paragraph.blank_lines_before > 1:
            classified.append((BlockKind.CAPTION, section, text))
        else:
            classified.append((BlockKind.PARAGRAPH, section, text))
    return classified


def parse_article(raw: str) -> Article:
    """Build the clean article; block offsets index into ``Article.text``."""
    paragraphs = _join_page_breaks(_raw_paragraphs(raw))
    if not paragraphs:
        msg = "the article file holds no text"
        raise ValueError(msg)
    blocks: list[Block] = []
    pieces: list[str] = []
    offset = 0
    for kind, section, text in _classify(paragraphs):
        if pieces:
            offset += 2
        blocks.append(Block(kind=kind, start=offset, end=offset + len(text), section=section))
        pieces.append(text)
        offset += len(text)
    text = "\n\n".join(pieces)
    by_kind = {kind: [text[b.start : b.end] for b in blocks if b.kind is kind] for kind in BlockKind}
    bylines = by_kind[BlockKind.BYLINE]
    author = _BYLINE.match(bylines[0]).group(1) if bylines else None  # type: ignore[union-attr]
    datelines = [_DATELINE.match(line) for line in by_kind[BlockKind.DATELINE]]
    sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Article(
        source_id=sha256[:12],
        sha256=sha256,
        text=text,
        title=by_kind[BlockKind.TITLE][0],
        author=author,
        dates=tuple(match.group("date") for match in datelines if match),
        source=datelines[0].group("source") if datelines and datelines[0] else None,
        blocks=tuple(blocks),
    )


def read_article_text(path: Path, max_chars: int | None = None) -> str:
    """The article file's text, or ``ArticleUnusable`` saying what is wrong with it and what to do.

    Checked before anything is embedded: a binary, mis-encoded or empty file would otherwise become a
    traceback or a useless index, and an over-long one minutes of embedding before the server listens.
    """
    where = f"ASSISTANT_ARTICLE_PATH: {str(path)!r}"
    if not path.is_file():
        raise ArticleUnusable(f"{where} is not a regular file; point it at the article, a UTF-8 text file")
    try:
        size = path.stat().st_size
        if max_chars is not None and size > 4 * max_chars:  # UTF-8 spends at most 4 bytes on a character
            raise ArticleUnusable(_too_long(where, f"{size:,} bytes", max_chars))
        data = path.read_bytes()
    except OSError as error:
        raise ArticleUnusable(f"{where} cannot be read ({error.strerror}); point it at a text file") from None
    if b"\x00" in data:
        msg = f"{where} is binary, not text (it holds NUL bytes); save the article as UTF-8 plain text"
        raise ArticleUnusable(msg)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        msg = (
            f"{where} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start:,}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8 old.txt > article.txt`"
        )
        raise ArticleUnusable(msg) from None
    if not text.strip():
        raise ArticleUnusable(f"{where} holds no text; point it at a file with the article's text")
    if len(_CONTROL.findall(text)) > BINARY_CONTROL_SHARE * len(text):
        msg = (
            f"{where} looks binary, not text (many control characters); save the article as UTF-8 plain text"
        )
        raise ArticleUnusable(msg)
    if max_chars is not None and len(text) > max_chars:
        raise ArticleUnusable(_too_long(where, f"{len(text):,} characters", max_chars))
    return text


def _too_long(where: str, size: str, max_chars: int) -> str:
    return (
        f"{where} is {size} long; the limit is ASSISTANT_MAX_ARTICLE_CHARS={max_chars:,} characters "
        "(each 100,000 take 15–30 s to embed on 2 cores): shorten the article or raise the limit"
    )


def load_article(path: Path, max_chars: int | None = None) -> Article:
    """Read and parse an article file (UTF-8 text, at most ``max_chars`` characters when given)."""
    text = read_article_text(path, max_chars)
    try:
        return parse_article(text)
    except ValueError as error:  # nothing left once markup is removed
        msg = f"ASSISTANT_ARTICLE_PATH: {str(path)!r}: {error}; point it at a file with the article's text"
        raise ArticleUnusable(msg) from None
