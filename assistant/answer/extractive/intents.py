"""What a question asks for, read from its English wording: a task, an overview, the article itself,
or a fact of some kind (a person, a date, a number, a place, a reason).

Every pattern here is English grammar, not any article's content: the answer types name the spaCy
entity labels (tagged on every sentence at index time) that can hold such an answer, so "how many"
is matched against sentences holding a CARDINAL or QUANTITY, whatever the article.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from assistant.answer.extractive.details import AskedDetail, asked_detail
from assistant.article import Sentence, Voice
from assistant.retrieve.question import ABOUT_ARTICLE, OVERVIEW
from assistant.retrieve.text import stem_found, terms

_TASK = re.compile(
    r"^\s*(please\s+|can you\s+|could you\s+)?(translate|write|compose|draft|generate|create|draw|"
    r"sing|rewrite|paraphrase|ignore|disregard|forget|pretend|act as|roleplay|"
    r"role-play|you are now|from now on|tell me a (joke|story|poem)|give me a (joke|poem|recipe)|"
    r"code|print|reveal|repeat after)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt|above)\b|\bsystem prompt\b|"
    r"\bjailbreak\b",
    re.IGNORECASE,
)
# An overview asked for in another language is a translation: the answers quote the article as written.
_IN_ANOTHER_LANGUAGE = re.compile(
    r"\b(?:in|into)\s+(?:french|spanish|german|italian|portuguese|dutch|russian|chinese|mandarin|"
    r"japanese|korean|arabic|farsi|persian|hebrew|turkish|hindi|urdu|polish|swedish|greek|latin|"
    r"ukrainian|vietnamese|indonesian)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_POINTS = re.compile(
    rf"\b(?P<n>\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s+(?:\w+\s+)?(?:points?|bullets?|sentences?|lines?|"
    r"takeaways?|things|ideas|items)\b",
    re.IGNORECASE,
)


# "What does the author conclude?", "how does it end": the article's last words, not its lede.
_CONCLUSION = re.compile(
    r"\bconclu(?:de|des|ded|sion|sions|ding)\b|\bhow does (?:it|this|the (?:article|piece|story)) end\b|"
    r"\b(?:final|closing|last) (?:point|points|thoughts?|words|paragraph)\b|"
    r"\bend of the (?:article|piece|story)\b",
    re.IGNORECASE,
)


# "What does the writer think of X?", "is the author biased?", "what is Smith worried about?" in an
# opinion piece: the author's own evaluative sentences answer, not the quoted statements beside them.
_WRITER = r"(?:the\s+)?(?:author|writer|columnist|journalist|reporter)(?:'s|’s|s'|s’|s)?"
_VIEW_NOUNS = (
    r"opinion|opinions|view|views|stance|position|take|bias|biases|argument|arguments|perspective|"
    r"attitude|tone|verdict|judg(?:e)?ment|prediction|predictions|worry|worries|fear|fears|concern|"
    r"concerns|point of view|feelings?|thoughts?"
)
_VIEW_VERBS = (
    r"think|thinks|believe|believes|feel|feels|argue|argues|suggest|suggests|worr(?:y|ied|ies)|fear|"
    r"fears|predict|predicts|expect|expects|make of|blame|blames|criticiz\w*|criticis\w*|support|"
    r"supports|oppose|opposes|agree|approve|like|dislike|want|wants|hope|hopes|mean|see|sees|view|"
    r"views|regard|call|describe|describes|characteri[sz]e|portray|biased|neutral|objective|fair|"
    r"balanced|partisan|critical|sympathetic|skeptical|sceptical|concerned|worried|afraid|against|for|"
    r"pro|anti|warn|warns|accuse|accuses"
)
_PIECE_JUDGED = (
    r"\bis (?:the|this) (?:article|piece|story|text|report) (?:biased|neutral|objective|fair|balanced|"
    r"partisan|one-sided|propaganda)\b"
)


@functools.cache
def _author_view(author: str | None) -> re.Pattern[str]:
    """The author's-view wording, the author named as "the writer" or by the byline's surname."""
    surname = author.split()[-1] if author and author.split() else None
    writer = rf"(?:{_WRITER}|{re.escape(surname)}(?:'s|’s|s)?)" if surname else _WRITER
    return re.compile(
        rf"\b{writer}\s+(?:\w+\s+)?(?:{_VIEW_NOUNS})\b|"
        rf"\b(?:does|did|do|is|was|would)\s+{writer}\s+(?:\w+\s+)?(?:{_VIEW_VERBS})\b|"
        rf"\baccording to {writer}\b|\b(?:how|what)\b.*\b{writer}\s+(?:{_VIEW_VERBS})\b|{_PIECE_JUDGED}",
        re.IGNORECASE,
    )


_CAUSAL = re.compile(
    r"\b(because|since|due to|owing to|as a result|reasons?|in order to|so that|in response|"
    r"retaliat\w*|revenge|caused?|led to|motiv\w+|aim(?:ed)? (?:at|to)|purpose|therefore|thus|hence)\b",
    re.IGNORECASE,
)


class AnswerType(StrEnum):
    """The kinds of answer a question can ask for, each held by some entity labels."""

    PERSON = "person"
    PLACE = "place"
    DATE = "date"
    TIME = "time"
    NUMBER = "number"
    CAUSE = "cause"
    SPEAKER = "speaker"


# spaCy's OntoNotes labels that can hold each kind of answer.
ENTITY_LABELS: dict[AnswerType, frozenset[str]] = {
    AnswerType.PERSON: frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    AnswerType.PLACE: frozenset({"GPE", "LOC", "FAC", "ORG"}),
    AnswerType.DATE: frozenset({"DATE", "TIME", "EVENT"}),
    AnswerType.TIME: frozenset({"TIME"}),
    AnswerType.NUMBER: frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
}
_WANTS = (
    # Durations are dates and times to the tagger ("30 years", "three hours"), not cardinal numbers.
    (
        AnswerType.TIME,
        re.compile(
            r"\bwhat time\b|\btime of (the )?day\b|\bat what hour\b|\bhow many (hours|minutes)\b", re.I
        ),
    ),
    (
        AnswerType.DATE,
        re.compile(
            # "When X happens, what …?" opens with a clause: the question is the later wh-word's.
            r"^\s*(?:and\s+|so\s+)?when\b(?![^,]*,[^?]*\b(?:what|which|who|whom|how)\b)|"
            r"\b(?:what|which|in what)\s+(?:year|date|day|month|century|decade|"
            r"era|period)\b|\bsince when\b|\bhow (?:long|old|often)\b|"
            r"\bhow many (?:years|months|weeks|days|decades|centuries)\b",
            re.I,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bhow (many|much|far|large|big|high|tall|wide|deep|fast)\b|"
            # "What is the number of …" asks for one; "… solved the largest number of problems" does not.
            r"^\s*(?:and\s+)?what(?:'s|’s| is| was| were)? (?:the )?(?:\w+ )?"
            r"(?:number|amount|count|percentage|share|proportion|population) of\b|"
            r"\bwhat (number|percentage)\b",
            re.I,
        ),
    ),
    (
        AnswerType.CAUSE,
        re.compile(r"^\s*(?:and\s+|so\s+)?why\b|\bfor what reason\b|\bhow come\b|\breason\b", re.I),
    ),
    (
        AnswerType.SPEAKER,
        re.compile(
            r"^\s*(?:and\s+)?(?:who|which \w+)\s+"
            r"(?:said|says|stated|told|warned|added|claimed|wrote|called)\b",
            re.I,
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            # "What is his name?" asks for a person; "what is the name of the alphabet" need not.
            r"^\s*(?:and\s+|so\s+)?(?:who|whom|whose)\b|\bwhat(?:'s|’s| is| was) (?:his|her) name\b",
            re.I,
        ),
    ),
    (
        AnswerType.PLACE,
        # "Where do the images come from?" asks for a source as often as a place: no type then.
        re.compile(
            r"^\s*(?:and\s+|so\s+)?where\b(?!.*\b(?:come|comes|came|coming) from\b)|"
            r"\bin (?:what|which) (?:city|country|place)\b",
            re.I,
        ),
    ),
)
_WHO_SAID = re.compile(
    r"\baccording to\b|\b(say|says|said|claim|claims|claimed|state|states|stated|warn|warns|warned|"
    r"quote|quoted|statement|announce|announced|add|added)\b",
    re.I,
)
# "What did Russia say about …?", "how did Qatar respond?", "did the White House react to that?": whose
# words or reaction the question asks for: the subject of a verb of saying or responding, right after
# its auxiliary ("on what date did ISIS claim" asks nobody's words).
_AUXILIARY = r"(?:did|does|do|has|have|had|would|will|is|was|were|are|can|could)"
_ACTOR = re.compile(
    rf"\b{_AUXILIARY}\s+(?P<actor>(?:[\w'’-]+\s+){{0,4}}?[\w'’-]+?)\s+"
    r"(?:have to say|say|said|claim|announce|respond|react|reply|think|comment|tweet|warn|feel|"
    r"make of|tell|accuse|blame|deny)\b",
    re.IGNORECASE,
)
_WRITER_TERMS = frozenset(terms("author writer columnist journalist reporter article piece story"))
# What the actor spoke of, after their verb: "… say about Israel", "… make of the report", "… respond to X".
_TOPIC = re.compile(
    r"(?:(?<=\bof)|\s*(?:about|of|on|regarding|concerning|towards?|to)\b)\s*(?P<topic>[^?!.]+)",
    re.IGNORECASE,
)
_ABOUT_NOTHING = frozenset(terms("it this that these those them him her there then all anything everything"))
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-zA-Z]{2,}\b")
DEFAULT_OVERVIEW_POINTS = 3
DEFAULT_CONCLUSION_POINTS = 2
MAX_OVERVIEW_POINTS = 8


@dataclass(frozen=True)
class Intent:
    """How to judge candidate sentences for one question."""

    task: bool
    overview_points: int | None
    """Sentences asked for by a question about the whole article ("summarize in 3 points"), else None."""
    conclusion: bool
    """The question asks how the article ends (its conclusion), not what it is about."""
    wants: AnswerType | None
    about_article: re.Pattern[str] | None
    """Matches the header sentence that answers a question about the article itself (author, date)."""
    unknown_names: tuple[str, ...]
    known_names: tuple[tuple[str, ...], ...]
    asks_who_said: bool
    author_view: bool = False
    """The question asks what the author thinks, argues, fears or predicts (an opinion piece's thread)."""
    actor: tuple[str, ...] = ()
    """The stems of whoever's words or reaction are asked for ("what did the UK government say"), not
    the author's (their sentences are everywhere); empty when none is."""
    spoken_of: tuple[str, ...] = ()
    """The stems of what the actor's words are asked about ("… say about Israel"); empty when none is."""
    detail: AskedDetail | None = None
    """The detail a typed question pins down (a count of something, a duration, an age, a year)."""

    def fits(self, sentence: Sentence) -> bool:
        """Can the sentence hold the kind of answer asked for? (None asked: always.) A cause is read
        from English causal wording ("because", "the reason", "in retaliation for")."""
        if self.wants is None:
            return True
        if self.wants is AnswerType.CAUSE:
            return bool(_CAUSAL.search(sentence.text))
        if self.wants is AnswerType.SPEAKER:
            return sentence.voice is Voice.QUOTE or bool(
                ENTITY_LABELS[AnswerType.PERSON] & set(sentence.entities)
            )
        return bool(ENTITY_LABELS[self.wants] & set(sentence.entities))

    def answers_about_article(self, sentence: Sentence) -> bool:
        return bool(
            self.about_article is not None
            and sentence.voice is Voice.METADATA
            and self.about_article.search(sentence.text)
        )


def _overview_points(question: str) -> int | None:
    if not OVERVIEW.search(question):
        return None
    match = _POINTS.search(question)
    if match is None:
        return DEFAULT_CONCLUSION_POINTS if _CONCLUSION.search(question) else DEFAULT_OVERVIEW_POINTS
    word = match.group("n").lower()
    count = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    return max(1, min(MAX_OVERVIEW_POINTS, count))


_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]*[a-z]\b")


