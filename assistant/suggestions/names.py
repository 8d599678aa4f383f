"""Names an article uses as nouns, found from its capitalisation and wording, with the entity labels
(spaCy, stored at index time) of the sentences mentioning them: who or what a question can be about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.article import Sentence

# English grammar and calendar words only: nothing here names anything in one article.
_CONNECTORS = frozenset({"of", "de", "del", "da", "al", "bin", "von", "van", "der", "la", "le", "y"})
ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")
_POSSESSIVE = re.compile(r"[’']s$")
# "US-backed", "ISIS-held": a name made into an adjective.
_ADJECTIVAL = re.compile(r"-[a-z]{2,}$")
# "Iranian", "Turkish", "Lebanese", "Eastern": demonyms and directions are adjectives, not subjects.
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ern)$")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_CALENDAR = frozenset(MONTHS.split("|") + WEEKDAYS.split("|"))
_FUNCTION_WORDS = frozenset(
    """a an and as at but by for from he her his how i if in into it its many more most my no nor not of on
    or our she so some such that the their them then there these they this those to up us we what when
    where which while who whom whose why yet you your do does did is are was were be been has have had can
    could will would should may might must shall one two three""".split()
)
# A name used as a noun is followed by punctuation, a verb form or a function word at least once
# ("Iran has", "in Qatar."), never only by the noun it qualifies ("Arab partner").
_NOUN_USE_NEXT = re.compile(
    r"^(?:[.,;:!?)\]\"”’]|$|\s+(?:[a-z]+ed|says|seems|claims|believes|wants|warns|remains|"
    + "|".join(sorted(_FUNCTION_WORDS))
    + r")\b)"
)
# Places follow these (English): "in Qatar", "near Raqqa", "from Paris".
_LOCATIVE = re.compile(
    r"\b(?:in|at|to|from|near|into|across|over|inside|outside|around|throughout|towards?|within)\s+(?:the\s+)?$",
    re.I,
)
# English titles before a name ("Mr. Hamid", "Dr Smith"): part of the run, not of the name offered.
_TITLES = frozenset(
    {"Mr", "Mrs", "Ms", "Dr", "Prof", "Sir", "Dame", "St", "Gen", "Sen", "Rep", "Gov", "Lt", "Col"}
)
_DEFINITE = re.compile(r"\bthe\s+$", re.I)


_Word = tuple[str, int, int]
"""A word of a sentence, without its punctuation: (text, start, end)."""


@dataclass
class _Name:
    """A name as the article uses it: where, with which entity labels, and how."""

    words: str
    mentions: set[int] = field(default_factory=set)
    labels: frozenset[str] | None = None
    """Entity labels every sentence mentioning it carries (what kind of thing it is, if they agree)."""
    noun_use: bool = False
    definite: int = 0
    """Mentions with "the" before it ("the MEK", "the Pentagon")."""
    locative: bool = False
    """Seen after "in", "near", "from"…: a place, when its sentences' labels agree."""

    @property
    def shown(self) -> str:
        return f"the {self.words}" if 2 * self.definite >= len(self.mentions) else self.words


def _runs(text: str) -> Iterable[tuple[list[_Word], bool]]:
    """Runs of capitalised words in a sentence (joined by "of", "de"…), and whether one opens it."""
    words = list(re.finditer(r"\S+", text))
    first = next((m.start() + len(m.group()) - len(m.group().lstrip("\"“‘'(")) for m in words[:1]), 0)
    run: list[_Word] = []

    def flush() -> Iterable[tuple[list[_Word], bool]]:
        while run and run[-1][0] in _CONNECTORS:
            run.pop()
        if run:
            yield list(run), run[0][1] == first
        run.clear()

    for match in words:
        raw = match.group()
        core = raw.strip("\"“”‘’'()[],.;:!?")
        if not core:
            yield from flush()
            continue
        if raw[0] in "(“‘[\"'":
            yield from flush()  # an opening bracket or quote starts something else: "the MEK (Mojahedin-e"
        start = match.start() + raw.index(core)
        ends = raw.rstrip() != raw[: raw.index(core) + len(core)]
        possessive = _POSSESSIVE.search(core) is not None
        core = _POSSESSIVE.sub("", core)
        if core and core[0].isupper() and not any(ch.isdigit() for ch in core):
            run.append((core, start, start + len(core)))
            if (ends and core not in _TITLES) or possessive:
                yield from flush()
        elif core in _CONNECTORS and run and not ends:
            run.append((core, start, start + len(core)))
        else:
            yield from flush()
    yield from flush()


