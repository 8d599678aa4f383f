"""What a model's answer must pass before anyone reads it. Pure functions: text in, kept text out.

The model saw ``k`` numbered sentences of the article. Of whatever it wrote:
- a ``[n]`` naming no sentence it was given is removed;
- a sentence quoting words (in double quotation marks) that the article does not hold verbatim is
  dropped; the pieces around an ellipsis are checked separately;
- a sentence citing nothing is dropped;
- a sentence saying nothing about the article is dropped: none of its content words is more than
  framing or talk about the answer itself ("The answer is: [1]"), or it says a few words over and over;
- a sentence saying again what a kept one said (the same content words) is dropped: a looping model
  ("The answer is: [1]" ten times) leaves one of each, or nothing;
- a sentence its cited sentences do not support is dropped. The test is lexical and general:
  at least ``MIN_SUPPORT`` of its content words (stemmed, English stopwords and reporting words such
  as "says" or "author" aside; "iran" matches "iranian") occur in the cited sentences or their
  speakers' names (one at least in the sentences themselves), and every number it states occurs
  there too. It cannot tell a paraphrase that reverses the meaning; it does catch claims drawn from
  elsewhere and citations pointing at the wrong sentence;
- the ``[n]`` kept are renumbered to the cited sentences in order of first citation.

An empty result, or the model's own "not answered" reply, tells the caller to give the extractive
answer instead. Each removal leaves a short note saying what and why.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.llm.prompt import speaker_of
from assistant.article import Sentence
from assistant.retrieve.text import MIN_PREFIX, stem, terms

MIN_SUPPORT = 0.75
"""Share of an answer sentence's content words its cited sentences must hold (see module docstring).

Measured (``assistant eval``-style run over tests/data/golden.jsonl and holdout.jsonl, every
sentence shown to the model checked against a chosen sentence it does not restate: 744 pairs):
a wrong citation passes at 0.5 for 2.7 %, at 0.75 for 1.3 %. One invented word in a three-word
claim ("fired from the moon") stays below 0.75; one synonym in a five-word paraphrase passes."""
_SHOWN = 60
MAX_NOTES = 8

# "[1]", "[1, 2]", "[1][2]", "[1-3]": one group of citation numbers.
_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|and|-|–)\s*\d{1,3})*)\s*\]")
# Markers after a sentence's end belong to it when on the same line; on the next line they open a
# new sentence (a model echoing the "[n] (speaker) text" lines it was shown).
_MARKERS = rf"(?:[ \t]*{_MARKER.pattern})*"
_LEADING = re.compile(rf"^(?:{_MARKER.pattern}\s*)+")
_LABEL = re.compile(r"^\(([^()]{1,80})\)(?:\s+|$)")
# Where an answer sentence ends: terminal punctuation (closing quotes and markers after it stay with
# it), a marker followed by a new capitalised sentence, or a line break.
_END = re.compile(rf"[.!?]+[\"”’)]*{_MARKERS}[.!?]?(?=\s|$)|{_MARKER.pattern}(?=\s+[A-Z“\"])|\n+")
# English abbreviations that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen sen rep gov lt col sgt capt cmdr adm maj jr sr vs etc no inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e".split()
)
_QUOTED = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_ELLIPSIS = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…")
_EDGE = " \t\n.,;:!?'\"“”‘’()[]"
# English words that frame a claim rather than make one (who said it, where): the prompt asks the
# model to attribute claims, so these are not required to appear in the cited sentences.
_FRAMING = frozenset(
    stem(w)
    for w in """author authors article writer writes wrote written write piece text sentence sentences
    say says said saying according quote quotes quoted quoting state states stated claim claims claimed
    tell tells told report reports reported add adds added note notes noted argue argues argued explain
    explains explained mention mentions mentioned describe describes described suggest suggests
    suggested believe believes believed think thinks thought""".split()
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# English words about the answer itself: a claim made of these (and framing) says nothing about the
# article ("The answer is: [1]"), whatever sentence it cites.
_ABOUT_THE_ANSWER = frozenset(
    stem(w)
    for w in """answer answers question questions response reply replies following information
    detail details given provided number numbered""".split()
)
_LOOPING = 6
"""Content words from which a claim repeating most of them ("fired fired fired…") is a looping model."""


@dataclass(frozen=True)
class Checked:
    """What survived the guardrails: text renumbered so ``[n]`` points at ``provided[cited[n - 1]]``."""

    text: str
    cited: tuple[int, ...]
    notes: tuple[str, ...]
    declined: bool = False

    @property
    def empty(self) -> bool:
        return not self.cited


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= _SHOWN else text[:_SHOWN] + '…'}”"


def _normalised(text: str) -> str:
    """Typographic quotes and apostrophes made plain, white space collapsed: a quote is still verbatim."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


