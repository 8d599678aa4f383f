"""The chat's article choice without a browser: each article its own session (overview, starters,
answers and highlights from that article), a choice checked against the shelf on every call, and a
removed article sending the tab back to the default one with a message.

A library of two small articles indexed with the real MiniLM embeddings beside the seed article."""

from __future__ import annotations

import gc
import re
import weakref
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.library import Library
from assistant.library.shelf import Shelf
from assistant.ui.articles import ArticleSessions
from assistant.ui.session import ChatSession
from tests.library.shared import library_beside

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"
DEFAULT_ID = "henningsen-2017-iran-missile-strike"


@pytest.fixture(scope="module")
def library(assistant, tmp_path_factory) -> Library:
    files = (ARTICLES / "lighthouse.txt", ARTICLES / "flood-barrier.txt")
    return library_beside(assistant, tmp_path_factory.mktemp("articles"), *files)


@pytest.fixture(scope="module")
def sessions(assistant, library) -> ArticleSessions:
    return ArticleSessions(Shelf(assistant, library), ChatSession(assistant, delay=0))


def test_the_picker_lists_every_article_by_title_the_default_first(sessions: ArticleSessions) -> None:
    choices = sessions.choices()
    assert sessions.several()
    assert [i for _, i in choices] == [DEFAULT_ID, "flood-barrier", "lighthouse"]
    assert ("Harbourtown Lighthouse", "lighthouse") in choices


def test_choosing_an_article_opens_its_own_conversation(sessions: ArticleSessions) -> None:
    choice = sessions.choose("lighthouse")
    assert (choice.article_id, choice.problem) == ("lighthouse", None)
    assert choice.session is not sessions.default
    assert choice.session is sessions.choose("lighthouse").session  # kept, with its suggestions
    assert choice.session.suggestions is not sessions.default.suggestions
    _, messages, turns, view = choice.session.start()
    text = choice.session.assistant.article.text
    [overview] = turns
    assert overview["citations"] and all(
        text[c["start"] : c["end"]] == c["text"] for c in overview["citations"]
    )
    assert "lighthouse" in view.lower() and "Henningsen" not in view
    assert messages[0].get("options")  # the starters of this article
    assert sessions.choose(DEFAULT_ID).session is sessions.default
    assert sessions.choose(None).session is sessions.default


def test_questions_go_to_the_chosen_articles_assistant(sessions: ArticleSessions) -> None:
    session = sessions.choose("lighthouse").session
    _, messages, turns, _ = session.start()
    *_, (_, messages, turns, view) = session.respond("When was the lighthouse automated?", messages, turns)
    answer = turns[-1]
    assert "1972" in answer["content"]
    article = session.assistant.article
    assert answer["article"] == article.sha256
    assert all(article.text[c["start"] : c["end"]] == c["text"] for c in answer["citations"])
    first = answer["citations"][0]
    key = f"{first['start']}-{first['end']}"
    assert re.search(rf'<mark class="[^"]*aa-current[^"]*" data-aa-spans="[^"]*\b{key}\b', view)
    # The same question on the default article is not answered from the lighthouse.
    default = sessions.choose(DEFAULT_ID).session
    _, messages, turns, _ = default.start()
    *_, (_, _, turns, _) = default.respond("When was the lighthouse automated?", messages, turns)
    assert turns[-1]["article"] == default.assistant.article.sha256


@pytest.mark.parametrize("made_up", ["no-such-article", "all", 42, ["lighthouse"], "x" * 500])
def test_a_made_up_choice_falls_back_to_the_default_article(sessions: ArticleSessions, made_up) -> None:
    choice = sessions.choose(made_up)
    assert choice.article_id == DEFAULT_ID and choice.session is sessions.default
    assert choice.problem and "no longer available" in choice.problem and len(choice.problem) < 400


def test_an_article_removed_meanwhile_sends_the_tab_back_to_the_default_article(
    assistant, library: Library, tmp_path: Path
) -> None:
    sessions = ArticleSessions(Shelf(assistant, library), ChatSession(assistant, delay=0))
    library.add(ARTICLES / "night-trains.md")
    try:
        assert sessions.choose("night-trains").problem is None
    finally:
        library.remove("night-trains")
    choice = sessions.choose("night-trains")
    assert choice.session is sessions.default
    assert "'night-trains' is no longer available" in choice.problem
    assert assistant.article.title in choice.problem
    # The tab's next event shows it in the chat, on the default article's overview; the question stays.
    textbox, messages, turns, view = sessions.opening(choice, "When does the night train leave?")
    assert textbox == "When does the night train leave?"
    assert "aa-error" in messages[-1]["content"] and "no longer available" in messages[-1]["content"]
    assert turns[0]["opening"] and turns[0]["article"] == assistant.article.sha256
    assert assistant.article.title.split(":")[0] in view


def test_the_page_shows_its_picker_only_with_more_than_one_article(
    assistant, library: Library, tmp_path
) -> None:
    import gradio as gr

    from assistant.ui.app import build_ui

    def pickers(shelf: Shelf) -> list[gr.Dropdown]:
        blocks = build_ui(assistant, assistant.settings, shelf=shelf)
        return [b for b in blocks.blocks.values() if isinstance(b, gr.Dropdown)]

    empty = Library(
        assistant.settings.model_copy(update={"library_dir": tmp_path / "none"}),
        assistant.embeddings,
        assistant.reranker,
    )
    [hidden] = pickers(Shelf(assistant, empty))  # the default install: the page as before, until an
    assert hidden.visible is False  # article is added (a page load shows it then: test_page_picker_follows)
    [picker] = pickers(Shelf(assistant, library))
    assert (picker.label, picker.elem_id, picker.value) == ("Article", "aa-picker", DEFAULT_ID)
    assert picker.visible is True


def test_the_page_holds_no_session_of_an_article_the_shelf_closed(assistant, library: Library) -> None:
    settings = assistant.settings.model_copy(update={"open_articles": 1})
    default = Assistant(settings, embeddings=assistant.embeddings, reranker=assistant.reranker)
    sessions = ArticleSessions(Shelf(default, library), ChatSession(assistant, delay=0))
    lighthouse = sessions.choose("lighthouse").session
    closed = weakref.ref(lighthouse)
    assert sessions.choose("lighthouse").session is lighthouse
    del lighthouse
    flood = sessions.choose("flood-barrier").session  # one article open at most: lighthouse is closed
    gc.collect()
    assert closed() is None and sessions.shelf.open_ids == ("flood-barrier",)
    again = sessions.choose("lighthouse").session  # opened again, with a session of its own
    assert again.assistant.article.title == "Harbourtown Lighthouse"
    assert again.assistant is not flood.assistant
    for article_id in sessions.shelf.open_ids:
        sessions.shelf.scoped(article_id).assistant.close()
