"""/embed over real HTTP: a loopback host gets a visible warning to set the public host name; a public
host, or ASSISTANT_PUBLIC_URL, gets none; the iframe snippet suggests the height that fits the chat."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from assistant.web.app import create_app
from assistant.web.portal import IFRAME_HEIGHT, is_loopback_host

pytestmark = [pytest.mark.integration, pytest.mark.server]
PUBLIC = "https://assistant.example.com"


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    return serve(create_app(assistant, with_ui=False))


@pytest.fixture(scope="module")
def public_url(assistant, serve) -> str:
    """The same app told its public address, still reached over loopback here."""
    settings = assistant.settings.model_copy(update={"public_url": PUBLIC})
    return serve(create_app(assistant, settings, with_ui=False))


@pytest.mark.parametrize("host", [None, "localhost:8080", "127.0.0.2", "[::1]:8080", "app.localhost"])
def test_loopback_host_gets_a_warning_naming_it_and_the_setting(base_url, host):
    headers = {"Host": host} if host else {}
    page = httpx.get(f"{base_url}/embed", headers=headers, timeout=30).text
    assert 'id="loopback-warning"' in page
    warning = page.split('id="loopback-warning"', 1)[1].split("</p>", 1)[0]
    shown = host or base_url.removeprefix("http://")
    assert shown in warning and "ASSISTANT_PUBLIC_URL" in warning and "public host name" in warning


def test_public_host_gets_no_warning(base_url):
    page = httpx.get(f"{base_url}/embed", headers={"Host": "intranet.example.com"}, timeout=30).text
    assert "loopback-warning" not in page and "http://intranet.example.com/" in page


def test_public_url_setting_gets_no_warning_even_on_loopback(public_url):
    page = httpx.get(f"{public_url}/embed", timeout=30).text
    assert "loopback-warning" not in page and f"{PUBLIC}/gradio.js" in page


def test_warning_escapes_the_host(base_url):
    page = httpx.get(f"{base_url}/embed", headers={"Host": "localhost:1<b>"}, timeout=30).text
    assert "<b>" not in page


def test_iframe_snippet_suggests_the_measured_height(base_url):
    page = unescape(httpx.get(f"{base_url}/embed", timeout=30).text)
    assert f'height="{IFRAME_HEIGHT}"' in page


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("assistant.example.com", False),
        ("localhost.example.com", False),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("", False),
        (None, False),
    ],
)
def test_which_hosts_are_loopback(host, loopback):
    assert is_loopback_host(host) is loopback
