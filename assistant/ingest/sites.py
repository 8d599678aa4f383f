"""Page templates: the lines a site wraps around every article (tags, credits, footer), named per site.

A scraped page carries its site's furniture: header tag lines, a source credit, a footer of calls to
action and disclaimers. None of it is the article, so none of it may be cited as an answer to an
ordinary question. The lines every site writes alike live in ``GENERIC``; one site's own wording lives
in its ``SITE_TEMPLATES`` entry, which applies only to a page that carries that site's ``signature``.
Nothing here is about one article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteTemplate:
    """What a site's page puts around an article, as line patterns (matched at a paragraph's start)."""

    name: str
    signature: re.Pattern[str] | None
    """Found anywhere in the raw page when the page comes from this site (``None``: every page)."""
    tag_labels: tuple[str, ...] = ()
    """Header lines ``Label: a, b, c`` that list the page's topics."""
    credit_lines: tuple[str, ...] = ()
    """Lines that credit the source, the images or the copyright: where the article proper ends."""
    footer_lines: tuple[str, ...] = ()
    """Calls to action, disclaimers and notices after the article."""
    caption_after_gap: bool = False
    """The scrape leaves extra blank lines where an image was: the paragraph after them is its caption."""


GENERIC = SiteTemplate(
    name="generic",
    signature=None,
    tag_labels=("Tags", "Tag", "Topics", "Topic", "Keywords", "Filed under"),
    credit_lines=("Copyright ©", "Copyright (c)", "©"),
)

SITE_TEMPLATES: dict[str, SiteTemplate] = {
    "globalresearch.ca": SiteTemplate(
        name="globalresearch.ca",
        signature=re.compile(r"globalresearch\.ca|^Global Research, ", re.MULTILINE),
        tag_labels=("Region", "Theme", "In-depth Report"),
        credit_lines=("The original source of this article is", "All images in this"),
        footer_lines=(
            "Comment on",
            "Become a Member",
            "Articles by:",
            "Disclaimer:",
            "For media inquiries",
            "Support",
            "Share",
            "Related",
            r"\S+\.\w{2,3} contains copyrighted",
        ),
        caption_after_gap=True,
    ),
}


@dataclass(frozen=True)
class PageRules:
    """The templates that apply to one page, merged into the patterns the parser matches."""

    sites: tuple[str, ...]
    tags: re.Pattern[str]
    credits: re.Pattern[str]
    footer: re.Pattern[str] | None
    caption_after_gap: bool

    def is_tags(self, text: str) -> bool:
        return self.tags.match(text) is not None

    def is_credit(self, text: str) -> bool:
        return self.credits.match(text) is not None

    def is_footer(self, text: str) -> bool:
        return self.footer is not None and self.footer.match(text) is not None


def _alternatives(patterns: Iterable[str]) -> str:
    return "|".join(patterns)


def page_rules(raw: str) -> PageRules:
    """The generic rules plus those of every site whose signature the raw page carries."""
    templates = [GENERIC, *(t for t in SITE_TEMPLATES.values() if t.signature and t.signature.search(raw))]
    tags = _alternatives(re.escape(label) for t in templates for label in t.tag_labels)
    credits = _alternatives(re.escape(line) for t in templates for line in t.credit_lines)
    footer = _alternatives(line for t in templates for line in t.footer_lines)
    return PageRules(
        sites=tuple(t.name for t in templates if t is not GENERIC),
        tags=re.compile(rf"^(?:{tags}):\s"),
        credits=re.compile(rf"^(?:{credits})"),
        footer=re.compile(rf"^(?:{footer})", re.IGNORECASE) if footer else None,
        caption_after_gap=any(t.caption_after_gap for t in templates),
    )
