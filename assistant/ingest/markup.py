"""From a file's lines to paragraphs of plain text: Markdown structure read, inline markup removed.

Three kinds of file come in: plain text (a title line, then paragraphs separated by blank lines),
Markdown (``#`` headings, lists, ``>`` quotations, emphasis, links, images) and scraped pages, which
are Markdown-ish text with a site's template around the article. The structure a line's syntax states
(a heading, a list item, a quotation) is kept as the paragraph's ``form``; what only the text can tell
(a heading written as a short title-case line, a byline) is left to the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_ATX_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_QUOTE_LINE = re.compile(r"^[ \t]{0,3}>[ \t]?(.*)$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_EMPHASIS_STARS = re.compile(r"(?<![\w*\\])\*{1,3}(?=\S)([^*\n]+?)(?<=\S)\*{1,3}(?![\w*])")
_EMPHASIS_UNDERSCORES = re.compile(r"(?<![\w_\\])_{1,3}(?=\S)([^_\n]+?)(?<=\S)_{1,3}(?![\w_])")
_CODE = re.compile(r"`+([^`\n]+?)`+")
_HTML_TAG = re.compile(r"</?(?:b|i|em|strong|u|span|br|sup|sub|a)\b[^>]*>", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")
# A first line this much shorter than the next one is a title, not the start of a wrapped paragraph.
TITLE_LINE_SHARE = 0.6
TITLE_MAX_WORDS = 15


class Form(StrEnum):
    """What the file's syntax says a paragraph is."""

    TEXT = "text"
    HEADING = "heading"
    ITEM = "item"
    QUOTE = "quote"


@dataclass
class RawParagraph:
    """One paragraph of plain text, with what the raw file said about it."""

    text: str
    form: Form = Form.TEXT
    blank_lines_before: int = 0
    after_image: bool = False
    """Directly under an image, with no blank line between: the image's caption."""


def clean_inline(text: str) -> str:
    """Images dropped; links, emphasis, code and a few HTML tags become their plain text."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    for _ in range(2):  # **_both_** nests one level
        text = _EMPHASIS_STARS.sub(r"\1", text)
        text = _EMPHASIS_UNDERSCORES.sub(r"\1", text)
    return _ESCAPE.sub(r"\1", text)


def clean_markup(text: str) -> str:
    """A paragraph's inline markup removed and its line breaks become spaces."""
    return clean_inline(" ".join(line.strip() for line in text.splitlines() if line.strip())).strip()


def _is_image_only(line: str) -> bool:
    return bool(_IMAGE.search(line)) and not _IMAGE.sub("", line).strip()


class _Chunk:
    """Collects the paragraphs of one blank-line-separated chunk of the file, line by line."""

    def __init__(self) -> None:
        self.paragraphs: list[tuple[Form, list[str], bool]] = []
        self.image_above = False

    def start(self, form: Form, line: str) -> None:
        self.paragraphs.append((form, [line], self.image_above))
        self.image_above = False

    def add(self, form: Form, line: str) -> None:
        """Continue the open paragraph (a lazy continuation line joins a list item or quotation)."""
        if self.paragraphs and (form is Form.TEXT or self.paragraphs[-1][0] is form):
            self.paragraphs[-1][1].append(line)
        else:
            self.start(form, line)


def _split_chunk(chunk: str) -> list[tuple[Form, str, bool]]:
    lines = [line for line in chunk.split("\n") if line.strip()]
    collected = _Chunk()
    quote_break = False
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if _RULE.match(line) and not (number and _SETEXT_UNDERLINE.match(line)):
            collected.image_above = False
            continue
        if heading := _ATX_HEADING.match(line):
            collected.start(Form.HEADING, heading.group(2))
        elif _SETEXT_UNDERLINE.match(following) and not _LIST_ITEM.match(line):
            collected.start(Form.HEADING, line)
        elif _SETEXT_UNDERLINE.match(line) and number:
            continue  # the underline of the heading above
        elif quoted := _QUOTE_LINE.match(line):
            content = quoted.group(1)
            while nested := _QUOTE_LINE.match(content):
                content = nested.group(1)
            if not content.strip():
                quote_break = True
            elif quote_break or not collected.paragraphs or collected.paragraphs[-1][0] is not Form.QUOTE:
                collected.start(Form.QUOTE, content)
            else:
                collected.add(Form.QUOTE, content)
            quote_break = quote_break and not content.strip()
            continue
        elif item := _LIST_ITEM.match(line):
            collected.start(Form.ITEM, item.group(1))
        elif _is_image_only(line):
            collected.image_above = True
            continue
        elif collected.paragraphs and collected.paragraphs[-1][0] is Form.HEADING:
            collected.start(Form.TEXT, line)
        elif collected.image_above or not collected.paragraphs:
            collected.start(Form.TEXT, line)
        else:
            collected.add(Form.TEXT, line)
        quote_break = False
    return [(form, clean_markup("\n".join(text)), under) for form, text, under in collected.paragraphs]


def _split_title_line(chunk: str) -> str:
    """A title line directly above the first paragraph (no blank line between) is a paragraph of its own."""
    lines = [line for line in chunk.split("\n") if line.strip()]
    if len(lines) < 2 or _ATX_HEADING.match(lines[0]) or _SETEXT_UNDERLINE.match(lines[1]):
        return chunk
    first, second = lines[0].strip(), lines[1].strip()
    if (
        len(first.split()) <= TITLE_MAX_WORDS
        and not re.search(r"[.,;:]$", first)
        and len(first) < TITLE_LINE_SHARE * len(second)
    ):
        return f"{lines[0]}\n\n" + "\n".join(lines[1:])
    return chunk


def raw_paragraphs(raw: str) -> list[RawParagraph]:
    """The file's paragraphs in order, markup removed; blank lines before each are counted."""
    text = _FENCE.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    chunks = _BLANK_LINES.split(text)
    first = next((i for i, c in enumerate(chunks) if c.strip()), None)
    if first is not None:
        chunks[first : first + 1] = _BLANK_LINES.split(_split_title_line(chunks[first]))
    paragraphs: list[RawParagraph] = []
    gaps = 0
    for chunk in chunks:
        pieces = [(form, text, under) for form, text, under in _split_chunk(chunk) if text]
        if not pieces:
            gaps += 1
            continue
        for number, (form, text, under) in enumerate(pieces):
            before = (gaps + 1 if paragraphs else 0) if number == 0 else 0
            paragraphs.append(RawParagraph(text, form, before, under))
        gaps = 0
    return paragraphs
