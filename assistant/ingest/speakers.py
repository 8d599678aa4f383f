"""Who is speaking in each sentence: the author's narration, or a quotation and its speaker.

English news prose introduces quotations in a few fixed ways, which these rules follow on any article:

- a tag in the sentence itself: ``"…," X said.``, ``"…," said X.``, ``X said, "…"``, ``X told
  reporters: "…"``, ``According to X, …``, ``…, according to X.``; a pronoun (``"…," she said``) is
  the last named speaker;
- an introducing line ending in "," or ":" (``Fars News Agency added,``, ``According to X,``, ``The FT
  explains:``) attributes the quoted paragraph(s) after it;
- a Markdown block quotation (``>``) is a quotation: its introducer's, or its own tag's, or unnamed;
- a sentence that is quoted speech (it opens with a quotation mark, or continues a quotation left
  open, and is mostly inside quotation marks) is a quotation even when no speaker can be named.

A quoted speaker's words are therefore never the author's; a sentence that only mentions a quoted
phrase ("called it a 'disaster'") stays narration.
"""

from __future__ import annotations

import re

from assistant.article import Article, BlockKind, Voice

_OPENING_QUOTE = re.compile(r"^[\"“‘]")
_SPEECH_VERBS = (
    r"(?:added|adds|said|says|stated|states|explains|explained|warned|warns|declared|declares|"
    r"announced|announces|wrote|writes|noted|notes|told|tells|asked|asks|replied|replies|insisted|"
    r"insists|argued|argues|claimed|claims|recalled|recalls|continued|continues|observed|observes|"
    r"remarked|remarks|responded|responds|admitted|admits|concluded|concludes|tweeted|posted)"
)
_PERSONAL_PRONOUNS = frozenset({"he", "she"})
_PRONOUNS = _PERSONAL_PRONOUNS | {"they", "it"}
# Words that may start a speaker's name or description; anything else is a clause, not a speaker.
_DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their", "one", "another"})
# Words that open a clause before its subject ("Yesterday the company said"): not part of a speaker.
_LEADING_ADVERBIALS = frozenset(
    "yesterday today tonight earlier later then now meanwhile separately however but and also "
    "on in at after before last this".split()
)
SPEAKER_MAX_WORDS = 9
# A straight double quote right after a digit is a unit (inches, seconds of arc), not a quotation mark.
_UNIT_MARK = re.compile(r'(?<=\d)"')

_ACCORDING_TO_INTRO = re.compile(r"^According to (?P<who>.+?),$")
_ACCORDING_TO_LEAD = re.compile(r"^According to (?P<who>[^,;:\"“”]+),\s+\S")
_ACCORDING_TO_TAIL = re.compile(r",\s+according to (?P<who>[^,;:.\"“”]+?)\s*(?:[,;]|[.!?]?[\"”’')\]]*$)")
# An appositive between a speaker and the verb: "Jane Doe, who runs the team, said".
_APPOSITIVE = r"(?:,\s+[^,;:\"“”]{1,80},)?"
_SUBJECT_VERB = re.compile(
    rf"(?:^|,\s+)(?P<who>[^,;:\"“”]+?){_APPOSITIVE}\s+{_SPEECH_VERBS}(?:\s+[^,;:\"“”]{{1,40}}?)?\s*[,:]$"
)
_POSSESSIVE = re.compile(r"^(?P<who>[A-Z][\w-]+)['’]s\s.*[,:]$")
_SPEECH_NOUNS = re.compile(
    r"\b(?:analysis|statement|words|comments?|remarks?|response|reply|view|argument|message|letter|"
    r"post|tweet|points?|explanation|testimony|account|verdict)\b"
)
# "…," said X / "…?" asked X: the speaker follows the verb, up to punctuation or an adverbial.
_VERB_THEN_NAME = re.compile(rf"(?:[,?!]\s*[\"”’']|[\"”’']\s*,)\s*{_SPEECH_VERBS}\s+(?P<who>[^.(,;:!?\"“”]+)")
# "…," X said: the speaker sits between the closing quotation mark and the verb.
_NAME_THEN_VERB = re.compile(
    rf"(?:[,?!]\s*[\"”’']|[\"”’']\s*,)\s*(?P<who>[^.!?;:\"“”]{{1,90}}?)\s+{_SPEECH_VERBS}\b"
)
# X said, "…" / X told reporters: "…": the speaker precedes the verb, the quotation follows.
_NAME_BEFORE_QUOTE = re.compile(
    rf"(?:^|[,;]\s+)(?P<who>[^,;:\"“”]{{1,90}}?){_APPOSITIVE}\s+{_SPEECH_VERBS}(?:\s+[^,;:\"“”]{{1,40}}?)?\s*[,:]\s*[\"“‘]"
)
_ADVERBIAL = re.compile(
    r"\s+(?:on|in|at|after|before|during|when|while|last|this|yesterday|today|tonight|earlier|later|"
    r"to|from|with|as|about|who|which|that)\b.*$"
)
_STATEMENT_SOURCE = re.compile(r"statement (?:issued )?(?:from|by) (?P<who>(?:the )?(?:[A-Z][\w’'-]*\s?)+)")
# Share of a sentence inside quotation marks above which it is quoted speech, not narration.
QUOTED_SHARE = 0.5