@lru_cache(maxsize=4)
def _normalised_article(article_text: str) -> str:
    return _normalised(article_text)


def _tidy(text: str) -> str:
    """White space collapsed, none before punctuation (where a removed marker stood)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split()))


def _inside_quotes(text: str) -> bool:
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _sentence_ends(text: str) -> list[int]:
    """Where each of the answer's sentences ends (the markers that follow it included), in order."""
    ends: list[int] = []
    start = 0
    for match in _END.finditer(text):
        if _inside_quotes(text[start : match.end()]) or match.group(0).startswith(".."):
            continue  # a full stop inside a quotation, or an ellipsis
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if match.group(0).startswith(".") and (last in _ABBREVIATIONS or len(last) == 1 and last.isalpha()):
            continue
        ends.append(match.end())
        start = match.end()
    return ends


def split_sentences(text: str) -> list[str]:
    """The answer's sentences, each with the markers that follow it."""
    cuts = [0, *_sentence_ends(text), len(text)]
    pieces = (text[start:end].strip() for start, end in itertools.pairwise(cuts))
    return [p for p in pieces if p]


def whole_sentences(text: str) -> str:
    """The start of an answer still being written that holds only whole sentences, which nothing the
    model writes next can change: ``check`` of it is the start of ``check`` of the finished answer.

    A sentence's end is certain once a word follows it: until then a marker, a closing quote or more
    of a number ("3." becoming "3.5") may still join it."""
    ends = _sentence_ends(text)
    while ends:
        after = _MARKER.sub(" ", _OPEN_MARKER.sub("", text[ends[-1] :]))
        if any(c.isalnum() for c in after):
            return text[: ends[-1]]
        ends.pop()
    return ""


def _numbers(group: str) -> list[int]:
    """The numbers one marker names, ranges expanded ("1-3" → 1, 2, 3; a silly range is its ends)."""
    parts = re.split(r"\s*(?:,|;|and)\s*", group)
    numbers: list[int] = []
    for part in parts:
        ends = [int(n) for n in re.split(r"\s*[-–]\s*", part) if n]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= 10:
            numbers.extend(range(ends[0], ends[1] + 1))
        else:
            numbers.extend(ends)
    return numbers


def unverbatim_quote(claim: str, article_text: str) -> str | None:
    """The first quoted piece of ``claim`` the article does not hold verbatim, or None."""
    article = _normalised_article(article_text)
    for match in _QUOTED.finditer(claim):
        for piece in _ELLIPSIS.split(match.group(1) or match.group(2)):
            piece = _normalised(piece).strip(_EDGE)
            if not piece:
                continue
            variants = {piece, piece[0].swapcase() + piece[1:]}
            if not any(v in article for v in variants):
                return piece
    return None


def _found(word: str, known: set[str]) -> bool:
    """The stem itself, or one of at least ``MIN_PREFIX`` letters starting the other ("iran" in
    "iranian"): the stemmer leaves such derived forms apart."""
    if word in known:
        return True
    return len(word) >= MIN_PREFIX and any(
        len(k) >= MIN_PREFIX and (k.startswith(word) or word.startswith(k)) for k in known
    )


