"""HTML for the chat page. Every piece of article or user text goes through ``html.escape`` here.

Each fragment is one line wrapped in a block element, so the chat's Markdown renderer treats it as an
HTML block and never interprets the article's own ``*``, ``_`` or ``[x](…)`` as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from assistant.answer.sources import sources, sources_heading
from assistant.article import Article, BlockKind
from assistant.schema import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def text(value: str) -> str:
    """Escaped text with line breaks kept, on one line."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br>")


CITE_PREFIX = "aa-span-"
"""A citation link is ``<a href="#aa-span-START-END">``: the chat's sanitizer keeps hrefs, not data-*."""


def span_key(citation: Citation) -> str:
    """The id of a cited span shared by the [n] link in the chat and the mark in the article view."""
    return f"{citation.start}-{citation.end}"


def _cite_link(citation: Citation, label: str) -> str:
    return (
        f'<a class="aa-cite" href="#{CITE_PREFIX}{span_key(citation)}" '
        f'aria-label="Source {label}">{label}</a>'
    )


def _linked_markers(answer_text: str, citations: Iterable[Citation]) -> str:
    by_id = {c.id: c for c in citations}
    escaped = text(answer_text)

    def link(match: re.Match[str]) -> str:
        citation = by_id.get(int(match.group(1)))
        return _cite_link(citation, match.group(0)) if citation else match.group(0)

    return _MARKER.sub(link, escaped)


def question_html(question: str) -> str:
    """A user's message, shown literally."""
    return f'<div class="aa-question">{text(question)}</div>'


def error_html(message: str) -> str:
    """A problem the user can fix (question too long, index unavailable)."""
    return f'<div class="aa-error" role="alert">{text(message)}</div>'


def where(citation: Citation) -> str:
    """Who says it and in which section: "speaker · section", either alone, or "the article"."""
    return " · ".join(filter(None, (citation.speaker, citation.section))) or "the article"


def _lines(value: str) -> str:
    """Multi-line text kept on one HTML line: newlines become ``&#10;`` (restored in the DOM text)."""
    return escape(value).replace("\r\n", "\n").replace("\n", "&#10;")


def status_html(message: str, alert: bool = False) -> str:
    """A short line under the chat (a rating saved, or why not): announced to screen readers."""
    role = "alert" if alert else "status"
    return f'<p class="aa-status" role="{role}">{text(message)}</p>'


def answer_markdown(answer: Answer) -> str:
    """What "Copy" puts on the clipboard: the answer with its [n], then each quoted source, as Markdown."""
    if not answer.citations:
        return answer.text
    listed = [f'{s.marker} "{s.quote}" — {where(s.citation)}' for s in sources(answer)]
    return "\n\n".join([answer.text, sources_heading(answer), "\n".join(listed)])


NOT_STATED_BADGE = "Not stated in the article"


def answer_html(answer: Answer, partial_text: str | None = None, kind: str = "aa-answer") -> str:
    """An answer (or a decline, styled apart) with linked [n] markers and, once complete, a compact
    source list: the jump link [n], then speaker · section. The quote itself is shown by the preview
    card and the phone's bottom sheet (``aa-quote`` is hidden), so it is not repeated in the answer."""
    kind = kind if answer.answerable else f"{kind} aa-declined"
    kind = f"{kind} aa-not-stated" if answer.status == "not_stated" else kind
    body = _linked_markers(answer.text if partial_text is None else partial_text, answer.citations)
    if partial_text is not None:
        return f'<div class="{kind} aa-streaming"><p class="aa-text">{body}</p></div>'
    copy = f'<div class="aa-copy" hidden>{_lines(answer_markdown(answer))}</div>'
    if answer.notice:
        copy = f'<p class="aa-notice">{text(answer.notice)}</p>{copy}'
    if not answer.citations:
        return f'<div class="{kind}"><p class="aa-text">{body}</p>{copy}</div>'
    # Said before the text, so nobody takes the quotes that follow for the answer.
    badge = f'<p class="aa-badge">{NOT_STATED_BADGE}</p>' if answer.status == "not_stated" else ""
    items = "".join(
        f"<li>{_cite_link(s.citation, s.marker)} "
        f'<span class="aa-where">{text(where(s.citation))}</span>'
        f'<span class="aa-quote" hidden>{text(s.quote)}</span></li>'
        for s in sources(answer)
    )
    return (
        f'<div class="{kind}">{badge}<p class="aa-text">{body}</p>'
        f'<div class="aa-sources"><div class="aa-sources-title">{escape(sources_heading(answer))}</div>'
        f"<ol>{items}</ol></div>{copy}</div>"
    )


def partial_html(text_so_far: str) -> str:
    """An answer a model is still writing: plain text, its [n] not yet links (the citations come
    with the checked answer, which replaces this)."""
    return f'<div class="aa-answer aa-streaming"><p class="aa-text">{text(text_so_far)}</p></div>'


def header_html(article: Article) -> str:
    """Title, byline, dates and source, and what the answers are grounded in."""
    facts = [f"By {article.author}" if article.author else None, *article.dates[:1], article.source]
    return (
        '<header class="aa-header">'
        f"<h1>{text(article.title)}</h1>"
        f'<p class="aa-meta">{text(" · ".join(filter(None, facts)))}</p>'
        '<p class="aa-note">Answers come only from this article, quoted verbatim with numbered sources; '
        "when it does not say, the assistant says so.</p></header>"
    )


_BLOCK_TAGS = {BlockKind.TITLE: "h2", BlockKind.HEADING: "h3"}


def _marked(article: Article, start: int, end: int, spans: dict[str, str]) -> str:
    """The text of [start, end) with every cited span in it wrapped in a mark; overlaps split cleanly."""
    inside = {key: (int(key.split("-")[0]), int(key.split("-")[1])) for key in spans}
    inside = {k: (s, e) for k, (s, e) in inside.items() if s < end and e > start}
    cuts = sorted(
        {start, end, *(max(s, start) for s, _ in inside.values()), *(min(e, end) for _, e in inside.values())}
    )
    out = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = sorted((k for k, (s, e) in inside.items() if s <= left and right <= e), key=inside.get)
        piece = text(article.text[left:right])
        if not covering:
            out.append(piece)
            continue
        classes = " ".join(sorted({"aa-mark", *(spans[k] for k in covering)}))
        out.append(f'<mark class="{classes}" data-aa-spans="{" ".join(covering)}">{piece}</mark>')
    return "".join(out)


def article_html(article: Article, current: Iterable[Citation] = (), earlier: Iterable[Citation] = ()) -> str:
    """The whole article, the latest answer's citations highlighted and earlier ones marked lightly."""
    spans = {span_key(c): "aa-earlier" for c in earlier}
    spans.update({span_key(c): "aa-current" for c in current})
    blocks = []
    for block in article.blocks:
        tag = _BLOCK_TAGS.get(block.kind, "p")
        blocks.append(
            f'<{tag} class="aa-block aa-{block.kind.value}">'
            f"{_marked(article, block.start, block.end, spans)}</{tag}>"
        )
    # A labelled region the keyboard reaches (Tab) and scrolls (arrows, PageDown).
    return (
        '<div id="aa-article" class="aa-article" role="region" aria-label="The article" tabindex="0">'
        f"{''.join(blocks)}</div>"
    )