Spans = dict[int, list[tuple[int, int]]]
Attribution = dict[tuple[int, int], tuple[str | None, Voice]]


def _full_name(name: str, text: str, before: int) -> str:
    """Expand a lone first name ("Massoud") to the full name the article gave it earlier."""
    if " " in name:
        return name
    match = re.search(rf"\b{re.escape(name)}\s+[A-Z][\w-]+", text[:before])
    return match.group(0) if match else name


def _resolve_statement(who: str, text: str, before: int) -> str:
    """ "the statement" → "the statement from the Revolutionary Guards" when the article says whose."""
    if who.lower() != "the statement":
        return who
    sources = list(_STATEMENT_SOURCE.finditer(text, 0, before))
    return f"the statement from {sources[-1].group('who').strip()}" if sources else who


def _speaker(candidate: str) -> str | None:
    """A plausible speaker ("Jane Doe", "the mayor", "she"), the appositive dropped; else ``None``."""
    who = candidate.strip().split(",")[0].strip()
    words = who.split()
    if words and words[0].lower() in _LEADING_ADVERBIALS:
        start = next((i for i, w in enumerate(words) if w.lower() in _DETERMINERS), None)
        words = words[start:] if start else []
        who = " ".join(words)
    if not words or len(words) > SPEAKER_MAX_WORDS:
        return None
    first = words[0]
    if first.lower() in _PRONOUNS:
        return first.lower() if len(words) == 1 else None
    if first[0].isupper() or first.lower() in _DETERMINERS:
        return who
    return None


def _after_verb(candidate: str) -> str | None:
    """The speaker named after a speech verb, cut where an adverbial starts ("X on Monday")."""
    who = _ADVERBIAL.sub("", candidate.strip())
    if who.lower() in _DETERMINERS or not who:
        return None
    return _speaker(who)


def _introduced_speaker(sentence: str, text: str, start: int) -> str | None:
    """Speaker named by a line that introduces a quotation ("…, the Revolutionary Guard added,")."""
    sentence = sentence.strip()
    if according := _ACCORDING_TO_INTRO.match(sentence):
        return according.group("who").split(",")[-1].strip()
    if subject := _SUBJECT_VERB.search(sentence):
        return _speaker(subject.group("who"))
    if (possessive := _POSSESSIVE.match(sentence)) and _SPEECH_NOUNS.search(sentence):
        return _full_name(possessive.group("who"), text, start)
    return None


def _tagged_speaker(sentence: str, text: str, start: int) -> str | None:
    """Speaker of a sentence that carries its own tag ("…,” said General Ramazan Sharif…)."""
    who: str | None = None
    if match := _VERB_THEN_NAME.search(sentence):
        who = _after_verb(match.group("who"))
    if who is None and (match := _NAME_THEN_VERB.search(sentence)):
        who = _speaker(match.group("who"))
    if who is None and (match := _NAME_BEFORE_QUOTE.search(sentence)):
        who = _speaker(match.group("who"))
    if who is None:
        according = _ACCORDING_TO_LEAD.match(sentence) or _ACCORDING_TO_TAIL.search(sentence)
        source = according.group("who").strip() if according else ""
        who = source if 0 < len(source.split()) <= SPEAKER_MAX_WORDS else None  # "according to police"
    return _resolve_statement(who, text, start) if who else None


