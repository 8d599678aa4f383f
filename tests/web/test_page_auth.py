"""ASSISTANT_PAGE_AUTH=keys: the chat page and every Gradio route behind the API keys, over real HTTP and in
Chromium (assistant/web/page_auth.py).

The report: with ASSISTANT_API_KEYS set, the page answered without a key, and its load event returned
every library article's title and full text."""

from __future__ import annotations

import base64

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import BrowserType, expect

from assistant import Settings
from assistant.web.app import create_app
from assistant.web.page_auth import presented_key

KEY = "k3y-for-the-page-auth-tests"
BASIC = ("any reader", KEY)
CHALLENGE = 'Basic realm="article-assistant", charset="UTF-8"'
# The page, its assets and configuration, every Gradio route (open or closed), /embed and its script.
PAGE_ROUTES = [
    ("GET", "/"),
    ("GET", "/config"),
    ("GET", "/theme.css"),
    ("GET", "/assets/index.js"),
    ("GET", "/gradio_api/info"),
    ("GET", "/gradio_api/heartbeat/h1"),
    ("GET", "/gradio_api/queue/data"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/call/chat"),
    ("POST", "/gradio_api/upload"),
    ("GET", "/embed"),
    ("GET", "/gradio.js"),
    ("GET", "/no-such-page"),
]


@pytest.fixture(scope="module")
def url(assistant, serve) -> str:
    settings = assistant.settings.model_copy(update={"api_keys": [KEY], "page_auth": "keys"})
    return serve(create_app(assistant, settings), settings)


@pytest.mark.parametrize(("method", "path"), PAGE_ROUTES)
def test_every_page_route_needs_a_key(url, method, path):
    for auth in (None, ("any reader", "not-the-key-at-all-0000")):
        refused = httpx.request(method, f"{url}{path}", auth=auth, json={} if method == "POST" else None)
        assert refused.status_code == 401, (method, path, refused.status_code)
        assert refused.headers["www-authenticate"] == CHALLENGE
        assert "one of the server's API keys as the password" in refused.json()["detail"]


def test_the_page_opens_with_any_user_name_and_a_key_as_password_or_a_bearer_key(url):
    for auth, headers in ((BASIC, {}), (None, {"Authorization": f"Bearer {KEY}"})):
        page = httpx.get(f"{url}/", auth=auth, headers=headers)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert httpx.get(f"{url}/config", auth=auth, headers=headers).json()["dependencies"]


def test_the_apis_health_and_docs_keep_their_own_rules(url):
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/docs").status_code == 200 and httpx.get(f"{url}/openapi.json").status_code == 200
    question = {"question": "Who wrote the article?"}
    missing = httpx.post(f"{url}/api/ask", json=question, auth=BASIC, timeout=30)  # the API takes bearer keys
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    keyed = httpx.post(
        f"{url}/api/ask", json=question, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    assert keyed.status_code == 200


def test_gradio_client_with_the_key_answers(url):
    client = Client(
        f"{url}/", verbose=False, download_files=False, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert "[1]" in client.predict("Who wrote this article?", [], api_name="/chat")


def test_without_the_setting_the_page_stays_open(assistant, serve):
    settings = assistant.settings.model_copy(update={"api_keys": [KEY]})
    open_url = serve(create_app(assistant, settings, with_ui=True), settings)
    assert httpx.get(f"{open_url}/config").status_code == 200


def test_keys_for_the_page_need_keys_configured():
    with pytest.raises(ValueError, match="ASSISTANT_PAGE_AUTH=keys needs ASSISTANT_API_KEYS"):
        Settings(page_auth="keys")
    with pytest.raises(ValueError, match="page_auth"):
        Settings(page_auth="basic", api_keys=[KEY])


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Basic " + base64.b64encode(b"reader:" + KEY.encode()).decode(), KEY),
        ("basic " + base64.b64encode(b":" + KEY.encode()).decode(), KEY),  # no user name
        (f"Bearer {KEY}", KEY),
        ("Basic " + base64.b64encode(KEY.encode()).decode(), None),  # no colon: no password
        ("Basic not*base64", None),
        ("Digest x", None),
        (None, None),
    ],
)
def test_presented_key_reads_basic_and_bearer(header, key):
    assert presented_key(header) == key


@pytest.mark.browser
def test_a_browser_signs_in_and_answers(url, browser_type: BrowserType, browser_type_launch_args):
    """What a browser can use: its own sign-in prompt (basic auth), sent on every request of the page."""
    browser = browser_type.launch(**browser_type_launch_args)
    try:
        assert browser.new_context().request.get(f"{url}/").status == 401  # no sign-in: nothing
        page = browser.new_context(http_credentials={"username": "reader", "password": KEY}).new_page()
        page.goto(f"{url}/", timeout=30_000)
        box = page.locator("#aa-question textarea")
        box.fill("Who wrote this article?")
        box.press("Enter")
        answer = page.locator(".aa-answer").last
        expect(answer.locator(".aa-sources")).to_contain_text("Patrick Henningsen", timeout=30_000)
    finally:
        browser.close()
