"""The article picker, in Debian's chromium against the real app with a library of two articles beside
the seed article (real MiniLM embeddings, real Chroma on disk): choosing an article changes the header
and the side panel, questions are answered from it and their citations highlight in it, a reload keeps
the choice, and the page stays axe-clean with the picker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.library.shelf import Shelf
from assistant.web.app import create_app
from tests.library.shared import library_beside
from tests.ui.pages import DESKTOP, PHONE, ask, bots, only_loopback, open_chat, shot
from tests.ui.test_accessibility import blocking_violations

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ARTICLES = Path(__file__).resolve().parents[1] / "ingest" / "articles"


@pytest.fixture(scope="module")
def url(assistant, serve, tmp_path_factory) -> str:
    library = library_beside(assistant, tmp_path_factory.mktemp("picker"), ARTICLES / "lighthouse.txt")
    return serve(create_app(assistant, assistant.settings, shelf=Shelf(assistant, library)))


def test_picking_an_article_moves_the_header_panel_and_answers_to_it(page: Page, url: str) -> None:
    page.set_viewport_size(DESKTOP)
    with only_loopback(page):
        open_chat(page, url)
        header, panel = page.locator(".aa-header h1"), page.locator("#aa-article")
        default_title = header.inner_text()
        picker = page.get_by_label("Article", exact=True)
        expect(picker).to_be_visible()
        expect(picker).to_be_enabled()  # the page's load event has set it (earlier it is disabled)

        # By keyboard: typing filters the list and highlights the first match, Enter chooses it. (Arrows
        # alone are not used here: Gradio's dropdown may filter by the shown title when Enter is pressed
        # and choose the article already shown, depending on when its input got that title.)
        picker.focus()
        picker.press("ControlOrMeta+a")
        picker.press_sequentially("Harbour")
        second = page.get_by_role("option", name="Harbourtown Lighthouse")
        expect(page.locator("#aa-picker [role=option]")).to_have_count(1)
        expect(second).to_have_class(re.compile(r"\bactive\b"))
        picker.press("Enter")
        expect(header).to_have_text("Harbourtown Lighthouse", timeout=30_000)
        expect(panel).to_contain_text("lighthouse")
        expect(panel).not_to_contain_text(default_title)
        expect(bots(page)).to_have_count(1)  # a new conversation: this article's overview
        expect(bots(page).first.locator(".aa-overview")).to_have_count(1, timeout=30_000)

        answer = ask(page, "When was the lighthouse automated?")
        expect(answer.locator(".aa-text")).to_contain_text("1972")
        cite = answer.locator(".aa-text a.aa-cite").first
        key = cite.get_attribute("href").removeprefix("#aa-span-")
        mark = panel.locator(f'mark.aa-current[data-aa-spans~="{key}"]')
        expect(mark.first).to_be_visible()
        cite.click()
        expect(panel.locator(f'mark.aa-active[data-aa-spans~="{key}"]').first).to_be_visible()
        shot(page, "page-desktop-article-picker")
        assert blocking_violations(page) == ""

        page.reload()  # the tab keeps its article and its questions
        expect(header).to_have_text("Harbourtown Lighthouse", timeout=30_000)
        expect(bots(page)).to_have_count(2, timeout=30_000)

        page.set_viewport_size(PHONE)  # a touch-sized picker on a phone
        box = picker.bounding_box()
        assert box and box["height"] >= 44
        assert blocking_violations(page) == ""
