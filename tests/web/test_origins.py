"""Configured origins, normalised at start-up, are the ones a served app's CSP names and CORS answers.

Configured the way an operator writes them (uppercase, default port, a non-ASCII host), through the
environment, and checked over real HTTP with the Origin a browser would send.
"""

from __future__ import annotations

import httpx
import pytest

from assistant.settings import load_settings
from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

CONFIGURED = "https://BÜCHER.example:443, HTTP://LocalHost:3000/,https://Portal.Example.com"
BROWSER_ORIGINS = ["https://xn--bcher-kva.example", "http://localhost:3000", "https://portal.example.com"]
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ASSISTANT_ALLOWED_ORIGINS", CONFIGURED)
        settings = load_settings()
    return serve(create_app(assistant, settings, with_ui=False))


def test_csp_names_the_origins_as_browsers_send_them(base_url):
    for path in ("/healthz", "/embed", "/no-such-page"):
        policy = httpx.get(f"{base_url}{path}").headers["content-security-policy"]
        assert policy == f"frame-ancestors 'self' {' '.join(BROWSER_ORIGINS)}", path


@pytest.mark.parametrize("origin", BROWSER_ORIGINS)
def test_the_origin_a_browser_sends_gets_cors(base_url, origin):
    preflight = httpx.options(f"{base_url}/api/ask", headers={"Origin": origin, **PREFLIGHT})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    simple = httpx.get(f"{base_url}/healthz", headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin", ["https://portal.example.com:443", "https://PORTAL.example.com", "https://evil.example"]
)
def test_any_other_origin_gets_no_cors(base_url, origin):
    response = httpx.get(f"{base_url}/healthz", headers={"Origin": origin})
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]