def support(claim: str, cited: Sequence[Sentence]) -> tuple[float, list[str]]:
    """The share of ``claim``'s content words found in ``cited`` (and their speakers), and the
    numbers it states that they do not."""
    source = " ".join(s.text for s in cited)
    numbers = set(_NUMBER.findall(source))
    missing = [n for n in _NUMBER.findall(claim) if n not in numbers]
    said = set(terms(source))
    known = said | set(terms(" ".join(speaker_of(s) for s in cited)))
    words = [t for t in terms(claim) if t not in _FRAMING]
    if not any(_found(t, said) for t in words):
        return 0.0, missing  # naming the speaker alone says nothing the sentence says
    return sum(_found(t, known) for t in words) / len(words), missing


def _empty(claim: str) -> str | None:
    """Why a claim says nothing a reader could check, or None: no content word beyond framing and
    words about the answer itself, or one word said over and over (a model looping)."""
    words = terms(claim)
    if not any(t not in _FRAMING and t not in _ABOUT_THE_ANSWER for t in words):
        return "it says nothing about the article"
    if len(words) >= _LOOPING and 2 * len(set(words)) < len(words):
        return "it repeats its own words"
    return None


def _best_support(claim: str, provided: Sequence[Sentence]) -> tuple[int, float] | None:
    """The one provided sentence (its [n]) that supports an uncited claim, with its share, if any
    holds ``MIN_SUPPORT`` of its words and every number it states; the first of equals."""
    best: tuple[int, float] | None = None
    for n, sentence in enumerate(provided, start=1):
        share, missing = support(claim, [sentence])
        if not missing and share >= MIN_SUPPORT and (best is None or share > best[1]):
            best = (n, share)
    return best


def check(reply: str, provided: Sequence[Sentence], article_text: str, no_answer: str) -> Checked:
    """Keep the sentences of ``reply`` that cite ``provided`` sentences which support them."""
    reply = reply.strip()
    if not reply or _normalised(no_answer).lower() in _normalised(reply).lower():
        reason = "the model replied nothing" if not reply else "the model said the sentences do not answer"
        return Checked("", (), (reason,), declined=bool(reply))
    notes: list[str] = []
    unknown: set[int] = set()
    kept: list[tuple[str, list[int]]] = []  # sentence text, and the valid numbers of each marker group
    kept_claims: dict[tuple[str, ...], int] = {}  # a kept sentence's content words → its index in kept
    repeats: Counter[int] = Counter()  # index in kept → how many later sentences said it again
    labels = {speaker_of(s) for s in provided}
    for sentence in split_sentences(reply):
        sentence = _cited_at_the_end(sentence, labels)
        groups = [_numbers(m.group(1)) for m in _MARKER.finditer(sentence)]
        for n in (n for g in groups for n in g if not 1 <= n <= len(provided)):
            if n not in unknown:
                unknown.add(n)
                notes.append(f"removed [{n}]: the model was given no sentence {n}")
        valid = list(dict.fromkeys(n for g in groups for n in g if 1 <= n <= len(provided)))
        claim = _tidy(_MARKER.sub(" ", sentence))
        if not any(c.isalnum() for c in claim):
            continue  # a stray marker on its own line
        if (empty := _empty(claim)) is not None:
            notes.append(f"dropped {_shown(claim)}: {empty}")
            continue
        if (quote := unverbatim_quote(claim, article_text)) is not None:
            notes.append(
                f"dropped {_shown(claim)}: it quotes {_shown(quote)}, which the article does not say"
            )
            continue
        if not valid and not groups and (found := _best_support(claim, provided)) is not None:
            # No marker at all (small models often forget them): cited where its words are, and said so.
            n, share = found
            notes.append(f"cited [{n}] for {_shown(claim)}: the model cited nothing; [{n}] holds {share:.0%}")
            sentence, valid = f"{sentence} [{n}]", [n]
        if not valid:
            notes.append(f"dropped {_shown(claim)}: it cites no sentence it was given")
            continue
        if len(valid) > 1:
            idle = [n for n in valid if support(claim, [provided[n - 1]])[0] == 0]
            if idle and len(idle) < len(valid):
                shown = "".join(f"[{n}]" for n in idle)
                notes.append(f"removed {shown} from {_shown(claim)}: it shares no word with it")
                valid = [n for n in valid if n not in idle]
        share, missing = support(claim, [provided[n - 1] for n in valid])
        cites = "".join(f"[{n}]" for n in valid)
        if missing:
            shown = ", ".join(missing[:3])
            notes.append(
                f"dropped {_shown(claim)}: {shown} {'is' if len(missing) == 1 else 'are'} not in {cites}"
            )
            continue
        if share < MIN_SUPPORT:
            notes.append(f"dropped {_shown(claim)}: {cites} holds {share:.0%} of its words")
            continue
        said = tuple(sorted({t for t in terms(claim) if t not in _FRAMING}))
        if said in kept_claims:
            repeats[kept_claims[said]] += 1
            continue
        kept_claims[said] = len(kept)
        kept.append((sentence, valid))
    for i, times in repeats.items():
        repeated = _shown(_tidy(_MARKER.sub(" ", kept[i][0])))
        notes.append(f"dropped {times} {'repeat' if times == 1 else 'repeats'} of {repeated}")
    order = list(dict.fromkeys(n for _, valid in kept for n in valid))
    renumber = {old: new for new, old in enumerate(order, start=1)}

    def rewritten(sentence: str, valid: list[int]) -> str:
        def markers(match: re.Match[str]) -> str:
            numbers = [renumber[n] for n in dict.fromkeys(_numbers(match.group(1))) if n in valid]
            return "".join(f"[{n}]" for n in numbers)

        return _tidy(_MARKER.sub(markers, sentence))

    text = " ".join(rewritten(sentence, valid) for sentence, valid in kept)
    return Checked(text, tuple(n - 1 for n in order), _bounded(notes))


