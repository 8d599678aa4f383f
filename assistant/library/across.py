"""A question across all articles: answered from the one article that answers it best, and named.

The router (``assistant.library.router``) names the few articles whose sentences lie nearest the
question; each of those asked gives its ``Evidence`` as a question about it alone would (its own standalone
query, retrieval and cross-encoder ranking). The cross-encoder's logit scores (question, sentence)
whatever article the sentence is in, so the article whose best sentence scores highest is the one
answered from, by its own answerer: the citations are that article's, checked against its text, each
naming it in ``source``, and the answer says once which article it is from (``From “<title>”: …``).
When even that article does not answer, the answer is its decline (the closest passages, for context,
are that article's).

Follow-ups stay with the article that answered: the previous answer's ``From “<title>”`` names it,
and when the question leans on that answer (``Query.is_follow_up``: it borrows words from the turn
before) it is answered from that article alone. A question that stands on its own is routed afresh.

The candidates are asked in the router's order, and the first whose own answerer states an answer
(``answered``, by its fitted decline model) ends the search: a question the nearest article answers
costs one article's retrieval, as a scoped question does. Only when it does not are the next ones
asked, and the best of those asked is chosen as above.

Per question: one query embedding and one router search, then for each of at most
``Routing.articles`` candidates (plus the configured article when the library does not hold it) one
query embedding and one cross-encoder pass over its candidate pool, most often only the first's: the
same however many articles there are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.answer.base import Partial, answer, stream_answer
from assistant.cancellation import Cancel
from assistant.pipeline import Answered, Assistant
from assistant.retrieve.evidence import Evidence
from assistant.schema import Answer, ArticleRef, Turn

if TYPE_CHECKING:
    import numpy as np

    from assistant.article import Article
    from assistant.index.embedder import Embedder
    from assistant.settings import Settings

_NAMED = re.compile(r"^From “(?P<title>[^”]+)”(?:, the closest article)?: ")


class Candidate(Protocol):
    """One article that may answer: its assistant, and how its citations name it."""

    assistant: Assistant
    source: ArticleRef


class Candidates(Protocol):
    """Where the articles to answer from come from (the shelf)."""

    def route(self, query_vector: np.ndarray) -> Sequence[Candidate]:
        """The few articles worth asking, best first (the router's order breaks ties)."""
        ...

    def titled(self, title: str) -> Candidate | None:
        """The one served article with this title, or None (none, or several share it)."""
        ...


@dataclass(frozen=True)
class Chosen:
    """The article an answer comes from, and the evidence it was chosen on."""

    candidate: Candidate
    evidence: Evidence


def named(answer: Answer, source: ArticleRef) -> Answer:
    """The answer saying once which article it is from, every citation naming it."""
    title = source.title
    prefix = f"From “{title}”: " if answer.answerable else f"From “{title}”, the closest article: "
    return answer.model_copy(update={"text": prefix + answer.text}).attributed(source)


def previous_title(history: Sequence[Turn]) -> str | None:
    """The article the previous answer named, if it was an answer across articles."""
    for turn in reversed(history):
        if turn.role == "assistant":
            found = _NAMED.match(turn.content)
            return found.group("title") if found else None
    return None


def without_names(history: Sequence[Turn]) -> list[Turn]:
    """The history as each article's assistant should read it: its answers without the article's name
    in front (so the title's words are not taken for what the answer said)."""
    return [
        Turn(role=t.role, content=_NAMED.sub("", t.content, count=1)) if t.role == "assistant" else t
        for t in history
    ]


def _answers(candidate: Candidate, evidence: Evidence) -> bool:
    """Whether this article's own extractive answerer states an answer from this evidence (its fitted
    decline model, not a new threshold): a few milliseconds, no model run."""
    return answer(candidate.assistant.extractive, evidence).status == "answered"


def _best_logit(evidence: Evidence) -> float:
    return evidence.ranked[0].rerank if evidence.ranked else -math.inf


class AcrossArticles:
    """Answers like an ``Assistant`` (``ask``, ``ask_with_article``, ``stream_with_article``), from the
    article among the router's few candidates that answers best; thread-safe."""

    def __init__(self, default: Assistant, candidates: Candidates) -> None:
        """``default`` validates questions and embeds them for the router (its settings bound the
        answer's time); ``candidates`` gives the articles."""
        self.default = default
        self.candidates = candidates

    @property
    def settings(self) -> Settings:
        return self.default.settings

    @property
    def embeddings(self) -> Embedder:
        return self.default.embeddings

    def choose(self, question: str, history: Sequence[Turn] = (), cancel: Cancel | None = None) -> Chosen:
        """The article to answer from and its evidence (see the module docstring); ``cancel`` goes
        with the question to each article asked."""
        cleaned = self.default.validate(question)
        cancel = cancel or Cancel()
        turns = without_names(history)
        title = previous_title(history)
        previous = self.candidates.titled(title) if title else None
        asked: dict[str, Chosen] = {}
        if previous is not None:
            evidence = previous.assistant.evidence(cleaned, turns, cancel=cancel)
            if evidence.query.is_follow_up:
                return Chosen(previous, evidence)
            asked[previous.source.id] = Chosen(previous, evidence)
        cancel.check()
        vector = self.embeddings.embed_query_vector(cleaned)
        routed = list(self.candidates.route(vector))
        for candidate in routed:
            if candidate.source.id not in asked:
                evidence = candidate.assistant.evidence(cleaned, turns, cancel=cancel)
                asked[candidate.source.id] = Chosen(candidate, evidence)
                if _answers(candidate, evidence):
                    break  # the nearest article that answers: the others are not asked
        order = [c.source.id for c in routed if c.source.id in asked]
        chosen = [asked[i] for i in order] + [c for i, c in asked.items() if i not in order]
        return max(chosen, key=lambda c: _best_logit(c.evidence))  # max keeps the first of equals

    def ask(self, question: str, history: Sequence[Turn] = (), *, cancel: Cancel | None = None) -> Answer:
        return self.ask_with_article(question, history, cancel=cancel)[0]

    def ask_with_article(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        extractive: bool = False,
        cancel: Cancel | None = None,
    ) -> tuple[Answer, Article]:
        """The answer from the chosen article, named, and that article (its citations' offsets)."""
        chosen = self.choose(question, history, cancel)
        assistant = chosen.candidate.assistant
        answerer = assistant.extractive if extractive else assistant.answerer
        result = answer(answerer, chosen.evidence)
        return named(result, chosen.candidate.source), chosen.evidence.article

    def stream_with_article(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        extractive: bool = False,
        cancel: Cancel | None = None,
    ) -> Iterator[Partial | Answered]:
        """The chosen article's answer as it is written (a model's partial texts, named), then the
        checked answer, named."""
        chosen = self.choose(question, history, cancel)
        assistant, source = chosen.candidate.assistant, chosen.candidate.source
        prefix = f"From “{source.title}”: "
        answerer = assistant.extractive if extractive else assistant.answerer
        for item in stream_answer(answerer, chosen.evidence):
            if isinstance(item, Answer):
                yield Answered(named(item, source), chosen.evidence.article)
            else:
                yield Partial(prefix + item.text, prefix + item.settled if item.settled else "")
