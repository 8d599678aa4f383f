"""👍/👎 on the chat page, in Debian's chromium against the real app and its SQLite store: a rating and
its optional note are stored with what the server itself answered in that message; too many ratings
get a short message; with feedback switched off there are no rating buttons at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.feedback import read_entries
from assistant.web.app import create_app
from tests.ui.pages import DESKTOP, PHONE, ask, bots, only_loopback, open_chat, shot

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]


@pytest.fixture(scope="module")
def rated(assistant, serve, tmp_path_factory) -> tuple[str, Path]:
    """An app keeping ratings in a fresh database, three a minute per client."""
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    settings = assistant.settings.model_copy(update={"feedback_db": db, "feedback_per_minute": 3})
    return serve(create_app(assistant, settings)), db


@pytest.fixture()
def desktop(page: Page) -> Page:
    page.set_viewport_size(DESKTOP)
    with only_loopback(page):
        yield page


def test_a_rating_and_its_note_are_stored_with_the_servers_answer(desktop: Page, rated):
    url, db = rated
    open_chat(desktop, url)
    answer = ask(desktop, "Who wrote this article?")
    answer.hover()
    desktop.get_by_role("button", name="Like", exact=True).last.click()
    status = desktop.locator("#aa-rating-status [role=status]")
    expect(status).to_contain_text("your rating (helpful) is saved")
    [entry] = read_entries(db)
    assert (entry.rating, entry.note, entry.surface) == ("up", "", "chat")
    assert entry.question == "Who wrote this article?"
    assert entry.answer == answer.locator(".aa-text").inner_text()
    assert entry.citations and "Patrick Henningsen" in entry.citations[0].text
    assert entry.article_title == desktop.locator(".aa-header h1").inner_text()

    note = desktop.get_by_label("Add a note to your rating (optional)")
    expect(note).to_be_visible()
    note.fill("Short and to the point.")
    shot(desktop, "page-desktop-rating-note")
    desktop.get_by_role("button", name="Send note").click()
    expect(status).to_contain_text("Thanks for the note")
    expect(note).to_be_hidden()
    [noted] = read_entries(db)  # the note joins its rating: no second entry
    assert (noted.id, noted.rating, noted.note) == (entry.id, "up", "Short and to the point.")

    # The overview can be rated too (as what it answers); past three a minute, a short message.
    bots(desktop).first.hover()
    desktop.get_by_role("button", name="Dislike", exact=True).first.click()
    expect(status).to_contain_text("your rating (not helpful) is saved")
    assert list(read_entries(db))[-1].question == "What is this article about?"
    answer.hover()
    desktop.get_by_role("button", name="Dislike", exact=True).last.click()
    alert = desktop.locator("#aa-rating-status [role=alert]")
    expect(alert).to_contain_text("too many ratings: at most 3 a minute")
    assert len(list(read_entries(db))) == 2  # two ratings (the note spent the third of the minute)


def test_with_feedback_switched_off_there_are_no_rating_buttons(page: Page, assistant, serve, tmp_path):
    db = tmp_path / "feedback.sqlite3"
    settings = assistant.settings.model_copy(update={"feedback_enabled": False, "feedback_db": db})
    url = serve(create_app(assistant, settings))
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        with only_loopback(page):
            open_chat(page, url)
            ask(page, "Who wrote this article?")
            expect(page.get_by_role("button", name="Like", exact=True)).to_have_count(0)
            expect(page.get_by_role("button", name="Dislike", exact=True)).to_have_count(0)
    assert not db.exists()
