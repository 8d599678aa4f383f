"""The chat page's handler as plain functions (no browser): streaming, escaping, declines, follow-ups."""

from __future__ import annotations

import re

import pytest

from assistant.schema import Answer, Citation
from assistant.ui.app import example_questions
from assistant.ui.html import answer_html, article_html, question_html
from assistant.ui.session import ChatSession, stream_prefixes

pytestmark = pytest.mark.integration


@pytest.fixture()
def session(assistant) -> ChatSession:
    return ChatSession(assistant, delay=0)


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


def test_an_off_topic_decline_shows_no_closest_passages(session):
    *_, (_, messages, turns, _) = session.respond("What is the capital of Australia?", [], [])
    html = messages[-1]["content"]
    assert "aa-declined" in html and "Closest passages:" not in html


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


def test_retry_undo_and_clear(session):
    *_, (_, messages, turns, _) = session.respond("Who wrote this article?", [], [])
    *_, (_, again, again_turns, _) = session.retry(messages, turns)
    assert len(again) == 2 and again_turns[0]["content"] == "Who wrote this article?"
    question, undone, undone_turns, _ = session.undo(again, again_turns)
    assert question == "Who wrote this article?" and undone == [] and undone_turns == []
    assert session.clear()[1:3] == ([], [])


def test_too_long_question_gets_a_message_not_an_exception(session):
    *_, (_, messages, turns, _) = session.respond("why? " * 1000, [], [])
    assert "aa-error" in messages[-1]["content"] and "the limit is 2000" in messages[-1]["content"]
    assert session.respond("   ", [], []).__next__()[1] == []
    question, *_ = session.undo(messages, turns)
    assert question.startswith("why?")


def test_stream_prefixes_end_with_the_whole_text():
    pieces = list(stream_prefixes("one two three four five", chunks=2))
    assert pieces[-1] == "one two three four five" and len(pieces) > 1


def test_examples_come_from_the_article(assistant):
    examples = example_questions(assistant)
    assert "Tehran Attack: Who Did It?" in examples
    assert all(assistant.ask(q).answerable for q in examples)


def test_gradio_chat_api_returns_text_with_sources(session):
    text = session.answer_text("Which agency also cited General Ramazan Sharif?", [])
    assert "[1]" in text and "Sources:" in text and "(also cited by AP)" in text
