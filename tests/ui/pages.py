"""What the chat page's browser tests share: viewports, waiting for a complete answer, screenshots, and
the check that the page requests nothing outside loopback and nothing the route guard refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost"}
TIMEOUT = 30_000
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
# On topic, but a detail the article does not give: declined, with the closest passages shown.
CLOSE_BUT_NOT_SAID = "How many tomahawks did the US fire at the Syrian airbase in April?"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def bots(page: Page) -> Locator:
    return page.get_by_test_id("bot")


def open_chat(page: Page, url: str) -> None:
    """Opens the page and waits for the overview (the first assistant message) to be complete, and for
    the answers a reloaded tab replays (its saved questions) after it: a question asked before they are
    in would be counted among them."""
    page.goto(url + "/")
    expect(bots(page).first.locator(".aa-overview .aa-copy")).to_have_count(1, timeout=TIMEOUT)
    if replayed := len(saved_questions(page) or []):
        complete(page, 1 + replayed)


def complete(page: Page, count: int) -> Locator:
    """Waits for ``count`` assistant messages, the last one complete (its copy text is rendered only
    then) and kept by the tab (the page stores its questions once an answer is in); returns it."""
    expect(bots(page)).to_have_count(count, timeout=TIMEOUT)
    last = bots(page).last
    expect(last.locator(".aa-copy, .aa-error")).to_have_count(1, timeout=TIMEOUT)
    return last


def ask(page: Page, question: str) -> Locator:
    """Asks and waits for the complete answer; returns its message."""
    before = bots(page).count()
    box = page.get_by_test_id("textbox")
    box.fill(question)
    box.press("Enter")
    return complete(page, before + 1)


def saved_questions(page: Page) -> list[str] | None:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('article-assistant:questions') || 'null')")


@contextmanager
def only_loopback(page: Page) -> Iterator[list[str]]:
    """Every URL the page (and its frames) requested: none outside loopback, none refused (the Gradio
    route guard must open everything the page uses)."""
    seen: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield seen
    assert not refused, f"the route guard refused something the page needs: {refused}"
    outside = [u for u in seen if urlsplit(u).scheme in {"http", "https", "ws", "wss"}]
    outside = [u for u in outside if urlsplit(u).hostname not in LOOPBACK]
    assert not outside, f"requests left loopback: {outside}"
