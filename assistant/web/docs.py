"""``/docs`` (Swagger UI) and ``/redoc`` with their scripts, styles and icon served by this app.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so offline they are blank. The files come
from the pinned ``fastapi-offline`` package; only the names listed here are served.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

ASSETS_URL = "/docs-assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
STYLE = Path(__file__).resolve().parent / "docs.css"
# Swagger UI's defaults, plus no call to the public validator (validator.swagger.io) for the badge, and
# no deep-link anchor inside each operation's toggle button (a link in a button is unreachable to
# assistive technology: axe's nested-interactive).
SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": False}
# ReDoc's content-type dropdown has no label; name it once ReDoc has drawn it.
LABEL_DROPDOWNS = """<script>
new MutationObserver(() => document.querySelectorAll("select.dropdown-select:not([aria-label])")
  .forEach((s) => s.setAttribute("aria-label", "Content type")))
  .observe(document, {childList: true, subtree: true});
</script>"""
# ReDoc's sidebar always loads its maker's logo from their CDN. An empty ``src`` fetches nothing and
# fires the image's error handler, which ReDoc answers by leaving the logo out.
OUTSIDE_URLS = {"redoc.standalone.js": [(b'"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'""')]}


def assets_dir() -> Path:
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fastapi-offline is not installed: run `make setup`")
    return Path(spec.submodule_search_locations[0]) / "static"


@cache
def asset_bytes(name: str) -> bytes:
    """The file as served: read once, with the few outside URLs it would fetch removed."""
    content = (assets_dir() / name).read_bytes()
    for outside, local in OUTSIDE_URLS.get(name, []):
        if outside not in content:
            raise RuntimeError(
                f"fastapi-offline's {name} changed: {outside.decode()} not found; update docs.py"
            )
        content = content.replace(outside, local)
    return content


def _accessible(page: HTMLResponse, *, extra: str = "") -> HTMLResponse:
    """FastAPI's templates open with a bare ``<html>``; screen readers need the page's language, and
    some of the default colours are too faint to read (``docs.css``)."""
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    html = html.replace("</head>", f"<style>\n{STYLE.read_text()}</style>\n{extra}</head>", 1)
    return HTMLResponse(html)


def add_offline_docs(app: FastAPI) -> None:
    """Adds ``/docs``, ``/redoc`` and their assets; call before the chat UI's catch-all mount at "/"."""
    for name in ASSETS:
        asset_bytes(name)  # read now: a missing or changed package fails at start-up, not on a reader's visit
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_URL}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _accessible(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=favicon,
                oauth2_redirect_url=None,
                swagger_ui_parameters=SWAGGER_PARAMETERS,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _accessible(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            ),
            extra=LABEL_DROPDOWNS,
        )

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, f"no such docs asset: {name!r}; the docs pages use {', '.join(ASSETS)}")
        return Response(asset_bytes(name), media_type=media_type, headers={"Cache-Control": "max-age=86400"})