def _trimmed(run: list[_Word]) -> list[_Word] | None:
    """A run of capitalised words cut to the name in it, or None when it holds no name."""
    while run and (run[0][0].lower() in _FUNCTION_WORDS or run[0][0] in _CALENDAR or run[0][0] in _TITLES):
        run = run[1:]
    while run and run[-1][0] in _CALENDAR:
        run = run[:-1]
    if not run or len(run) > 4 or sum(len(w) for w, _, _ in run) < 2:
        return None
    last = run[-1][0]
    if _ADJECTIVAL.search(last) or (not ACRONYM.match(last) and _DEMONYM.search(last)):
        return None
    return run


def article_names(body: Sequence[Sentence]) -> dict[str, _Name]:
    """Every name the body uses as a noun, with the sentences mentioning it. A capitalised word
    opening a sentence counts only if the article also capitalises it elsewhere."""
    found: list[tuple[str, Sentence, int, int, bool]] = []
    inside: set[str] = set()
    for sentence in body:
        for run, opens in _runs(sentence.text):
            name_run = _trimmed(run)
            if name_run is None:
                continue
            name = " ".join(w for w, _, _ in name_run)
            opens = opens and name_run[0] is run[0]
            found.append((name, sentence, name_run[0][1], name_run[-1][2], opens))
            if not opens:
                inside.add(name)
    names: dict[str, _Name] = {}
    for name, sentence, start, end, opens in found:
        if opens and " " not in name and name not in inside:
            continue  # one capitalised word opening a sentence: a name only if capitalised elsewhere too
        entry = names.setdefault(name, _Name(name))
        labels = frozenset(sentence.entities)
        entry.labels = labels if entry.labels is None else entry.labels & labels
        entry.mentions.add(sentence.position)
        before = sentence.text[:start]
        entry.noun_use = entry.noun_use or bool(_NOUN_USE_NEXT.match(sentence.text[end:]))
        entry.definite += bool(_DEFINITE.search(before))
        entry.locative = entry.locative or bool(_LOCATIVE.search(before))
    return {n: entry for n, entry in names.items() if entry.noun_use}


def speaker_name(speaker: str) -> str:
    return "the" + speaker[3:] if speaker.startswith("The ") else speaker


# English head nouns of places and organisations: "Bass Strait", "Liberal Party" are not people.
_NOT_PERSON_WORDS = frozenset(
    """strait river lake mount mountain island islands bay sea ocean valley street road avenue park square
    school university college academy party council committee agency office ministry department house senate
    parliament assembly court church cathedral hospital bank company corporation group army navy force forces
    guard guards news times post airport station bridge tower museum library city town county state states
    republic kingdom empire union league club team association institute foundation center centre agreement
    treaty act war summit coalition administration government province region district""".split()
)


def looks_like_person(name: str, entry: _Name, common: set[str]) -> bool:
    """Two to four capitalised words in sentences tagged PERSON, none an acronym, a demonym ("Australian
    Greens"), a connector ("Party of Australia") or a word the article also writes in lower case
    ("High School": "school")."""
    words = name.split()
    return (
        "PERSON" in (entry.labels or ())
        and 2 <= len(words) <= 4
        and entry.shown == name
        and not _DEMONYM.search(words[0])
        and not any(ACRONYM.match(w) or w in _CONNECTORS or w.lower() in common for w in words)
        and not any(w.lower() in _NOT_PERSON_WORDS for w in words)
    )
