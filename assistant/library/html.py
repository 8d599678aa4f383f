"""An HTML page → the article's text, in the plain-text form ``assistant.ingest.parse`` reads.

``trafilatura`` finds the article body and its metadata and leaves the site's template out
(navigation, ads, related links, newsletter boxes, footers). It runs offline: given the page's bytes
and no URL it fetches nothing and downloads nothing. What it returns is written as our other articles
are: the title line, a byline ("By …"), a dateline ("Site, 2024-03-12"), then paragraphs, with
headings (``##``), quotations (``>``) and list items (``-``) in Markdown, so the parser gives each
block its kind exactly as for a ``.md`` file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.ingest.parse import DATELINE_MAX_CHARS, byline_author

# A paragraph starting like Markdown structure would be read as that structure: escape the marker.
_MARKDOWN_START = re.compile(r"^(#|>|[-*+][ \t]|\d{1,9}[.)][ \t]|={3,}|-{3,}|_{3,}|\*{3,}|```|~~~)")
MAX_SITE_NAME_CHARS = 60
# Below this, what was found is a page's links and labels (a section front, a login page), not an article.
MIN_ARTICLE_WORDS = 25
_SENTENCE = re.compile(r"\w[.!?…][\"”’')\]]?(\s|$)")
# The date the page states (its metadata, its byline): never one guessed from a copyright year.
_DATE_PARAMS = {"original_date": True, "extensive_search": False}


@dataclass(frozen=True)
class ExtractedPage:
    """What the page says the article is; ``text`` is what the library stores and the parser reads."""

    text: str
    title: str
    byline: str | None
    date: str | None
    site: str | None


def extract_page(data: bytes, fallback_title: str) -> ExtractedPage | None:
    """The article in an HTML page, or None when the page holds no main text (an index, a login page).

    ``fallback_title`` is used when neither the page's metadata nor its body gives a title.
    """
    from trafilatura import bare_extraction  # heavy (lxml, dateparser): only when a page is added

    document = bare_extraction(
        data,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=True,
        output_format="python",
        date_extraction_params=_DATE_PARAMS,
    )
    if document is None or document.body is None:
        return None
    blocks = _blocks(document.body)
    title = _clean(document.title or "")
    if blocks and blocks[0].startswith("## ") and (not title or _same(blocks[0][3:], title)):
        title = title or blocks[0][3:]
        blocks = blocks[1:]  # the page's own headline, repeated at the top of the body
    if not _reads_as_article(blocks):
        return None
    title = title or fallback_title
    byline = _byline(document.author)
    date = _clean(document.date or "") or None
    site = _clean(document.sitename or "") or None
    header = [_escaped(title)]
    if byline:
        header.append(byline)
    if dateline := _dateline(site, date):
        header.append(dateline)
    text = "\n\n".join([*header, *blocks]) + "\n"
    return ExtractedPage(text=text, title=title, byline=byline, date=date, site=site)


def _reads_as_article(blocks: list[str]) -> bool:
    """Enough words, and at least one sentence: links and menu labels have neither."""
    words = sum(len(block.split()) for block in blocks)
    return words >= MIN_ARTICLE_WORDS and any(_SENTENCE.search(block) for block in blocks)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _same(a: str, b: str) -> bool:
    return _clean(a).casefold() == _clean(b).casefold()


def _escaped(text: str) -> str:
    return "\\" + text if _MARKDOWN_START.match(text) else text


def _text(element: Any) -> str:
    return _clean("".join(element.itertext()))


def _blocks(body: Any) -> list[str]:
    """One Markdown-ish paragraph per block element of trafilatura's XML body."""
    blocks: list[str] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            if text := _text(element):
                blocks.append(f"## {text}")
        elif tag == "quote":
            parts = [_text(p) for p in element] if len(element) else [_text(element)]
            blocks.extend(f"> {part}" for part in parts if part)
        elif tag == "list":
            blocks.extend(f"- {text}" for item in element if (text := _text(item)))
        elif tag == "table":
            for row in element.iter("row"):
                cells = [text for cell in row if (text := _text(cell))]
                if cells:
                    blocks.append(_escaped(" | ".join(cells)))
        elif text := _text(element):
            blocks.append(_escaped(text))
    return blocks


def _byline(authors: str | None) -> str | None:
    """``"A; B; C"`` → ``"By A, B and C"``, if it reads as names (else it stays out of the text)."""
    names = [_clean(name) for name in (authors or "").split(";") if _clean(name)]
    if not names:
        return None
    who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    line = f"By {who}"
    return line if byline_author(line) else None


def _dateline(site: str | None, date: str | None) -> str | None:
    if not date:
        return None
    if site and "," not in site and len(site) <= MAX_SITE_NAME_CHARS:
        line = f"{site}, {date}"
        if len(line) <= DATELINE_MAX_CHARS:
            return line
    return date
