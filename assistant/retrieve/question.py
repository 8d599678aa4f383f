"""What a question's English wording says about where its answer may be, read before retrieval:
the article as a whole or its header (such a question needs no earlier turn to stand alone), or a part
of the page (then the header lines, tags and credits join the candidates).

Every pattern here is English grammar and a news page's vocabulary, not any article's content. The
extractive answerer's intents (``assistant.answer.extractive.intents``) read the same patterns.
"""

from __future__ import annotations

import re

# "What is this article about?", "summarize it in 3 points", "tl;dr", "main argument", "conclusion".
OVERVIEW = re.compile(
    r"\bwhat(?:'s|’s| is| was)? (?:this|the|that|it)\b(?: \w+){0,2}? about\b|"
    r"\bwhat(?:'s|’s| is)? it about\b|\bsummar(?:y|ies|i[sz]e|i[sz]ing|i[sz]ation)\b|\btl\s*;?\s*dr\b|"
    r"\b(?:main|central|key|core|big|overall)\s+(?:argument|point|points|idea|ideas|thesis|message|claim|"
    r"takeaways?|theme|themes|topic|issue|finding|findings)\b|\btakeaways?\b|\bgist\b|\bin a nutshell\b|"
    r"\boverview\b|\bconclu(?:de|des|ded|sion|sions|ding)\b|"
    r"\bhow does (?:it|this|the (?:article|piece|story)) end\b|"
    r"\b(?:final|closing|last) (?:point|points|thoughts?|words|paragraph)\b|\bsum (?:it|this) up\b|"
    r"\bbriefly\b.*\babout\b|\bpoint of (?:the|this) (?:article|piece|story)\b|"
    r"\bwhat(?:'s|’s| is) the (?:author|writer) (?:saying|arguing)\b",
    re.IGNORECASE,
)
# Questions about the article itself, and the header sentence that answers each (by English wording).
ABOUT_ARTICLE = (
    (
        re.compile(
            r"\bwho (?:wrote|authored|penned)(?:\s*\??\s*$|"
            r"\s+(?:this|it|that|(?:\w{1,4}\s+)?(?:article|piece|story|post|report|text))\b)|"
            r"\bwho(?:'s|’s| is| was) the (author|writer)\b|"
            r"\b(author|writer)(?:'s|’s)? name\b|\babout the (author|writer)\b|\b(author|writer) of\b|"
            r"\bwritten by\b|\bbyline\b|\bwho (is|was) (it|this|the article|this article) by\b",
            re.I,
        ),
        re.compile(r"^By\s|^[A-Z][\w.-]+(\s[A-Z][\w.-]+)+ is an?\s"),
    ),
    (
        re.compile(
            r"\boriginal(ly)? (source|published|appeared|ran|run)\b|\bfirst (published|appeared)\b|"
            r"\bsource of (the|this) (article|piece)\b|\b(original|first) publisher\b",
            re.I,
        ),
        re.compile(r"original source|\d{4}$"),
    ),
    (
        re.compile(
            r"\b(when|what date|which date|what day)\b.*\b(published|posted|written|appear\w*|run)\b|"
            # "Which site published this?", not "which outlet did the minister talk to?".
            r"\bpublication date\b|\b(which|what) (site|outlet|website|publication|publisher)\b"
            r"(?=.*\b(?:this|it|the (?:article|piece|story|report)|published|posted|ran|run|republished|"
            r"from)\b)|"
            r"\bwhere\b.*\b(published|posted|appear\w*)\b|\bpublished (by|on|in|where)\b",
            re.I,
        ),
        re.compile(r"\d{4}$"),
    ),
    (
        re.compile(r"\b(title|headline)\b", re.I),
        re.compile(r"^(?!By\s)(?!.*\d{4}$)(?!\w+:\s).{20,}$"),
    ),
)

# Words for a news page's own parts (English, any site): a question using one may be answered by the
# header, tags or credits ("what themes is this tagged with", "who holds the copyright").
_PAGE_PARTS = re.compile(
    r"\b(article|piece|post|page|story|tag|tags|tagged|theme|themes|region|categor\w*|filed|copyright|"
    r"rights|publish\w*|publication|author|writer|byline|headline|title|images?|photos?|pictures?|"
    r"credits?|credited|source|site|website|outlet|report)\b",
    re.IGNORECASE,
)


# "Does the author have a show?", "what does the writer do for a living?", "is the author a journalist?":
# the author as a person, whom a page's bio names by name and never as "the author".
_THE_AUTHOR = re.compile(r"\bthe\s+(?:author|writer)\b", re.IGNORECASE)
_PERSONAL = re.compile(
    r"\b(?:background|job|jobs|career|profession|occupation|living|credentials|qualifications|expertise|bio|"
    r"biography|nationality|age|born|birthplace|educat\w*|universit\w*|college|degree|shows?|radio|"
    r"podcasts?|blogs?|websites?|sites?|channels?|hosts?|hosted|hosting|founded|founder|books?|employer|"
    r"employed)\b|\bwork(?:s|ed)?\s+(?:for|at|as)\b|\bwhere\b.*\bfrom\b|\bhow old\b|"
    r"\b(?:is|was)\s+the\s+(?:author|writer)\s+an?\s+\w+\W*$",
    re.IGNORECASE,
)
# What the author thinks or says is read from the article's own sentences, not the bio.
_VIEWED = re.compile(
    r"\b(?:think\w*|believ\w*|say|says|said|argu\w*|claim\w*|feel\w*|opinion\w*|views?|conclu\w*|"
    r"warn\w*|fear\w*|worr\w*|mean\w*|suggest\w*|predict\w*|expect\w*|blam\w*|bias\w*|stance|"
    r"make of|reckon\w*|write about|wrote about|describ\w*|call\w*)\b",
    re.IGNORECASE,
)


def naming_the_author(question: str, author: str | None) -> str:
    """The question with "the author" named as the byline names them, when it asks about the author as
    a person (their work, shows, background): the bio that answers says "Jane Doe is a …", and the
    cross-encoder does not know that "the author" is Jane Doe. Any other question is returned as is."""
    if not author or not _THE_AUTHOR.search(question) or _VIEWED.search(question):
        return question
    if not _PERSONAL.search(question):
        return question
    return _THE_AUTHOR.sub(author, question)


def mentions_the_page(question: str) -> bool:
    """Might the page's header lines, tags or credits answer this? Then they join the candidates."""
    return bool(_PAGE_PARTS.search(question))


def asks_about_article(question: str) -> bool:
    """Is the question about the article as a whole or its header (then it needs no earlier turn)?"""
    return bool(OVERVIEW.search(question)) or any(asks.search(question) for asks, _ in ABOUT_ARTICLE)