def _quoted_mask(paragraph: str) -> list[bool]:
    """Which characters of a paragraph lie inside double quotation marks (straight or curly)."""
    mask: list[bool] = []
    inside = False
    for char in _UNIT_MARK.sub("′", paragraph):
        if char == "“" or (char == '"' and not inside):
            mask.append(True)
            inside = True
        elif char in '”"':
            mask.append(inside)
            inside = False
        else:
            mask.append(inside)
    return mask


def _quote_left_open(paragraph: str) -> bool:
    paragraph = _UNIT_MARK.sub("′", paragraph)
    return paragraph.count('"') % 2 == 1 or paragraph.count("“") > paragraph.count("”")


class _Speakers:
    """The last speakers the article named: "she said" is the last person, "it said" the last anyone."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.last_person: str | None = None

    def resolve(self, who: str | None) -> str | None:
        if who is None:
            return None
        if who in _PERSONAL_PRONOUNS:
            return self.last_person
        if who in _PRONOUNS:
            return self.last
        self.last = who
        if who.split()[0].lower() not in _DETERMINERS:
            self.last_person = who
        return who


def _speech_in_paragraph(
    text: str, block_start: int, spans: list[tuple[int, int]], tags: list[str | None]
) -> Attribution:
    """Tagged sentences, and the quoted speech around them, of a paragraph with no introducer."""
    paragraph = text[block_start : spans[-1][1]]
    mask = _quoted_mask(paragraph)
    speaker = next((tag for tag in tags if tag), None)
    attribution: Attribution = {}
    for (start, end), tag in zip(spans, tags, strict=True):
        local = start - block_start
        inside = mask[local - 1] if local else False
        share = sum(mask[local : end - block_start]) / max(1, end - start)
        if tag:
            attribution[(start, end)] = (tag, Voice.QUOTE)
        elif (inside or _OPENING_QUOTE.match(text[start:end])) and share > QUOTED_SHARE:
            attribution[(start, end)] = (speaker, Voice.QUOTE)
    return attribution


def attribute_speakers(article: Article, spans_by_block: Spans) -> Attribution:
    """Map each quoted sentence's span to (speaker or ``None``, Voice.QUOTE); unlisted ones are narration."""
    text = article.text
    attribution: Attribution = {}
    speakers = _Speakers()
    pending: str | None = None
    pending_colon = quote_open = False
    previous = -1
    for index, spans in spans_by_block.items():
        block = article.blocks[index]
        adjacent, previous = index == previous + 1, index
        if block.kind not in (BlockKind.PARAGRAPH, BlockKind.QUOTE) or not adjacent:
            pending, pending_colon, quote_open = None, False, False  # a heading or caption between
        if block.kind not in (BlockKind.PARAGRAPH, BlockKind.QUOTE):
            continue
        paragraph = article.block_text(block)
        tags = [speakers.resolve(_tagged_speaker(text[s:e], text, s)) for s, e in spans]
        speaker = next((tag for tag in tags if tag), None)
        if block.kind is BlockKind.QUOTE:
            quoted = zip(spans, tags, strict=True)
            attribution.update({span: (tag or speaker or pending, Voice.QUOTE) for span, tag in quoted})
            pending_colon = quote_open = False  # the introducer still holds for a quotation that follows
            continue
        if pending and (quote_open or pending_colon or _OPENING_QUOTE.match(paragraph)):
            attribution.update({span: (speaker or pending, Voice.QUOTE) for span in spans})
            closes = any(mark in paragraph for mark in '"”')
            quote_open = not closes if quote_open else _quote_left_open(paragraph)
            pending_colon = False
            continue
        attribution.update(_speech_in_paragraph(text, block.start, spans, tags))
        last_start, last_end = spans[-1]
        pending = speakers.resolve(_introduced_speaker(text[last_start:last_end], text, last_start))
        pending_colon, quote_open = text[last_end - 1] == ":", False
        if pending is None and speaker and _quote_left_open(paragraph):
            pending = speaker  # a quotation running on: the next paragraph reopens it
    return attribution
