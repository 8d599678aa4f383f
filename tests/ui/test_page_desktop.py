"""The reader's chat page at 1440×900 in Debian's chromium: the overview it opens on, suggested
questions, citations that follow the answer (auto-scroll, preview card, current vs earlier highlights,
a compact source list), copy and export as Markdown, and a conversation that survives a reload in its
own tab only. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.web.app import create_app
from tests.ui.pages import (
    DESKTOP,
    TIMEOUT,
    ask,
    bots,
    complete,
    only_loopback,
    open_chat,
    saved_questions,
    shot,
)

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ANSWERED = "What did the Russian Defense Ministry announce?"
FOLLOW_UP = "Why did it do that?"
OPTIONS = "#aa-chat button.option"


@pytest.fixture(scope="module")
def url(assistant, serve, tmp_path_factory) -> str:
    feedback_db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    return serve(create_app(assistant, assistant.settings.model_copy(update={"feedback_db": feedback_db})))


@pytest.fixture()
def desktop(page: Page) -> Page:
    page.set_viewport_size(DESKTOP)
    with only_loopback(page):
        yield page


def first_citation_key(message) -> str:
    return message.locator(".aa-text a.aa-cite").first.get_attribute("href").removeprefix("#aa-span-")


def test_the_page_opens_at_the_top_on_the_cited_overview_with_starter_questions(desktop: Page, url):
    open_chat(desktop, url)
    overview = bots(desktop).first
    expect(overview.locator(".aa-overview .aa-text a.aa-cite").first).to_be_visible()
    expect(overview.locator(".aa-sources li").first).to_contain_text(" · ")
    starters = desktop.locator(OPTIONS)
    expect(starters.first).to_be_visible()
    assert 2 <= starters.count() <= 4
    assert "Tehran Attack: Who Did It?" not in starters.all_inner_texts(), "a heading is not a question"
    expect(desktop.locator("#aa-article mark.aa-current").first).to_be_attached()
    assert desktop.evaluate("scrollY") == 0
    assert desktop.evaluate("document.activeElement.tagName") != "TEXTAREA", "no autofocus"
    expect(desktop.get_by_text("Use via API")).to_have_count(0)
    expect(desktop.get_by_role("button", name=re.compile("^retry$", re.I))).to_have_count(0)
    assert saved_questions(desktop) is None
    shot(desktop, "page-desktop-open")


def test_a_suggested_question_is_asked_and_followed_by_new_suggestions(desktop: Page, url):
    open_chat(desktop, url)
    starter = desktop.locator(OPTIONS).first
    question = starter.inner_text()
    starter.click()
    answer = complete(desktop, 2)
    expect(desktop.get_by_test_id("user").last).to_have_text(question)
    expect(answer.locator(".aa-declined")).to_have_count(0)
    follow_ups = desktop.locator(OPTIONS)
    expect(follow_ups.first).to_be_visible(timeout=TIMEOUT)
    assert 2 <= follow_ups.count() <= 3, "suggestions only under the last answer"
    assert question not in follow_ups.all_inner_texts()
    follow_up = follow_ups.first.inner_text()
    follow_ups.first.click()
    complete(desktop, 3)
    expect(desktop.get_by_test_id("user").last).to_have_text(follow_up)
    assert saved_questions(desktop) == [question, follow_up]


def test_citations_follow_the_answer_preview_on_hover_and_stand_out_as_current(desktop: Page, url):
    open_chat(desktop, url)
    first = ask(desktop, ANSWERED)
    # The article panel scrolled by itself to the new answer's first citation (the page did not).
    key = first_citation_key(first)
    desktop.wait_for_function(
        """key => { const view = document.getElementById('aa-article');
          const mark = [...view.querySelectorAll('mark[data-aa-spans]')]
            .find(m => m.dataset.aaSpans.split(' ').includes(key));
          const v = view.getBoundingClientRect(), m = mark.getBoundingClientRect();
          return view.scrollTop > 0 && m.top >= v.top && m.bottom <= v.bottom; }""",
        arg=key,
        timeout=TIMEOUT,
    )
    assert desktop.evaluate("scrollY") == 0

    # The source list is compact: [n] · speaker · section, not the quote again.
    sources = first.locator(".aa-sources")
    quote = sources.locator("li").first.locator(".aa-quote").text_content()
    assert quote and quote not in sources.inner_text() and " · " in sources.inner_text()

    # Hovering [1] shows the quote, its speaker and section in a card; leaving it hides the card.
    cite = first.locator(".aa-text a.aa-cite").first
    cite.hover()
    card = desktop.locator("#aa-card")
    expect(card).to_be_visible()
    expect(card.locator(".aa-card-quote")).to_have_text(quote)
    expect(card.locator(".aa-card-where")).to_have_text(sources.locator("li .aa-where").first.inner_text())
    shot(desktop, "page-desktop-preview-card")
    desktop.mouse.move(5, 5)
    expect(card).to_be_hidden()
    # Focusing a [n] with the keyboard shows its card too, and describes the link by it.
    last_cite = first.locator(".aa-text a.aa-cite").last
    last_cite.focus()
    expect(card).to_be_visible()
    expect(last_cite).to_have_attribute("aria-describedby", "aa-card")
    desktop.keyboard.press("Escape")
    expect(card).to_be_hidden()

    # After a second answer, the first one's spans are underlined thinly, the new ones set on a strong
    # background: two different looks, not two tints of one.
    second = ask(desktop, "Who wrote this article?")
    current = desktop.locator("#aa-article mark.aa-current").first
    earlier = desktop.locator("#aa-article mark.aa-earlier:not(.aa-current)").first
    expect(earlier).to_be_attached()
    style = "m => [getComputedStyle(m).backgroundColor, getComputedStyle(m).textDecorationLine]"
    current_bg, current_line = current.evaluate(style)
    earlier_bg, earlier_line = earlier.evaluate(style)
    assert earlier_bg == "rgba(0, 0, 0, 0)" and "underline" in earlier_line
    assert current_bg != "rgba(0, 0, 0, 0)" and "underline" not in current_line
    expect(second.locator(".aa-sources")).to_contain_text("Patrick Henningsen")
    shot(desktop, "page-desktop-current-and-earlier")


def test_copy_and_export_give_plain_markdown_with_quoted_sources(desktop: Page, url, tmp_path: Path):
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    open_chat(desktop, url)
    answer = ask(desktop, "Who wrote this article?")
    answer_text = answer.locator(".aa-text").inner_text()

    answer.hover()
    desktop.get_by_role("button", name="Copy message").last.click()
    copied = desktop.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(answer_text) and "<" not in copied
    assert re.search(r'^Sources:\n\n\[1\] ".*Patrick Henningsen.*" — \S', copied, re.M), copied

    desktop.get_by_role("button", name="Copy conversation").click()
    everything = desktop.evaluate("navigator.clipboard.readText()")
    assert "**You:**\n\nWho wrote this article?" in everything and "<div" not in everything
    assert everything.index("**Assistant:**") < everything.index("Who wrote this article?")  # overview first

    with desktop.expect_download() as download:
        desktop.get_by_role("button", name="Export").click()
    assert download.value.suggested_filename.endswith(".md")
    exported = tmp_path / "chat.md"
    download.value.save_as(exported)
    assert exported.read_text() == everything


def test_the_conversation_survives_a_reload_in_its_own_tab_only(desktop: Page, url):
    open_chat(desktop, url)
    ask(desktop, ANSWERED)
    answer = ask(desktop, FOLLOW_UP)
    said = answer.locator(".aa-text").inner_text()
    assert saved_questions(desktop) == [ANSWERED, FOLLOW_UP]

    desktop.reload()
    restored = complete(desktop, 3)
    expect(desktop.get_by_test_id("user")).to_have_text([ANSWERED, FOLLOW_UP])
    expect(restored.locator(".aa-text")).to_have_text(said)
    expect(desktop.locator(OPTIONS).first).to_be_visible()
    # It goes on from where it was: a follow-up still leans on the restored answers.
    ask(desktop, "Who said that?")
    assert saved_questions(desktop) == [ANSWERED, FOLLOW_UP, "Who said that?"]

    other_tab = desktop.context.new_page()
    other_tab.set_viewport_size(DESKTOP)
    open_chat(other_tab, url)
    expect(bots(other_tab)).to_have_count(1)
    assert saved_questions(other_tab) is None
    other_tab.close()
