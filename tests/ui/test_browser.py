"""The chat page in Debian's chromium through Playwright, against the real app on a loopback server.

Covers what a reader does (ask, watch the answer stream in, open a citation, follow up, get declined,
use the keyboard, copy/clear), embedding from another local origin (iframe and web component, neither
stealing the host page's focus or scroll), and that the page never requests anything outside loopback.
The page's newer parts are in test_page_desktop.py, test_page_phone.py and test_page_feedback.py.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Page, expect

from assistant.web.app import create_app
from tests.conftest import free_port
from tests.ui.pages import only_loopback, open_chat

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 30_000


def portal_app(app_url: str) -> FastAPI:
    """A stand-in intranet portal on another origin that embeds the chat both ways."""
    portal = FastAPI()

    @portal.get("/iframe", response_class=HTMLResponse)
    def iframe() -> str:
        return f'<h1>Portal</h1><iframe id="chat" src="{app_url}/" width="1200" height="800"></iframe>'

    @portal.get("/component", response_class=HTMLResponse)
    def component() -> str:
        return (
            f'<h1>Portal</h1><script type="module" src="{app_url}/gradio.js"></script>'
            f'<gradio-app src="{app_url}/"></gradio-app>'
        )

    return portal


@pytest.fixture(scope="module")
def urls(assistant, serve) -> dict[str, str]:
    portal_port = free_port()
    allowed = f"http://127.0.0.1:{portal_port}"
    settings = assistant.settings.model_copy(update={"allowed_origins": [allowed]})
    app_url = serve(create_app(assistant, settings))
    serve(portal_app(app_url), port=portal_port)
    return {"app": app_url, "portal": allowed, "stranger": f"http://localhost:{portal_port}"}


@pytest.fixture()
def requests_seen(page: Page) -> list[str]:
    """Every URL the page (and its frames) requested; checked against loopback at the end of a test,
    and none of them refused (the Gradio route guard must open everything the page uses)."""
    with only_loopback(page) as seen:
        yield seen


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("textbox")
    box.fill(question)
    box.press("Enter")


def last_answer(page: Page):
    return page.get_by_test_id("bot").last


# On topic, but a detail the article does not give: declined, with the closest passages shown.
CLOSE_BUT_NOT_SAID = "How many tomahawks did the US fire at the Syrian airbase in April?"


def test_ask_stream_cite_follow_up_and_decline(page: Page, urls, requests_seen):
    open_chat(page, urls["app"])  # the overview first: a question asked before it would race it
    expect(page.locator(".aa-header h1")).to_contain_text("Dangerous Development")
    expect(page.locator(".aa-header .aa-meta")).to_contain_text("Patrick Henningsen")
    expect(page.locator(".aa-note")).to_contain_text("Answers come only from this article")

    # Record every length the answer passes through, to see it stream in rather than appear at once.
    page.evaluate(
        """() => { window.aaLengths = [];
        new MutationObserver(() => { const bots = document.querySelectorAll('[data-testid="bot"]');
          if (bots.length) window.aaLengths.push(bots[bots.length - 1].innerText.length); })
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    ask(page, "What did the Russian Defense Ministry announce?")
    expect(page.get_by_test_id("bot")).to_have_count(2, timeout=TIMEOUT)  # after the overview
    answer = last_answer(page)
    expect(answer.locator(".aa-sources")).to_contain_text("Sources:", timeout=TIMEOUT)
    expect(answer.locator(".aa-text")).to_contain_text("[1]")
    assert len(set(page.evaluate("window.aaLengths"))) >= 3, "the answer did not stream in"
    source = answer.locator(".aa-sources li").first
    quoted = source.locator(".aa-quote").text_content()
    expect(source.locator(".aa-where")).not_to_be_empty()

    # Clicking [1] in the answer text highlights that very span in the article view.
    answer.locator(".aa-text a.aa-cite", has_text="[1]").click()
    active = page.locator("#aa-article mark.aa-active")
    expect(active.first).to_be_visible()
    expect(active.first).to_be_in_viewport()
    assert " ".join(active.all_inner_texts()) == quoted
    shot(page, "chat-answer-highlighted")

    # A follow-up leans on the conversation.
    ask(page, "Why did it do that?")
    expect(page.get_by_test_id("bot")).to_have_count(3, timeout=TIMEOUT)
    expect(last_answer(page).locator(".aa-sources")).to_contain_text(
        "overt act of aggression", timeout=TIMEOUT
    )
    expect(last_answer(page).locator(".aa-declined")).to_have_count(0)

    # Keyboard only: focus the follow-up's last marker (the reason it cites) and press Enter.
    last_answer(page).locator(".aa-text a.aa-cite").last.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#aa-article mark.aa-active").first).to_contain_text("overt act of aggression")

    ask(page, CLOSE_BUT_NOT_SAID)
    expect(page.get_by_test_id("bot")).to_have_count(4, timeout=TIMEOUT)
    declined = last_answer(page).locator(".aa-declined")
    expect(declined).to_contain_text("The article does not say", timeout=TIMEOUT)
    expect(declined.locator(".aa-sources-title")).to_have_text("Closest passages:")
    assert declined.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    # "Not stated": a visible badge above the quotes, so nobody takes them for the answer.
    badge = declined.locator(".aa-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("Not stated in the article")
    assert badge.bounding_box()["y"] < declined.locator(".aa-text").bounding_box()["y"]
    shot(page, "chat-declined")


def test_copy_is_plain_text_and_clear_goes_back_to_the_overview(page: Page, urls, requests_seen):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=urls["app"])
    page.goto(urls["app"] + "/")
    expect(page.get_by_test_id("bot")).to_have_count(1, timeout=TIMEOUT)
    ask(page, "Who wrote this article?")
    expect(page.get_by_test_id("bot")).to_have_count(2, timeout=TIMEOUT)
    expect(last_answer(page).locator(".aa-sources")).to_be_visible(timeout=TIMEOUT)
    # A deterministic answerer would only give the same answer again: no Retry.
    expect(page.get_by_role("button", name=re.compile("^retry$", re.I))).to_have_count(0)

    last_answer(page).hover()
    page.get_by_role("button", name=re.compile("^copy( message)?$", re.I)).last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Patrick Henningsen" in copied and "[1]" in copied and "<" not in copied

    page.get_by_role("button", name=re.compile("^clear", re.I)).click()
    expect(page.get_by_test_id("user")).to_have_count(0)
    expect(page.get_by_test_id("bot")).to_have_count(1)
    expect(page.get_by_test_id("bot").first.locator(".aa-overview")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#aa-chat button.option").first).to_be_visible()


def test_a_starter_question_answers_on_click(page: Page, urls, requests_seen):
    page.goto(urls["app"] + "/")
    page.locator("#aa-chat button.option", has_text="Who wrote this article?").click()
    expect(page.get_by_test_id("bot")).to_have_count(2, timeout=TIMEOUT)
    expect(last_answer(page).locator(".aa-sources")).to_contain_text("Patrick Henningsen", timeout=TIMEOUT)


def test_embedded_in_an_iframe_from_an_allowed_origin(page: Page, urls, requests_seen):
    page.goto(urls["portal"] + "/iframe")
    chat = page.frame_locator("#chat")
    box = chat.get_by_test_id("textbox")
    box.fill("Who wrote this article?")
    box.press("Enter")
    expect(chat.get_by_test_id("bot").last).to_contain_text("Patrick Henningsen", timeout=TIMEOUT)
    shot(page, "embed-iframe")


def test_embedded_as_web_component_from_an_allowed_origin(page: Page, urls, requests_seen):
    page.goto(urls["portal"] + "/component")
    expect(page.get_by_test_id("bot").first.locator(".aa-overview")).to_have_count(1, timeout=TIMEOUT)
    # The component takes neither the portal's focus nor its scroll position (no autofocus).
    assert page.evaluate("scrollY") == 0
    assert page.evaluate("document.activeElement === document.body")
    ask(page, "Who wrote this article?")
    expect(last_answer(page)).to_contain_text("Patrick Henningsen", timeout=TIMEOUT)
    assert all(u.startswith((urls["app"], urls["portal"])) for u in requests_seen if u.startswith("http"))
    shot(page, "embed-web-component")


def test_framing_by_another_origin_is_refused(page: Page, urls, requests_seen):
    refusals: list[str] = []
    page.on(
        "console",
        lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None,
    )
    page.goto(urls["stranger"] + "/iframe")
    page.wait_for_timeout(1500)
    assert any("has been blocked" in text for text in refusals), refusals
    expect(page.frame_locator("#chat").get_by_test_id("textbox")).to_have_count(0)