def _names_typed_in_lower_case(question: str, proper_terms: Collection[str]) -> list[str]:
    """Words readers type in lower case ("what did russia say") that the article writes as names."""
    return [
        word for word in _LOWER_WORD.findall(question) if (found := terms(word)) and found[0] in proper_terms
    ]


def _actor(question: str, author: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stems of whoever's words are asked for, and of what they spoke of (both empty when the
    words asked for are the author's, or nobody's)."""
    match = _ACTOR.search(question)
    if match is None:
        return (), ()
    stems = tuple(dict.fromkeys(terms(match.group("actor"))))
    byline = frozenset(terms(author or ""))
    if any(stem in _WRITER_TERMS or stem in byline for stem in stems):
        return (), ()
    spoken_of = _TOPIC.match(question, match.end())
    topic = terms(spoken_of.group("topic")) if spoken_of else []
    return stems, tuple(dict.fromkeys(t for t in topic if t not in _ABOUT_NOTHING and t not in stems))


def read_intent(
    question: str,
    article_terms: Collection[str],
    proper_terms: Collection[str] = frozenset(),
    author: str | None = None,
) -> Intent:
    """Read the question's intent; ``article_terms`` are the stems the article contains,
    ``proper_terms`` those it writes as names (capitalised within a sentence), ``author`` its byline."""
    task = bool(
        _TASK.match(question)
        or _INJECTION.search(question)
        or (OVERVIEW.search(question) and _IN_ANOTHER_LANGUAGE.search(question))
    )
    about = next((answer for asks, answer in ABOUT_ARTICLE if asks.search(question)), None)
    actor, spoken_of = _actor(question, author)
    overview = None if task or about else _overview_points(question)
    wants = next((kind for kind, pattern in _WANTS if pattern.search(question)), None)
    names = [name for name in _NAME.findall(question) if terms(name)]
    unknown = tuple(
        name for name in names if not any(stem_found(stem, article_terms) for stem in terms(name))
    )
    known = tuple(
        dict.fromkeys(
            [
                *(tuple(terms(name)) for name in names if name not in unknown),
                *(tuple(terms(word)) for word in _names_typed_in_lower_case(question, proper_terms)),
            ]
        )
    )
    return Intent(
        task=task,
        overview_points=overview,
        conclusion=overview is not None and bool(_CONCLUSION.search(question)),
        wants=wants,
        about_article=about,
        unknown_names=unknown,
        known_names=known,
        asks_who_said=bool(_WHO_SAID.search(question)),
        author_view=bool(_author_view(author).search(question)) and about is None,
        actor=actor,
        spoken_of=spoken_of,
        detail=asked_detail(question, proper_terms),
    )
