"""What a question asks for, read from its wording: a task, a kind of answer, the article itself.

These are the cues a careful reader uses to say "the article does not say": a request to write or
translate is not a question about the article; "how many" wants a number and "when" a time, so a
sentence without one does not answer it; a name the article never mentions cannot be answered.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum

from assistant.article import Sentence, Voice
from assistant.retrieve.text import terms

_TASK = re.compile(
    r"^\s*(please\s+|can you\s+|could you\s+)?(translate|write|compose|draft|generate|create|draw|"
    r"sing|rewrite|paraphrase|summari[sz]e|ignore|disregard|forget|pretend|act as|roleplay|"
    r"role-play|you are now|from now on|tell me a (joke|story|poem)|give me a (joke|poem|recipe)|"
    r"code|print|reveal|repeat after)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt|above)\b|\bsystem prompt\b|"
    r"\bjailbreak\b|\bDAN\b",
    re.IGNORECASE,
)
_CARDINAL = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|dozens?|single|twin|double|pair"
)
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"


class AnswerType(StrEnum):
    NUMBER = "number"
    YEAR = "year"
    TIME_OF_DAY = "time of day"
    DATE = "date"
    TIME = "time"
    CAUSE = "cause"
    SPEAKER = "speaker"


_WANTS = (
    (AnswerType.TIME_OF_DAY, re.compile(r"\bwhat time\b|\btime of (the )?day\b|\bat what hour\b", re.I)),
    (AnswerType.YEAR, re.compile(r"\b(what|which) year\b|\bin what year\b", re.I)),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bhow (many|much|far|old)\b|\b(number|amount|count|percentage) of\b|\bwhat number\b|"
            r"\bin (kilometers|kilometres|km|miles|meters|metres|dollars|euros|percent)\b",
            re.I,
        ),
    ),
    (AnswerType.DATE, re.compile(r"\b(what|which) (date|day of the week|month)\b", re.I)),
    (AnswerType.TIME, re.compile(r"^\s*(and\s+)?when\b|\bwhat day\b|\bhow long\b", re.I)),
    (AnswerType.CAUSE, re.compile(r"^\s*(and\s+)?why\b|\bfor what reason\b|\bhow come\b", re.I)),
    (
        AnswerType.SPEAKER,
        re.compile(r"^\s*(and\s+)?(who|which \w+)\s+(said|says|stated|told|warned|added)\b", re.I),
    ),
)
_HAS = {
    AnswerType.NUMBER: re.compile(rf"(?<![\w/-])\d[\d,.]*(?![\w/-])|\b({_CARDINAL})\b", re.I),
    AnswerType.DATE: re.compile(rf"\b({_MONTHS}|{_DAYS})\b|\b\d{{1,2}}/\d{{1,2}}\b", re.I),
    AnswerType.YEAR: re.compile(r"\b(1[5-9]|20)\d\d(s)?\b"),
    AnswerType.TIME_OF_DAY: re.compile(
        r"\b(morning|afternoon|evening|night|midnight|noon|dawn|dusk|\d{1,2}(:\d\d)?\s?(am|pm|a\.m\.|p\.m\.))\b",
        re.I,
    ),
    AnswerType.TIME: re.compile(
        rf"\b(1[5-9]|20)\d\d\b|\b({_MONTHS}|{_DAYS}|yesterday|today|tomorrow|weeks?|months?|years?|"
        rf"decades?|ago|same day|this morning|since)\b",
        re.I,
    ),
    AnswerType.SPEAKER: re.compile(r"\b(said|says|stated|told|according to)\b", re.I),
    AnswerType.CAUSE: re.compile(
        r"\b(because|as a result|reason|due to|since|in order to|for this reason|retaliation|"
        r"in response|so that|after|following|therefore|thus)\b",
        re.I,
    ),
}
# Questions about the article itself, and the header sentence that answers each.
_ABOUT_ARTICLE = (
    (
        re.compile(
            r"\bwho (wrote|authored|penned|is the author)\b|\bauthor of\b|\bwritten by\b|\bbyline\b", re.I
        ),
        re.compile(r"^By\s|^[A-Z][\w.-]+(\s[A-Z][\w.-]+)+ is an?\s"),
    ),
    (
        re.compile(
            r"\boriginal(ly)? (source|published|appeared|ran)\b|\bfirst (published|appeared)\b|"
            r"\bsource of (the|this) (article|piece)\b|\b(original|first) publisher\b",
            re.I,
        ),
        re.compile(r"original source|\d{4}$"),
    ),
    (
        re.compile(
            r"\b(when|what date|which date|what day)\b.*\b(published|posted|written|appear\w*|run)\b|"
            r"\bpublication date\b|\b(which|what) (site|outlet|website|publication|publisher)\b|"
            r"\bwhere\b.*\b(published|posted|appear\w*)\b|\bpublished (by|on|in|where)\b",
            re.I,
        ),
        re.compile(r"\d{4}$"),
    ),
    (re.compile(r"\b(title|headline)\b", re.I), re.compile(r"^(?!By\s)(?!.*\d{4}$)(?!\w+:\s).{20,}$")),
)
_WHO_SAID = re.compile(
    r"\baccording to\b|\b(say|says|said|claim|claims|claimed|state|states|stated|warn|warns|warned|"
    r"quote|quoted|statement|announce|announced|add|added)\b",
    re.I,
)
# "Who was the ISIS commander at…", "the name of the Syrian pilot whose…": a person or thing by its role.
_ROLE_STOP = r"(?:\s+(?:at|in|of|on|who|whose|that|which|for|from|behind|the|did|was|is)\b|\s*\?|$)"
_ROLE_QUESTIONS = (
    re.compile(rf"^\s*(?:and\s+)?who\s+(?:is|was|were|are)\s+the\s+(?P<phrase>[\w'’ -]+?){_ROLE_STOP}", re.I),
    re.compile(rf"\bname of\s+(?:the\s+|an?\s+)?(?P<phrase>[\w'’ -]+?){_ROLE_STOP}", re.I),
)
_YES_NO = re.compile(r"^\s*(did|does|do|is|was|were|are|has|have|had|can|could|will|would|should)\b", re.I)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-zA-Z]{2,}\b")


@dataclass(frozen=True)
class Intent:
    """How to judge candidate sentences for one question."""

    task: bool
    wants: AnswerType | None
    about_article: re.Pattern[str] | None
    unknown_names: tuple[str, ...]
    known_names: tuple[tuple[str, ...], ...]
    asks_who_said: bool
    yes_no: bool
    role: str | None

    def mentions_role(self, sentence: str) -> bool:
        """The role asked about ("pilot", "commander") is named in the sentence, as a word."""
        if self.role is None:
            return True
        singular = self.role.removesuffix("s")
        return bool(re.search(rf"\b{re.escape(singular)}s?\b", sentence, re.IGNORECASE))

    def fits(self, sentence: Sentence) -> bool:
        """A cause is preferred, not required; every other kind of answer is required."""
        if self.wants is None or self.wants is AnswerType.CAUSE:
            return True
        if self.wants is AnswerType.SPEAKER and sentence.voice is Voice.QUOTE:
            return True
        return bool(_HAS[self.wants].search(sentence.text))


def _role(question: str) -> str | None:
    for pattern in _ROLE_QUESTIONS:
        if match := pattern.search(question):
            return match.group("phrase").split()[-1].lower()
    return None


def read_intent(question: str, article_terms: Container[str]) -> Intent:
    """Read the question's intent; ``article_terms`` are the stems the article contains."""
    task = bool(_TASK.match(question) or _INJECTION.search(question))
    wants = next((kind for kind, pattern in _WANTS if pattern.search(question)), None)
    about = next((answer for asks, answer in _ABOUT_ARTICLE if asks.search(question)), None)
    names = [name for name in _NAME.findall(question) if terms(name)]
    unknown = tuple(name for name in names if not any(stem in article_terms for stem in terms(name)))
    known = tuple(tuple(terms(name)) for name in names if name not in unknown)
    return Intent(
        task=task,
        wants=wants,
        about_article=about,
        unknown_names=unknown,
        known_names=known,
        asks_who_said=bool(_WHO_SAID.search(question)),
        yes_no=bool(_YES_NO.match(question)),
        role=_role(question),
    )
