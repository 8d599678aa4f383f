"""The chat page's handler as plain functions (no browser): the opening overview, streaming, escaping,
declines, follow-ups and suggested questions, a reloaded tab's replay, and what a rating stores."""

from __future__ import annotations

import dataclasses
import json
import re
from html import unescape

import pytest

from assistant.schema import Answer, Citation
from assistant.suggestions import OVERVIEW_QUESTION, Suggestions
from assistant.ui.html import answer_html, answer_markdown, article_html, question_html
from assistant.ui.session import ChatSession, asked

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def suggestions(assistant) -> Suggestions:
    return Suggestions(assistant)


@pytest.fixture()
def session(assistant, suggestions) -> ChatSession:
    return ChatSession(assistant, suggestions, delay=0)


def plain(html: str) -> str:
    """What a reader sees of a message: no tags, and nothing of the hidden copy text or quotes."""
    html = re.sub(r'<(div|span) class="aa-(copy|quote)" hidden>.*?</\1>', "", html)
    return unescape(re.sub("<[^>]+>", "", html))


def test_answer_streams_in_then_shows_sources_and_highlights(session, assistant):
    updates = list(session.respond("Which agency also cited General Ramazan Sharif?", [], []))
    assert len(updates) > 3
    streamed = [messages[-1]["content"] for _, messages, _, _ in updates]
    assert all("aa-sources" not in html for html in streamed[:-1])
    lengths = [len(re.sub("<[^>]+>", "", html)) for html in streamed[:-1]]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    textbox, messages, turns, article = updates[-1]
    assert textbox == "" and [m["role"] for m in messages] == ["user", "assistant"]
    final = messages[-1]["content"]
    assert "Sources:" in final and "(also cited by AP)" in final and 'href="#aa-span-' in final
    citation = Citation(**turns[-1]["citations"][0])
    assert assistant.article.text[citation.start : citation.end] == citation.text
    assert f'data-aa-spans="{citation.start}-{citation.end}"' in article and "aa-current" in article


def test_follow_up_uses_the_conversation(session):
    *_, (_, messages, turns, _) = session.respond("What did the Russian Defense Ministry announce?", [], [])
    *_, (_, messages, turns, article) = session.respond("Why did it do that?", messages, turns)
    assert not turns[-1]["content"].startswith("The article does not say")
    assert any("overt act of aggression" in c["text"] for c in turns[-1]["citations"])


def test_article_view_marks_earlier_citations_lightly(session):
    *_, (_, messages, turns, _) = session.respond("Which agency also cited General Ramazan Sharif?", [], [])
    *_, (_, messages, turns, article) = session.respond("Who wrote this article?", messages, turns)
    assert "aa-earlier" in article and "aa-current" in article


def test_decline_is_styled_apart_with_closest_passages(session):
    question = "How many tomahawks did the US fire at the Syrian airbase in April?"  # on topic, not said
    *_, (_, messages, turns, _) = session.respond(question, [], [])
    html = messages[-1]["content"]
    assert "aa-declined" in html and "The article does not say" in html and "Closest passages:" in html
    assert "aa-not-stated" in html and html.index('class="aa-badge"') < html.index('class="aa-text"')


def test_an_off_topic_decline_shows_no_closest_passages(session):
    *_, (_, messages, turns, _) = session.respond("What is the capital of Australia?", [], [])
    html = messages[-1]["content"]
    assert "aa-declined" in html and "Closest passages:" not in html
    assert "aa-not-stated" not in html and "aa-badge" not in html


def test_user_and_article_text_is_escaped():
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))\n\nnext'
    assert question_html(hostile) == (
        '<div class="aa-question">&lt;script&gt;alert(1)&lt;/script&gt;'
        "&lt;img src=x onerror=&quot;alert(2)&quot;&gt; [x](javascript:alert(3))<br><br>next</div>"
    )
    citation = Citation(id=1, text=hostile, start=0, end=len(hostile), section="<b>s</b>", speaker="<i>")
    html = answer_html(Answer(text=f"{hostile} [1]", answerable=True, citations=[citation]))
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "\n" not in html


def test_overlapping_citations_split_into_marks(assistant):
    a = Citation(id=1, text=assistant.article.text[324:462], start=324, end=462)
    b = Citation(id=2, text=assistant.article.text[400:500], start=400, end=500)
    html = article_html(assistant.article, [a], [b])
    assert 'data-aa-spans="324-462 400-500"' in html
    plain = re.sub("<[^>]+>", "", html)
    assert assistant.article.text[324:462] in plain.replace("&#x27;", "'")


def test_the_chat_opens_on_the_cited_overview_with_starter_questions(session, assistant):
    textbox, messages, turns, article = session.start()
    assert textbox == "" and [m["role"] for m in messages] == ["assistant"]
    assert "aa-overview" in messages[0]["content"] and 'href="#aa-span-' in messages[0]["content"]
    starters = [o["value"] for o in messages[0]["options"]]
    assert 2 <= len(starters) <= 4 and all(o["label"] == o["value"] for o in messages[0]["options"])
    headings = {
        assistant.article.block_text(b) for b in assistant.article.blocks if b.kind.value == "heading"
    }
    assert not headings & set(starters), "a section heading is not a reader's question"
    assert asked(turns) == [], "the overview is not a question"
    assert "aa-current" in article
    for cited in turns[0]["citations"]:
        assert assistant.article.text[cited["start"] : cited["end"]] == cited["text"]