_OPEN_MARKER = re.compile(r"\[[^\[\]]{0,24}$")


def provisional(text: str, provided: int) -> str:
    """The answer so far, as a reader may see it while the model is still writing: a marker still
    being written is held back, one naming no sentence the model was given is never shown, the
    others are numbered in order of first citation (as ``check`` numbers them). Only ``check`` on the
    whole reply decides what is kept; the chat page then shows its result in place of this."""
    order: dict[int, int] = {}

    def markers(match: re.Match[str]) -> str:
        numbers = [n for n in dict.fromkeys(_numbers(match.group(1))) if 1 <= n <= provided]
        return "".join(f"[{order.setdefault(n, len(order) + 1)}]" for n in numbers)

    return _tidy(_MARKER.sub(markers, _OPEN_MARKER.sub("", text)))


def _cited_at_the_end(sentence: str, labels: set[str]) -> str:
    """A sentence opening with its markers (and the speaker label it was shown), as a model echoing
    the prompt's "[n] (speaker) text" lines writes it: the markers moved to its end, the label gone."""
    leading = _LEADING.match(sentence)
    if leading is None:
        return sentence
    rest = sentence[leading.end() :]
    label = _LABEL.match(rest)
    if label is not None and label.group(1) in labels:
        rest = rest[label.end() :]
    return f"{rest.rstrip()} {leading.group(0).strip()}"  # only markers and a label: nothing said


def _bounded(notes: list[str]) -> tuple[str, ...]:
    """The notes without repeats, at most ``MAX_NOTES`` (a looping model repeats itself)."""
    unique = list(dict.fromkeys(notes))
    if len(unique) <= MAX_NOTES:
        return tuple(unique)
    return (*unique[: MAX_NOTES - 1], f"and {len(unique) - MAX_NOTES + 1} more removals")
