"""/embed and its iframe snippet in Debian's chromium: the snippet, pasted as is into a portal on another
origin, shows the whole chat down to the question box at 1280x900; the page warns on loopback only.
Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Page, expect

from assistant.web.app import create_app
from assistant.web.portal import IFRAME_HEIGHT
from tests.conftest import free_port
from tests.ui.pages import only_loopback

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 30_000
DESKTOP = {"width": 1280, "height": 900}


def snippet(embed_page: str) -> str:
    """The iframe snippet exactly as /embed shows it, to be pasted into a portal page."""
    found = re.search(r'<pre id="iframe-snippet"><code>(.*?)</code></pre>', embed_page, re.S)
    assert found, "no iframe snippet on /embed"
    return unescape(found.group(1))


def portal_app(pasted: dict[str, str]) -> FastAPI:
    """A stand-in intranet portal page: a heading, some text, and the snippet from /embed."""
    portal = FastAPI()

    @portal.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (
            '<!doctype html><html lang="en"><body style="margin:0 2rem"><h1>Intranet</h1>'
            f"<p>Ask our analysts' article.</p>{pasted['iframe']}</body></html>"
        )

    return portal


@pytest.fixture(scope="module")
def urls(assistant, serve, tmp_path_factory) -> dict[str, str]:
    portal_port = free_port()
    allowed = f"http://127.0.0.1:{portal_port}"
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    settings = assistant.settings.model_copy(update={"allowed_origins": [allowed], "feedback_db": db})
    app_url = serve(create_app(assistant, settings))
    pasted = {"iframe": snippet(httpx.get(f"{app_url}/embed", timeout=30).text)}
    serve(portal_app(pasted), port=portal_port)
    public = assistant.settings.model_copy(update={"public_url": "https://assistant.example.com"})
    public_url = serve(create_app(assistant, public, with_ui=False))
    return {"app": app_url, "portal": allowed, "public": public_url, "iframe": pasted["iframe"]}


@pytest.fixture()
def requests_seen(page: Page) -> list[str]:
    """Every URL the page (and its frames) requested: none outside loopback, none refused."""
    with only_loopback(page) as seen:
        yield seen


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def bottom_in_frame(chat, selector: str, frame_top: float) -> float:
    """Where ``selector`` ends, in pixels from the top of the iframe."""
    box = chat.locator(selector).bounding_box()
    assert box, f"{selector} is not rendered"
    return box["y"] + box["height"] - frame_top


def test_pasted_iframe_shows_the_question_box_whole_at_1280x900(page: Page, urls, requests_seen):
    assert f'height="{IFRAME_HEIGHT}"' in urls["iframe"] and 'width="100%"' in urls["iframe"]
    page.set_viewport_size(DESKTOP)
    page.goto(urls["portal"] + "/")
    chat = page.frame_locator("iframe")
    expect(chat.get_by_test_id("textbox")).to_be_visible(timeout=TIMEOUT)
    outer = page.locator("iframe").bounding_box()
    top = chat.locator("#aa-question").bounding_box()
    assert outer and top
    assert outer["height"] == IFRAME_HEIGHT and outer["width"] >= 1100
    assert top["y"] >= outer["y"]
    question_ends = bottom_in_frame(chat, "#aa-question", outer["y"])
    assert question_ends <= IFRAME_HEIGHT, f"the question box ends at {question_ends:.0f} px"
    shot(page, "embed-iframe-1280x900", full_page=True)

    # Rating an answer opens a note field and a status line: they fit too, and the box stays in place.
    chat.get_by_role("button", name="Like", exact=True).first.click()
    expect(chat.locator("#aa-rating-note")).to_be_visible(timeout=TIMEOUT)
    expect(chat.locator("#aa-rating-status")).not_to_be_empty(timeout=TIMEOUT)
    ends = {
        part: bottom_in_frame(chat, part, outer["y"])
        for part in ("#aa-question", "#aa-rating-note", "#aa-rating-status")
    }
    print(f"frame {IFRAME_HEIGHT} px; ends at (px): {ends}")
    assert all(end <= IFRAME_HEIGHT for end in ends.values()), ends
    shot(page, "embed-iframe-1280x900-rated", full_page=True)


def test_embed_page_on_loopback_warns_to_set_the_public_host(page: Page, urls, requests_seen):
    page.set_viewport_size(DESKTOP)
    page.goto(urls["app"] + "/embed")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    warning = page.locator("#loopback-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("ASSISTANT_PUBLIC_URL")
    expect(warning).to_contain_text(urlsplit(urls["app"]).netloc)
    expect(page.get_by_role("heading", level=1)).to_have_text("Embed the article assistant in a portal")
    shot(page, "embed-page-loopback")


def test_embed_page_with_a_public_url_does_not_warn(page: Page, urls, requests_seen):
    page.set_viewport_size(DESKTOP)
    page.goto(urls["public"] + "/embed")
    expect(page.locator("#iframe-snippet")).to_contain_text("https://assistant.example.com/")
    expect(page.locator("#loopback-warning")).to_have_count(0)
    shot(page, "embed-page-public")
