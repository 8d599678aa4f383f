"""/docs and /redoc work offline: their scripts, styles and icon come from this server (fastapi-offline's
files), the pages declare their language, and nothing else is served from the assets path."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from assistant.web.app import create_app
from assistant.web.docs import ASSETS, ASSETS_URL, asset_bytes, assets_dir

pytestmark = [pytest.mark.integration, pytest.mark.server]


@pytest.fixture(scope="module")
def base_url(assistant, serve) -> str:
    return serve(create_app(assistant))


@pytest.fixture()
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_name_only_this_servers_assets_and_their_language(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in response.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert urls and all(url.startswith(ASSETS_URL + "/") for url in urls), urls
    assert "http://" not in response.text and "https://" not in response.text
    assert "fonts.googleapis.com" not in response.text and "cdn.jsdelivr.net" not in response.text


def test_swagger_ui_asks_no_outside_validator_and_nests_no_link_in_a_button(client):
    page = client.get("/docs").text
    assert '"validatorUrl": null' in page and '"deepLinking": false' in page


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_carry_the_contrast_fixes_inline(client, path):
    assert ".redoc-wrap code" in client.get(path).text  # docs.css, with no extra request


@pytest.mark.parametrize(("name", "media_type"), sorted(ASSETS.items()))
def test_every_asset_is_served_with_its_content_type(client, name, media_type):
    response = client.get(f"{ASSETS_URL}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.content == asset_bytes(name)
    assert len(response.content) >= len((assets_dir() / name).read_bytes()) - 100  # the package's file


def test_redoc_script_no_longer_fetches_its_makers_logo(client):
    script = client.get(f"{ASSETS_URL}/redoc.standalone.js").content
    assert b"cdn.redoc.ly" not in script and b"API docs by Redocly" in script


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS_URL}/oauth2-redirect.html",
        f"{ASSETS_URL}/__init__.py",
        f"{ASSETS_URL}/../core.py",
        f"{ASSETS_URL}/..%2fcore.py",
        f"{ASSETS_URL}/%2e%2e%2f%2e%2e%2fconsts.py",
        f"{ASSETS_URL}/static/favicon.png",
        f"{ASSETS_URL}/",
        f"{ASSETS_URL}/..%2f..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_unknown_assets_and_traversal_get_404(client, path):
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "root:" not in response.text and "import" not in response.text


def test_docs_assets_refuse_writes(client):
    assert client.post(f"{ASSETS_URL}/favicon.png", content=b"x").status_code in {404, 405}


def test_openapi_still_lists_the_api_without_the_docs_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/ask" in paths and "/api/feedback" in paths
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)
