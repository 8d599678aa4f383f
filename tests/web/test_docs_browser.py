"""/docs and /redoc in Debian's chromium: they render the API from this server alone (no request leaves
it, none is refused) and declare their language. Screenshots land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def app_url(assistant, serve) -> str:
    return serve(create_app(assistant))


@pytest.fixture()
def requests_seen(page: Page, app_url: str) -> list[str]:
    """Every URL the page requested: all of them to this server (no CDN, no fonts, no validator), none
    refused."""
    seen: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield seen
    assert not refused, f"the docs page asked for something the server does not have: {refused}"
    ours = urlsplit(app_url).netloc
    web = [u for u in seen if urlsplit(u).scheme in {"http", "https", "ws", "wss"}]
    outside = [u for u in web if urlsplit(u).netloc != ours]
    assert not outside, f"requests left the server: {outside}"
    assert any("/docs-assets/" in u for u in web), "the page loaded no local assets"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_swagger_ui_shows_the_ask_operation_offline(page: Page, app_url, requests_seen):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{app_url}/docs")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("article-assistant", timeout=TIMEOUT)
    expect(page.locator('.opblock-summary-path[data-path="/api/ask"]')).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('.opblock-summary-path[data-path="/api/feedback"]')).to_be_visible()
    shot(page, "docs-swagger")


def test_redoc_shows_the_api_title_offline(page: Page, app_url, requests_seen):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{app_url}/redoc")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1").first).to_contain_text("article-assistant", timeout=TIMEOUT)
    expect(page.get_by_text("/api/ask").first).to_be_attached(timeout=TIMEOUT)
    shot(page, "docs-redoc")
