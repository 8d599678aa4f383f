"""A rated answer's citations as the server itself knows them: looked up in the article, never copied.

A client sends the citations back as the answer gave them; only which article (``source.id``) and which
characters (``start``, ``end``) are taken from it, after checking that those characters are the ``text``
sent and lie in one sentence of the article (answers cite sentences). Everything stored is then the
server's: the text from the article, the section and speaker of that sentence (as the index splits it),
the article's own title. So a rating is never bigger than the article's sentences it names.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from functools import lru_cache

from assistant.article import Article, Sentence
from assistant.errors import InvalidFeedback
from assistant.ingest.split import split_article
from assistant.schema import ArticleRef, Citation

MAX_CITATION_ID = 100
"""An answer's markers are [1]…[n] with n a handful: a bigger number is not one of ours."""
MAX_SOURCE_ID_CHARS = 80
"""Article ids are slugs of at most this many characters (``assistant.library.slugs``)."""


@lru_cache(maxsize=8)
def _sentences(article: Article) -> tuple[tuple[int, ...], tuple[Sentence, ...]]:
    """The article's sentences as its index holds them (same splitter), with their starts to search."""
    sentences = tuple(split_article(article)[0])
    return tuple(s.start for s in sentences), sentences


def _sentence_holding(article: Article, start: int, end: int) -> Sentence | None:
    starts, sentences = _sentences(article)
    at = bisect.bisect_right(starts, start) - 1
    if at >= 0 and sentences[at].start <= start <= end <= sentences[at].end:
        return sentences[at]
    return None


def known_citations(citations: Sequence[Citation], quoted: Sequence[Article]) -> list[Citation]:
    """The server's record of each citation (``quoted``: the article each one quotes, in order), or
    ``InvalidFeedback`` naming the first one that is not a span of one sentence of its article."""
    known: list[Citation] = []
    for number, (citation, article) in enumerate(zip(citations, quoted, strict=True), start=1):
        where = f"citation {number} (id {citation.id}, characters {citation.start}-{citation.end})"
        if not 1 <= citation.id <= MAX_CITATION_ID:
            raise InvalidFeedback(f"{where}: citation ids run from 1 to at most {MAX_CITATION_ID}")
        if citation.source is not None and len(citation.source.id) > MAX_SOURCE_ID_CHARS:
            raise InvalidFeedback(f"{where}: its source id is over {MAX_SOURCE_ID_CHARS} characters long")
        if not 0 <= citation.start <= citation.end <= len(article.text) or (
            article.text[citation.start : citation.end] != citation.text
        ):
            msg = (
                f"{where} is not a verbatim span of the article {article.title!r}: send the citations "
                "exactly as the answer gave them"
            )
            raise InvalidFeedback(msg)
        sentence = _sentence_holding(article, citation.start, citation.end)
        if sentence is None:
            msg = (
                f"{where} is not part of one sentence of the article {article.title!r} (answers cite "
                "sentences): send the citations exactly as the answer gave them"
            )
            raise InvalidFeedback(msg)
        source = None if citation.source is None else ArticleRef(id=citation.source.id, title=article.title)
        known.append(
            Citation(
                id=citation.id,
                text=article.text[citation.start : citation.end],
                start=citation.start,
                end=citation.end,
                section=sentence.section,
                speaker=sentence.speaker,
                source=source,
            )
        )
    return known
