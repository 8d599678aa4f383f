"""Suggested questions are ones the article answers: checked against the real pipeline, on the seed
article and on small articles nobody wrote suggestions for, each with a temporary index of its own."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.article import Article, BlockKind, Voice
from assistant.evaluation import article_assistant
from assistant.schema import Answer, Turn
from assistant.suggestions import MAX_CHARS, OVERVIEW_QUESTION, Suggestions, normalise

pytestmark = pytest.mark.integration

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"
SEED_QUESTIONS = ("Why did Iran fire missiles?", "Who is Massoud Khodabandeh?", "What did the US shoot down?")
OTHER_QUESTIONS = {
    "flood-barrier.txt": ("Who voted against the plan?", "How much will the barrier cost?"),
    "night-trains.md": (
        "How long does the train from Vienna take?",
        "Why do travellers choose night trains?",
    ),
}


@pytest.fixture(scope="module")
def seed(assistant: Assistant) -> Suggestions:
    return Suggestions(assistant)


@pytest.fixture(scope="module", params=sorted(OTHER_QUESTIONS))
def other(request: pytest.FixtureRequest, embeddings) -> Iterator[tuple[str, Assistant, Suggestions]]:
    """A small article with a temporary index of its own (as `assistant eval --article` builds one)."""
    with article_assistant(ARTICLES / request.param, Settings(), embeddings) as assistant:
        yield request.param, assistant, Suggestions(assistant)


def _headings(article: Article) -> set[str]:
    return {normalise(article.block_text(b)) for b in article.blocks if b.kind is BlockKind.HEADING}


def _positions(assistant: Assistant, answer: Answer) -> frozenset[int]:
    _, sentences, _ = assistant.contents()
    by_start = {s.start: s.position for s in sentences}
    return frozenset(by_start[c.start] for c in answer.citations)


def _assert_pool_is_answered(assistant: Assistant, suggestions: Suggestions) -> None:
    pool = suggestions.pool()
    headings = _headings(assistant.article)
    assert len(pool) >= 5
    assert len({normalise(s.question) for s in pool}) == len(pool)
    for suggestion in pool:
        assert normalise(suggestion.question) not in headings, suggestion.question
        assert len(suggestion.question) <= MAX_CHARS
        answer = assistant.ask(suggestion.question)
        assert answer.answerable, suggestion.question
        cited = _positions(assistant, answer)
        assert cited == suggestion.cited
        if suggestion.source is not None:
            assert suggestion.source in cited, suggestion.question


def _assert_opening_is_a_verbatim_overview(assistant: Assistant, suggestions: Suggestions) -> None:
    opening = suggestions.opening()
    text = assistant.article.text
    assert opening.answerable
    assert len(opening.citations) >= 2
    assert all(text[c.start : c.end] == c.text for c in opening.citations)
    assert opening == assistant.ask(OVERVIEW_QUESTION)
    assert suggestions.opening() is opening  # computed once per article


def _assert_follow_ups_are_new_and_answered(
    assistant: Assistant, suggestions: Suggestions, questions: Sequence[str]
) -> None:
    """After each answer: 2-3 questions, none asked before (in any wording), none answered by the
    same quotes, each answered when asked as the next turn of this conversation."""
    pool = {normalise(s.question): s for s in suggestions.pool()}
    asked: list[str] = []
    history: list[Turn] = []
    for question in questions:
        answer = assistant.ask(question, history)
        asked.append(question)
        offered = suggestions.follow_ups(answer, [q.upper() + " " for q in asked])
        assert 2 <= len(offered) <= 3, (question, offered)
        assert offered == suggestions.follow_ups(answer, asked)  # deterministic, wording-blind
        assert len(set(offered)) == len(offered)
        cited = _positions(assistant, answer)
        for follow_up in offered:
            assert normalise(follow_up) not in {normalise(q) for q in asked}
            assert pool[normalise(follow_up)].cited != cited
            turns = [
                *history,
                Turn(role="user", content=question),
                Turn(role="assistant", content=answer.text),
            ]
            assert assistant.ask(follow_up, turns).answerable, (question, follow_up)
        history += [Turn(role="user", content=question), Turn(role="assistant", content=answer.text)]
    # What was offered and then asked is never offered again.
    again = suggestions.follow_ups(answer, [*asked, *offered])
    assert not {normalise(q) for q in again} & {normalise(q) for q in offered}


def test_every_pooled_question_on_the_seed_is_answered_citing_what_it_was_made_from(assistant, seed):
    _assert_pool_is_answered(assistant, seed)
    questions = {s.question for s in seed.pool()}
    assert "Tehran Attack: Who Did It?" not in questions
    kinds = {s.kind for s in seed.pool()}
    assert {"about", "overview", "speaker", "person", "date"} <= kinds


def test_the_opening_is_the_seed_articles_cited_overview(assistant, seed):
    _assert_opening_is_a_verbatim_overview(assistant, seed)


def test_follow_ups_on_the_seed_are_new_questions_the_article_answers(assistant, seed):
    _assert_follow_ups_are_new_and_answered(assistant, seed, SEED_QUESTIONS)


def test_follow_ups_prefer_new_material_next_to_the_answer(assistant, seed):
    """Each follow-up's answer quotes something this answer did not, and the first ones come from the
    answer's own section of the article."""
    _, sentences, _ = assistant.contents()
    pool = {s.question: s for s in seed.pool()}
    for question in SEED_QUESTIONS:
        answer = assistant.ask(question)
        cited = _positions(assistant, answer)
        offered = [pool[q] for q in seed.follow_ups(answer, [question])]
        assert all(s.cited - cited for s in offered)
        assert offered[0].source not in cited
        assert offered[0].section in {sentences[p].section for p in cited}, (question, offered[0])


