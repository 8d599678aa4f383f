"""The reader's chat page on a phone (390×844, touch) in Debian's chromium: it opens at the top with
nothing focused, a tapped [n] opens its quote in a bottom sheet (closed by its button, Escape or a tap
outside; "Show in article" finds it), touch targets are at least 44×44 px, and the article flows in the
page instead of a scroll box of its own. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assistant.web.app import create_app
from tests.ui.pages import PHONE_CONTEXT, ask, bots, only_loopback, open_chat, shot

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

TOUCH = 44
# What a reader taps in the chat: Gradio's message and toolbar buttons, suggested questions, the send
# button, the source list's [n] links and the rating note's button.
TARGETS = "#aa-chat button, #aa-question button, .aa-sources a.aa-cite, #aa-rating-note-send"


@pytest.fixture(scope="module")
def url(assistant, serve, tmp_path_factory) -> str:
    feedback_db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    return serve(create_app(assistant, assistant.settings.model_copy(update={"feedback_db": feedback_db})))


@pytest.fixture()
def phone(new_context) -> Page:
    page = new_context(**PHONE_CONTEXT).new_page()
    with only_loopback(page):
        yield page


def test_on_a_phone_the_page_opens_at_the_top_with_nothing_focused(phone: Page, url):
    open_chat(phone, url)
    assert phone.evaluate("scrollY") == 0
    assert phone.evaluate("document.activeElement === document.body"), "no autofocus"
    expect(phone.locator(".aa-header h1")).to_be_in_viewport()
    # The chat shows the overview from its first line, not scrolled to its end.
    expect(bots(phone).first.locator(".aa-text")).to_be_in_viewport(ratio=0.1)
    shot(phone, "page-phone-open")


def test_on_a_phone_a_citation_opens_its_quote_in_a_bottom_sheet(phone: Page, url):
    open_chat(phone, url)
    answer = ask(phone, "What did the Russian Defense Ministry announce?")
    cite = answer.locator(".aa-text a.aa-cite").first
    quote = answer.locator(".aa-sources li").first.locator(".aa-quote").text_content()
    where = answer.locator(".aa-sources li .aa-where").first.inner_text()
    cite.scroll_into_view_if_needed()
    scrolled = phone.evaluate("scrollY")

    cite.tap()
    sheet = phone.get_by_role("dialog")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".aa-sheet-quote")).to_have_text(quote)
    expect(sheet.locator(".aa-sheet-where")).to_have_text(where)
    expect(sheet.get_by_role("link", name="Show in article")).to_be_visible()
    assert phone.evaluate("scrollY") == scrolled, "the page did not jump out of the chat"
    shot(phone, "page-phone-bottom-sheet")

    # Dismissed by Escape, by a tap outside it, and by its close button (focus goes back to the [n]).
    phone.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    cite.tap()
    expect(sheet).to_be_visible()
    phone.touchscreen.tap(195, 20)
    expect(sheet).to_be_hidden()
    cite.tap()
    for _ in range(3):  # a modal sheet keeps the keyboard inside it
        phone.keyboard.press("Tab")
        assert sheet.evaluate("s => s.contains(document.activeElement)")
    sheet.get_by_role("button", name="Close").tap()
    expect(sheet).to_be_hidden()
    assert cite.evaluate("c => document.activeElement === c")

    # "Show in article" closes the sheet and brings the highlighted span into view.
    cite.tap()
    sheet.get_by_role("link", name="Show in article").tap()
    expect(sheet).to_be_hidden()
    active = phone.locator("#aa-article mark.aa-active")
    expect(active.first).to_be_in_viewport()
    assert " ".join(active.all_inner_texts()) == quote


def test_on_a_phone_targets_are_touch_sized_and_the_article_flows_in_the_page(phone: Page, url):
    open_chat(phone, url)
    ask(phone, "Who wrote this article?")
    sizes = phone.evaluate(
        """selector => [...document.querySelectorAll(selector)].filter(e => e.offsetParent !== null)
          .map(e => { const r = e.getBoundingClientRect(), name = e.getAttribute('aria-label');
            return [name || e.innerText.trim(), Math.round(r.width), Math.round(r.height)]; })""",
        TARGETS,
    )
    assert len(sizes) >= 8
    small = [s for s in sizes if s[1] < TOUCH or s[2] < TOUCH]
    assert not small, f"touch targets under {TOUCH}×{TOUCH} px: {small}"
    inline = phone.locator(".aa-text a.aa-cite").first.bounding_box()
    assert inline and inline["width"] >= TOUCH and inline["height"] >= TOUCH, f"[n] in the text: {inline}"

    # No scroll box of its own: the article is as tall as its text, below the chat, in the page.
    overflow, scroll_height, client_height = phone.locator("#aa-article").evaluate(
        "a => [getComputedStyle(a).overflowY, a.scrollHeight, a.clientHeight]"
    )
    assert overflow == "visible" and scroll_height <= client_height + 1
    chat_bottom = phone.locator("#aa-chat-column").bounding_box()
    panel = phone.locator("#aa-article-panel").bounding_box()
    assert panel["y"] >= chat_bottom["y"] + chat_bottom["height"] - 1
    # An answer arriving leaves the page where the reader is (the article does not pull it away).
    assert phone.evaluate("scrollY") < panel["y"]
    shot(phone, "page-phone-answer")
