"""Parse an article file (plain text, Markdown or a scraped page) into a clean ``Article`` with typed blocks.

The file's syntax gives the structure it states (``markup``); this module decides the rest from the
text alone, the same way for every article: the first paragraph is the title; a header of byline,
dateline and tag lines may follow; short title-case lines are headings; the author's bio, credits and
the site's footer close the page. Site-specific wording lives in ``sites``, named per site.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from assistant.article import Article, Block, BlockKind
from assistant.errors import ArticleUnusable
from assistant.ingest.markup import Form, RawParagraph, clean_markup, raw_paragraphs
from assistant.ingest.sites import PageRules, page_rules

__all__ = ["clean_markup", "load_article", "parse_article", "read_article_text"]

_SENTENCE_END = re.compile(r"[.!?:;…\"”’')\]]$")
_BYLINE = re.compile(r"^(?:By|BY):?\s+(?P<who>.+)$")
_NAME_PARTICLES = frozenset("and & de del della der di da du la le van von al bin ibn y".split())
_DATE = r"(?:[A-Z][a-z]+\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} [A-Z][a-z]+\.? \d{4}|\d{4}-\d{2}-\d{2})"
_DATELINE = re.compile(rf"^(?:(?P<source>.+?),?\s+)?(?P<date>{_DATE})$")
_DATE_WORDS = re.compile(r"^(?:Published|Updated|Posted|Last updated)(?: on)?:?$", re.IGNORECASE)
DATELINE_MAX_CHARS = 100
BYLINE_MAX_WORDS = 10
_LOWERCASE_START = re.compile(r"^[a-z‘'\"“]?[a-z][^\s.]*(\s|$)")
# English title case leaves these lowercase (articles, conjunctions, short prepositions).
_TITLE_CASE_MINOR_WORDS = frozenset(
    "a an and as at but by en for from if in into nor of off on onto or over per so than the to up "
    "upon via vs vs. with yet".split()
)
HEADING_MAX_WORDS = 8
BODY_MIN_WORDS = 12
# Control characters other than line breaks and tabs; text has few, a binary file many.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
BINARY_CONTROL_SHARE = 0.01
ARTICLE_SETTING = "ASSISTANT_ARTICLE_PATH"

INTRODUCTION = "Introduction"
HEADER = "Header"
ABOUT_AUTHOR = "About the author"
SITE_NOTICE = "Site notice"


def _join_page_breaks(paragraphs: list[RawParagraph]) -> list[RawParagraph]:
    """Rejoin a paragraph split mid-sentence ("…aided the strategic" / "advances of ISIS.")."""
    joined: list[RawParagraph] = []
    for paragraph in paragraphs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.form is Form.TEXT
            and paragraph.form is Form.TEXT
            and not _SENTENCE_END.search(previous.text)
            and _LOWERCASE_START.match(paragraph.text)
        ):
            previous.text = f"{previous.text} {paragraph.text}"
        else:
            joined.append(paragraph)
    return joined


def byline_author(text: str) -> str | None:
    """The name(s) in a byline ("By Jane Doe and John Roe"); ``None`` for prose ("By 1900, the city…")."""
    match = _BYLINE.match(text)
    if match is None:
        return None
    who = match.group("who").strip()
    words = who.replace(",", " ").split()
    if len(words) > BYLINE_MAX_WORDS or re.search(r"[!?;:]$|[a-z]{2,}\.$", who):
        return None
    if not all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in words):
        return None
    return who


def _dateline(text: str) -> re.Match[str] | None:
    return _DATELINE.match(text) if len(text) <= DATELINE_MAX_CHARS else None


def _is_heading(text: str) -> bool:
    """A short line in title case with no closing punctuation ("Timing is Everything" allows one slip)."""
    words = text.split()
    if not 1 <= len(words) <= HEADING_MAX_WORDS or text[-1] in ".,;:”\"’'" or not words[0][0].isupper():
        return False
    lowercase = [w for w in words if not w[0].isupper() and w.lower() not in _TITLE_CASE_MINOR_WORDS]
    lowercase = [w for w in lowercase if w[0].isalpha()]  # numbers and symbols have no case
    if not lowercase:
        return True
    return len(lowercase) == 1 and len(words) >= 3 and words[-1][0].isupper()


def _is_body(text: str) -> bool:
    return len(text.split()) >= BODY_MIN_WORDS


def _body_kind(paragraph: RawParagraph, rules: PageRules) -> BlockKind:
    if paragraph.form is Form.HEADING:
        return BlockKind.HEADING
    if paragraph.form is Form.QUOTE:
        return BlockKind.QUOTE
    if paragraph.form is Form.ITEM:
        return BlockKind.PARAGRAPH
    if _is_heading(paragraph.text) and not _is_body(paragraph.text):
        return BlockKind.HEADING
    if paragraph.after_image or (rules.caption_after_gap and paragraph.blank_lines_before > 1):
        return BlockKind.CAPTION
    return BlockKind.PARAGRAPH


def _classify(paragraphs: list[RawParagraph], rules: PageRules) -> list[tuple[BlockKind, str | None, str]]:
    """Give each paragraph its kind and section, walking header → body → bio → site footer."""
    classified: list[tuple[BlockKind, str | None, str]] = []
    author: str | None = None
    stage = "header"
    section: str | None = INTRODUCTION
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if index == 0:
            classified.append((BlockKind.TITLE, HEADER, text))
            continue
        if stage == "header" and paragraph.form is Form.TEXT:
            if name := byline_author(text):
                author = name
                classified.append((BlockKind.BYLINE, HEADER, text))
                continue
            if _dateline(text):
                classified.append((BlockKind.DATELINE, HEADER, text))
                continue
            if rules.is_tags(text):
                classified.append((BlockKind.TAGS, HEADER, text))
                continue
        stage = "body" if stage == "header" else stage
        if stage == "body" and author and text.startswith(f"{author} is"):
            stage = "bio"
            classified.append((BlockKind.BIO, ABOUT_AUTHOR, text))
            continue
        if stage == "bio" or (stage == "body" and rules.is_credit(text)):
            stage = "bio"
            if rules.is_credit(text):
                classified.append((BlockKind.CREDITS, ABOUT_AUTHOR, text))
            elif rules.is_footer(text) or classified[-1][0] is BlockKind.BOILERPLATE:
                classified.append((BlockKind.BOILERPLATE, SITE_NOTICE, text))
            else:
                classified.append((BlockKind.BIO, ABOUT_AUTHOR, text))
            continue
        kind = _body_kind(paragraph, rules)
        if kind is BlockKind.HEADING:
            section = text
        classified.append((kind, section, text))
    return classified


def parse_article(raw: str) -> Article:
    """Build the clean article; block offsets index into ``Article.text``."""
    paragraphs = _join_page_breaks(raw_paragraphs(raw))
    if not paragraphs:
        msg = "the article file holds no text"
        raise ValueError(msg)
    blocks: list[Block] = []
    pieces: list[str] = []
    offset = 0
    for kind, section, text in _classify(paragraphs, page_rules(raw)):
        if pieces:
            offset += 2
        blocks.append(Block(kind=kind, start=offset, end=offset + len(text), section=section))
        pieces.append(text)
        offset += len(text)
    text = "\n\n".join(pieces)
    by_kind = {kind: [text[b.start : b.end] for b in blocks if b.kind is kind] for kind in BlockKind}
    bylines = by_kind[BlockKind.BYLINE]
    datelines = [_dateline(line) for line in by_kind[BlockKind.DATELINE]]
    source = datelines[0].group("source") if datelines and datelines[0] else None
    sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Article(
        source_id=sha256[:12],
        sha256=sha256,
        text=text,
        title=by_kind[BlockKind.TITLE][0],
        author=byline_author(bylines[0]) if bylines else None,
        dates=tuple(match.group("date") for match in datelines if match),
        source=None if source is None or _DATE_WORDS.match(source) else source,
        blocks=tuple(blocks),
    )


def read_article_text(path: Path, max_chars: int | None = None, label: str = ARTICLE_SETTING) -> str:
    """The article file's text, or ``ArticleUnusable`` saying what is wrong with it and what to do.

    Checked before anything is embedded: a binary, mis-encoded or empty file would otherwise become a
    traceback or a useless index, and an over-long one minutes of embedding before the server listens.
    """
    where = f"{label}: {str(path)!r}"
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


def load_article(path: Path, max_chars: int | None = None, label: str = ARTICLE_SETTING) -> Article:
    """Read and parse an article file (UTF-8 text, at most ``max_chars`` characters when given).

    ``label`` names where the path came from in error messages (a setting, or a command-line option).
    """
    text = read_article_text(path, max_chars, label)
    try:
        return parse_article(text)
    except ValueError as error:  # nothing left once markup is removed
        msg = f"{label}: {str(path)!r}: {error}; point it at a file with the article's text"
        raise ArticleUnusable(msg) from None