def test_a_follow_up_can_lean_on_the_overview(session):
    _, messages, turns, _ = session.start()
    *_, (_, messages, turns, _) = session.respond("Who wrote this article?", messages, turns)
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant"]
    assert turns[-1]["answerable"] and "Patrick Henningsen" in turns[-1]["content"]


def test_follow_ups_are_offered_under_the_last_answer_only(session, assistant):
    _, messages, turns, _ = session.start()
    *streamed, (_, messages, turns, _) = session.respond("Who wrote this article?", messages, turns)
    assert all("options" not in update[1][-1] for update in streamed), "no suggestions mid-stream"
    assert [("options" in m) for m in messages] == [False, False, True]
    offered = [o["value"] for o in messages[-1]["options"]]
    assert 2 <= len(offered) <= 3 and "Who wrote this article?" not in offered
    assert all(assistant.ask(q).answerable for q in offered)


def test_a_decline_offers_questions_the_article_answers(session, assistant):
    question = "How many tomahawks did the US fire at the Syrian airbase in April?"
    *_, (_, messages, turns, _) = session.respond(question, *session.start()[1:3])
    assert not turns[-1]["answerable"]
    offered = [o["value"] for o in messages[-1]["options"]]
    assert offered and all(assistant.ask(q).answerable for q in offered)


def test_undo_and_clear_stop_at_the_overview(session):
    _, opening, opening_turns, _ = session.start()
    *_, (_, messages, turns, _) = session.respond("Who wrote this article?", opening, opening_turns)
    question, undone, undone_turns, article = session.undo(messages, turns)
    assert question == "Who wrote this article?"
    assert undone == opening and undone_turns == opening_turns, "the starters come back under the overview"
    assert session.undo(undone, undone_turns)[1:3] == (opening, opening_turns)
    assert session.clear()[1:3] == (opening, opening_turns)


def test_a_reloaded_tab_is_rebuilt_from_its_questions_alone(session):
    _, messages, turns, _ = session.start()
    for question in ["What did the Russian Defense Ministry announce?", "Why did it do that?"]:
        *_, (_, messages, turns, article) = session.respond(question, messages, turns)
    _, replayed, replayed_turns, replayed_article = session.replay(json.dumps(asked(turns)))
    assert replayed == messages and replayed_turns == turns and replayed_article == article
    *_, (_, after, after_turns, _) = session.respond("Who said it?", replayed, replayed_turns)
    assert len(after) == len(messages) + 2, "the conversation goes on after a reload"


@pytest.mark.parametrize(
    "saved", ["not json", '{"path": "/etc/passwd"}', "[1, 2]", '["ok", {"path": "x"}]', "null", ""]
)
def test_a_malformed_saved_conversation_starts_fresh(session, saved):
    assert session.replay(saved)[1:3] == session.start()[1:3]


def test_a_restored_conversation_is_bounded(session):
    session.bounds = dataclasses.replace(session.bounds, max_questions=4)
    questions = [f"Who wrote this article? ({n})" for n in range(7)]
    _, messages, turns, _ = session.replay(questions)
    assert asked(turns) == questions[-4:]
    _, messages, turns, _ = session.replay(["why? " * 1000])
    assert "aa-error" in messages[-1]["content"] and asked(turns) == []


def test_a_rating_stores_what_the_server_showed_in_that_message(session):
    _, messages, turns, _ = session.start()
    *_, (_, messages, turns, _) = session.respond("Who wrote this article?", messages, turns)
    feedback = session.feedback(turns, 2, "down", "too short")
    assert feedback is not None and feedback.surface == "chat"
    assert (feedback.rating, feedback.note, feedback.question) == (
        "down",
        "too short",
        "Who wrote this article?",
    )
    assert (
        feedback.answer == turns[-1]["content"]
        and feedback.citations[0].start == turns[-1]["citations"][0]["start"]
    )
    overview = session.feedback(turns, 0, "up")
    assert overview is not None and overview.question == OVERVIEW_QUESTION
    for not_an_answer in (1, 3, -1, True, "2", None, [2]):
        assert session.feedback(turns, not_an_answer, "up") is None


def test_too_long_question_gets_a_message_not_an_exception(session):
    *_, (_, messages, turns, _) = session.respond("why? " * 1000, [], [])
    assert "aa-error" in messages[-1]["content"] and "the limit is 2000" in messages[-1]["content"]
    assert session.respond("   ", [], []).__next__()[1] == []
    question, *_ = session.undo(messages, turns)
    assert question.startswith("why?")


def test_sources_are_compact_and_copy_as_quoted_markdown(session, assistant):
    *_, (_, messages, turns, _) = session.respond("Which agency also cited General Ramazan Sharif?", [], [])
    html = messages[-1]["content"]
    quote = turns[-1]["citations"][0]["text"]
    seen = plain(html)
    assert seen.count(quote) <= 1, "the quote is not repeated word for word under the answer"
    assert "[1]" in seen and " · " in seen
    answer = Answer(
        text=turns[-1]["content"], answerable=True, citations=[Citation(**turns[-1]["citations"][0])]
    )
    markdown = answer_markdown(answer)
    assert markdown.startswith(answer.text) and f'[1] "{quote}" — ' in markdown
    copy = re.search(r'<div class="aa-copy" hidden>(.*?)</div>', answer_html(answer)).group(1)
    assert "\n" not in copy and unescape(copy) == markdown


def test_gradio_chat_api_returns_text_with_sources(session):
    text = session.answer_text("Which agency also cited General Ramazan Sharif?", [])
    assert "[1]" in text and "Sources:" in text and "(also cited by AP)" in text
