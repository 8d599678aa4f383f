"""Who is speaking in each sentence: the author's narration, or a quotation and its speaker.

News articles introduce quotations in a few fixed ways, which these rules follow:
an introducing line ending in "," or ":" ("Fars News Agency added,", "According to X,", "The FT
explains:") attributes the quoted paragraph(s) after it; an in-sentence tag ("…,” said General X",
"…,” the statement said.") attributes its own sentence and the other quoted sentences of its paragraph.
"""

from __future__ import annotations

import re

from assistant.article import Article, BlockKind, Voice

_OPENING_QUOTE = re.compile(r"^[\"“]")
_SPEECH_VERBS = (
    r"(?:added|said|says|stated|states|explains|explained|warned|declared|announced|wrote|writes|noted)"
)
_ACCORDING_TO = re.compile(r"^According to (?P<who>.+?),$")
_SUBJECT_VERB = re.compile(rf"(?:^|,\s+)(?P<who>(?:the\s+|The\s+)?[A-Z][^,]*?)\s+{_SPEECH_VERBS}\s*[,:]$")
_POSSESSIVE = re.compile(r"^(?P<who>[A-Z][\w-]+)['’]s\s.*[,:]$")
_SAID_NAME = re.compile(r"[\"”]\s*,?\s*said\s+(?P<who>[^.(,;]+)")
_NAME_SAID = re.compile(rf"[\"”]\s*,?\s*(?P<who>(?:the|The)\s+[\w ]+?|[A-Z][\w ]+?)\s+{_SPEECH_VERBS}\b")
_STATEMENT_SOURCE = re.compile(r"statement (?:issued )?(?:from|by) (?P<who>(?:the )?(?:[A-Z][\w’'-]*\s?)+)")

Spans = dict[int, list[tuple[int, int]]]
Attribution = dict[tuple[int, int], tuple[str, Voice]]


def _full_name(name: str, text: str) -> str:
    """Expand a lone first name ("Massoud") to the first full name the article gives it."""
    if " " in name:
        return name
    match = re.search(rf"\b{re.escape(name)}\s+[A-Z][\w-]+", text)
    return match.group(0) if match else name


def _resolve_statement(who: str, text: str, before: int) -> str:
    """ "the statement" → "the statement from the Revolutionary Guards" when the article says whose."""
    if who.lower() != "the statement":
        return who
    sources = list(_STATEMENT_SOURCE.finditer(text, 0, before))
    return f"the statement from {sources[-1].group('who').strip()}" if sources else who


def _introduced_speaker(sentence: str, text: str) -> str | None:
    """Speaker named by a line that introduces a quotation ("…, the Revolutionary Guard added,")."""
    sentence = sentence.strip()
    if according := _ACCORDING_TO.match(sentence):
        return according.group("who").split(",")[-1].strip()
    if subject := _SUBJECT_VERB.search(sentence):
        return subject.group("who").strip()
    if possessive := _POSSESSIVE.match(sentence):
        return _full_name(possessive.group("who"), text)
    return None


def _tagged_speaker(sentence: str, text: str, start: int) -> str | None:
    """Speaker of a sentence that carries its own tag ("…,” said General Ramazan Sharif…)."""
    match = _SAID_NAME.search(sentence) or _NAME_SAID.search(sentence)
    if match is None:
        return None
    return _resolve_statement(match.group("who").strip(), text, start)


def _quote_left_open(paragraph: str) -> bool:
    return paragraph.count('"') % 2 == 1 or paragraph.count("“") > paragraph.count("”")


def attribute_speakers(article: Article, spans_by_block: Spans) -> Attribution:
    """Map each quoted sentence's span to (speaker, Voice.QUOTE); unlisted sentences are narration."""
    text = article.text
    attribution: Attribution = {}
    pending: str | None = None
    pending_colon = quote_open = False
    for index, spans in spans_by_block.items():
        block = article.blocks[index]
        if block.kind is not BlockKind.PARAGRAPH:
            pending, quote_open = None, False
            continue
        paragraph = article.block_text(block)
        tags = [_tagged_speaker(text[s:e], text, s) for s, e in spans]
        speaker = next((tag for tag in tags if tag), None)
        if pending and (quote_open or pending_colon or _OPENING_QUOTE.match(paragraph)):
            attribution.update({span: (speaker or pending, Voice.QUOTE) for span in spans})
            closes = any(mark in paragraph for mark in '"”')
            quote_open = not closes if quote_open else _quote_left_open(paragraph)
            pending_colon = False
            continue
        if speaker:
            for (start, end), tag in zip(spans, tags, strict=True):
                if tag or _OPENING_QUOTE.match(text[start:end]):
                    attribution[(start, end)] = (tag or speaker, Voice.QUOTE)
        last_start, last_end = spans[-1]
        pending = _introduced_speaker(text[last_start:last_end], text)
        pending_colon, quote_open = text[last_end - 1] == ":", False
    return attribution
