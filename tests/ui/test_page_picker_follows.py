"""The article picker follows the library while the server runs, in Debian's chromium against the real
app (real MiniLM embeddings, real Chroma on disk): a server started with one article shows no picker; an
article added meanwhile is offered once the page is reloaded, answers come from it when chosen, and the
picker goes again when the article is removed. The page stays axe-clean either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.library import Library
from assistant.library.shelf import Shelf
from assistant.web.app import create_app
from tests.library.shared import library_beside
from tests.ui.pages import DESKTOP, TIMEOUT, ask, bots, only_loopback, open_chat
from tests.ui.test_accessibility import blocking_violations

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

LIGHTHOUSE = Path(__file__).resolve().parents[1] / "ingest" / "articles" / "lighthouse.txt"


@pytest.fixture(scope="module")
def library(assistant, tmp_path_factory) -> Library:
    return library_beside(assistant, tmp_path_factory.mktemp("picker-follows"))


@pytest.fixture(scope="module")
def url(assistant, library, serve) -> str:
    return serve(create_app(assistant, assistant.settings, shelf=Shelf(assistant, library)))


def test_the_picker_appears_when_an_article_is_added_and_goes_when_it_is_removed(
    page: Page, url: str, library: Library
) -> None:
    page.set_viewport_size(DESKTOP)
    with only_loopback(page):
        open_chat(page, url)
        header, panel = page.locator(".aa-header h1"), page.locator("#aa-article")
        default_title = header.inner_text()
        picker = page.get_by_label("Article", exact=True)
        expect(picker).to_have_count(0)  # one article: no picker to see, or to reach by keyboard
        assert blocking_violations(page) == ""

        library.add(LIGHTHOUSE)  # as `assistant add` does while the server runs
        page.reload()
        expect(picker).to_be_visible(timeout=TIMEOUT)
        expect(picker).to_be_enabled(timeout=TIMEOUT)  # set by the page's load event
        picker.focus()  # the list opens with every article, the default first
        picker.press("ArrowDown")
        options = page.locator("#aa-picker [role=option]")
        expect(options).to_have_count(2)
        expect(options.first).to_contain_text(default_title)
        page.get_by_role("option", name="Harbourtown Lighthouse").click()
        expect(header).to_have_text("Harbourtown Lighthouse", timeout=TIMEOUT)
        expect(bots(page).first.locator(".aa-overview")).to_have_count(1, timeout=TIMEOUT)

        answer = ask(page, "When was the lighthouse automated?")
        expect(answer.locator(".aa-text")).to_contain_text("1972")
        key = answer.locator(".aa-text a.aa-cite").first.get_attribute("href").removeprefix("#aa-span-")
        expect(panel.locator(f'mark.aa-current[data-aa-spans~="{key}"]').first).to_be_visible()
        assert blocking_violations(page) == ""

        library.remove("lighthouse")
        page.reload()  # the tab's article is gone: back on the default one, told why, and no picker
        expect(header).to_have_text(default_title, timeout=TIMEOUT)
        expect(bots(page).last).to_contain_text("no longer available", timeout=TIMEOUT)
        expect(picker).to_have_count(0)
