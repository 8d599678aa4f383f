"""Portal embedding rules over real HTTP: API keys, CORS and frame-ancestors limited to allowed origins."""

from __future__ import annotations

import httpx
import openai
import pytest

from assistant.settings import Settings
from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server]

PORTAL = "https://portal.example.com"
STRANGER = "https://evil.example.net"
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    settings = assistant.settings.model_copy(update={"allowed_origins": [PORTAL], "api_keys": [KEY, "other"]})
    return serve(create_app(assistant, settings))


@pytest.fixture(scope="module")
def open_url(assistant, serve) -> str:
    return serve(create_app(assistant, with_ui=False))


def _ask(base_url: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{base_url}/api/ask", json={"question": "Who wrote this article?"}, headers=headers)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing API key: send the header 'Authorization: Bearer <key>'"),
        ({"Authorization": "Bearer wrong"}, "invalid API key"),
        ({"Authorization": "Basic czNjcmV0"}, "missing API key"),
    ],
)
def test_api_keys_guard_api_and_v1_with_401(base_url, headers, message):
    for response in (_ask(base_url, **headers), httpx.get(f"{base_url}/v1/models", headers=headers)):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert message in response.json()["detail"]


def test_valid_api_key_is_accepted(base_url):
    assert _ask(base_url, Authorization=f"Bearer {KEY}").status_code == 200
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=KEY, max_retries=0)
    assert client.models.list().data[0].id == "article-assistant"
    with pytest.raises(openai.AuthenticationError, match="invalid API key"):
        openai.OpenAI(base_url=f"{base_url}/v1", api_key="nope", max_retries=0).models.list()


def test_ui_health_and_embed_need_no_key(base_url):
    for path in ("/", "/healthz", "/embed", "/gradio.js"):
        assert httpx.get(f"{base_url}{path}").status_code == 200, path


def test_without_keys_the_api_is_open(open_url):
    assert _ask(open_url).status_code == 200


def test_cors_answers_only_allowed_origins(base_url):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = httpx.options(f"{base_url}/v1/chat/completions", headers={"Origin": PORTAL, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    refused = httpx.options(f"{base_url}/v1/chat/completions", headers={"Origin": STRANGER, **preflight})
    assert refused.status_code == 400
    for path in ("/api/ask", "/gradio_api/info", "/config", "/"):
        response = httpx.get(f"{base_url}{path}", headers={"Origin": STRANGER})
        assert "access-control-allow-origin" not in response.headers, path
        assert STRANGER not in str(response.headers), path
    simple = httpx.get(f"{base_url}/config", headers={"Origin": PORTAL})
    assert simple.headers["access-control-allow-origin"] == PORTAL


def test_frame_ancestors_permit_only_allowed_portals(base_url, open_url):
    for path in ("/", "/embed", "/healthz"):
        assert httpx.get(f"{base_url}{path}").headers["content-security-policy"] == (
            f"frame-ancestors 'self' {PORTAL}"
        )
    assert httpx.get(f"{open_url}/healthz").headers["content-security-policy"] == "frame-ancestors 'self'"


def test_embed_page_shows_both_snippets_with_local_assets(base_url):
    import gradio

    page = httpx.get(f"{base_url}/embed").text
    assert f"&lt;iframe src=&quot;{base_url}/&quot;" in page
    assert f"&lt;script type=&quot;module&quot; src=&quot;{base_url}/gradio.js&quot;&gt;" in page
    assert f"&lt;gradio-app src=&quot;{base_url}/&quot;&gt;" in page
    assert f"Gradio {gradio.__version__}" in page and PORTAL in page
    script = httpx.get(f"{base_url}/gradio.js")
    assert script.headers["content-type"].startswith("text/javascript")
    asset = script.text.split('"')[1]
    assert asset.startswith("./assets/") and httpx.get(f"{base_url}/{asset[2:]}").status_code == 200


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("*", "'*' is not an origin"),
        ("https://a.example/path", "not an origin"),
        ("ftp://x", "not an origin"),
    ],
)
def test_bad_allowed_origins_are_named(monkeypatch, value, problem):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", value)
    with pytest.raises(ValueError, match=problem):
        Settings()


def test_origins_and_keys_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ASSISTANT_ALLOWED_ORIGINS", "https://a.example, http://b.example:8000/")
    monkeypatch.setenv("ASSISTANT_API_KEYS", "key-one-0123456789,key-two-0123456789")
    settings = Settings()
    assert settings.allowed_origins == ["https://a.example", "http://b.example:8000"]
    assert settings.api_keys == ["key-one-0123456789", "key-two-0123456789"]
    assert "key-one" not in repr(settings)