def test_follow_ups_after_a_decline_are_the_best_questions_left(assistant, seed):
    declined = assistant.ask("What is the capital of Peru?")
    assert not declined.answerable
    offered = seed.follow_ups(declined, ["What is the capital of Peru?", "Who wrote this article?"])
    assert offered == [s.question for s in seed.pool() if s.question != "Who wrote this article?"][:3]


def test_starters_on_the_seed_are_varied_and_stable(seed):
    starters = seed.starters()
    assert starters == seed.starters()
    assert len(starters) == 4 == len({normalise(q) for q in starters})
    assert starters[:2] == ["Who wrote this article?", "Summarize the article in 3 points"]
    pool = {s.question: s for s in seed.pool()}
    later = [pool[q] for q in starters[2:]]
    assert len({s.section for s in later}) == len({s.kind for s in later}) == 2
    assert seed.starters(k=2) == starters[:2]


def test_pool_on_another_article_is_answered_and_never_a_heading(other):
    _, assistant, suggestions = other
    _assert_pool_is_answered(assistant, suggestions)


def test_opening_on_another_article_is_its_cited_overview(other):
    _, assistant, suggestions = other
    _assert_opening_is_a_verbatim_overview(assistant, suggestions)


def test_follow_ups_on_another_article_are_new_questions_it_answers(other):
    name, assistant, suggestions = other
    _assert_follow_ups_are_new_and_answered(assistant, suggestions, OTHER_QUESTIONS[name])
    assert len(suggestions.starters()) == 4


class _Counting:
    """The real assistant, counting the questions asked of it, with the article's hash settable:
    what an index swap looks like to the suggestions."""

    def __init__(self, real: Assistant) -> None:
        self.real = real
        self.asked = 0
        self.extractive: set[bool] = set()
        self.sha256: str | None = None

    def contents(self):
        article, sentences, keys = self.real.contents()
        if self.sha256 is not None:
            article = dataclasses.replace(article, sha256=self.sha256)
        return article, sentences, keys

    def ask_with_article(self, question: str, history: Sequence[Turn] = (), *, extractive: bool = False):
        self.asked += 1
        self.extractive.add(extractive)
        answer, _ = self.real.ask_with_article(question, history, extractive=extractive)
        return answer, self.contents()[0]


def test_the_pool_is_built_once_per_article_however_many_readers_ask(other):
    _, assistant, _ = other
    counting = _Counting(assistant)
    suggestions = Suggestions(counting)  # type: ignore[arg-type]
    answer = assistant.ask("What is this article about?")
    threads = [threading.Thread(target=suggestions.follow_ups, args=(answer, [])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    built = counting.asked
    assert 0 < built
    assert counting.extractive == {
        True
    }  # checked by the extractive answerer, never a model    suggestions.starters()
    suggestions.follow_ups(answer, [])
    assert counting.asked == built  # follow-ups cost no question

    counting.sha256 = "0" * 64  # the index was swapped for another article's
    suggestions.follow_ups(answer, [])
    assert counting.asked == 2 * built


class _NoOverview(_Counting):
    """An engine that declines the overview question (an index without key sentences, say)."""

    def ask_with_article(self, question: str, history: Sequence[Turn] = (), *, extractive: bool = False):
        if question == OVERVIEW_QUESTION:
            return Answer(text="The article does not say.", answerable=False, citations=[]), self.contents()[
                0
            ]
        return super().ask_with_article(question, history, extractive=extractive)


def test_the_opening_is_never_a_decline_the_articles_first_sentences_stand_in(other):
    _, assistant, _ = other
    opening = Suggestions(_NoOverview(assistant)).opening()  # type: ignore[arg-type]
    _, sentences, _ = assistant.contents()
    body = [s for s in sentences if s.voice is not Voice.METADATA]
    assert opening.answerable
    assert [c.text for c in opening.citations] == [s.text for s in body[:3]]
    assert all(assistant.article.text[c.start : c.end] == c.text for c in opening.citations)
