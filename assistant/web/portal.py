"""What a portal needs to embed the assistant: CORS and framing limited to allowed origins, optional
API keys, and an ``/embed`` page with iframe and ``<gradio-app>`` snippets whose assets this app serves
itself (no CDN)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import ipaddress
import secrets
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import NotAuthorized
from assistant.settings import Settings

EMBED_TEMPLATE = Path(__file__).resolve().parent / "embed.html"
# The iframe height /embed suggests. Measured in chromium at 1280x900 with a 1216-px-wide frame: the
# question box ends at 791 px; once a rating is given, its note field and status line below the box end
# at 897 and 961 px. The rest is headroom (tests/web/test_embed_browser.py checks they all still fit).
IFRAME_HEIGHT = 1000


def frame_ancestors(settings: Settings) -> str:
    """The CSP value that lets only this app and the allowed portals frame the pages."""
    return " ".join(["frame-ancestors", "'self'", *settings.allowed_origins])


class FrameAncestorsMiddleware:
    """Adds ``Content-Security-Policy: frame-ancestors …`` to every HTTP response."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.policy = policy.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"
                ]
                message["headers"] = [*headers, (b"content-security-policy", self.policy)]
            await send(message)

        await self.app(scope, receive, send_with_policy)


class NoCORSForStrangers:
    """Drops every ``Access-Control-*`` header from responses to an Origin that is not allowed.

    Starlette's CORSMiddleware (kept, because Gradio stands down only for exactly that class) sends
    ``Access-Control-Allow-Credentials`` to any Origin; a stranger gets no CORS header at all.
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin is None or origin in self.allowed:
            await self.app(scope, receive, send)
            return

        async def send_without_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in [n for n in headers if n.lower().startswith("access-control-")]:
                    del headers[name]
            await send(message)

        await self.app(scope, receive, send_without_cors)


def protect(app: FastAPI, settings: Settings) -> None:
    """CORS answers only the allowed origins (a disallowed Origin is never echoed); framing likewise.

    Our CORSMiddleware also tells the mounted Gradio app to skip its own, looser localhost CORS rules.
    """
    app.add_middleware(FrameAncestorsMiddleware, policy=frame_ancestors(settings))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    app.add_middleware(NoCORSForStrangers, allowed_origins=settings.allowed_origins)  # outermost


_bearer = HTTPBearer(auto_error=False, description="One of ASSISTANT_API_KEYS, when keys are configured.")


def api_key_dependency(settings: Settings) -> Callable[..., None]:
    """A FastAPI dependency that requires ``Authorization: Bearer <key>`` when keys are configured.

    Without keys it asks for nothing, so the OpenAPI schema declares no security scheme either.
    """
    if not settings.api_keys:
        return lambda: None

    def require_api_key(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None:
            raise NotAuthorized("missing API key: send the header 'Authorization: Bearer <key>'")
        if not is_a_key(credentials.credentials, settings.api_keys):
            raise NotAuthorized("invalid API key: use one of the keys configured in ASSISTANT_API_KEYS")

    return require_api_key


def is_a_key(given: str, keys: list[str]) -> bool:
    """Whether ``given`` is one of ``keys``, compared in constant time (every key, whatever matches)."""
    given_bytes = given.encode("utf-8", "surrogateescape")
    return any([secrets.compare_digest(given_bytes, key.encode()) for key in keys])


def gradio_web_component_script() -> Path:
    """The installed Gradio's ``gradio.js``: it imports ``./assets/…``, which the mounted UI serves."""
    spec = importlib.util.find_spec("gradio")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("gradio is not installed: run `make setup`")
    return Path(spec.submodule_search_locations[0]) / "templates" / "frontend" / "gradio.js"


def is_loopback_host(host: str | None) -> bool:
    """``localhost``, ``127.x.x.x``, ``::1`` (and the unspecified ``0.0.0.0``/``::``): only this machine
    reaches them, so a snippet naming one works for nobody else."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def loopback_warning(host: str) -> str:
    return (
        '<p id="loopback-warning" class="warning"><strong>Opened at a loopback address '
        f"({escape(host)}).</strong> The snippets below contain it, and a portal's readers cannot reach "
        "it. Set <code>ASSISTANT_PUBLIC_URL</code> to the public host name (e.g. "
        "<code>ASSISTANT_PUBLIC_URL=https://assistant.example.com</code>) and restart, or open this page "
        "at that name.</p>"
    )


def embed_page(base_url: str, settings: Settings, *, warn_host: str | None = None) -> str:
    """The /embed page: both snippets for this server, with the installed Gradio version, and a warning
    when ``warn_host`` (the loopback address the page was opened at) would end up in the snippets."""
    base = base_url.rstrip("/")
    iframe = (
        f'<iframe src="{base}/" title="Ask the article" width="100%" height="{IFRAME_HEIGHT}" '
        'style="border:0" allow="clipboard-write"></iframe>'
    )
    component = (
        f'<script type="module" src="{base}/gradio.js"></script>\n<gradio-app src="{base}/"></gradio-app>'
    )
    origins = ", ".join(settings.allowed_origins) or "none yet (only this server may frame the chat)"
    return (
        EMBED_TEMPLATE.read_text()
        .replace("{{iframe}}", escape(iframe))
        .replace("{{component}}", escape(component))
        .replace("{{origins}}", escape(origins))
        .replace("{{gradio_version}}", escape(importlib.metadata.version("gradio")))
        .replace("{{base}}", escape(base))
        .replace("{{loopback_warning}}", loopback_warning(warn_host) if warn_host else "")
    )


def embed_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["embedding"])

    @router.get("/embed", response_class=HTMLResponse)
    def embed(request: Request) -> HTMLResponse:
        """How to put the chat into a portal: an iframe or the ``<gradio-app>`` web component.

        The snippets name ``ASSISTANT_PUBLIC_URL`` when set, else the host this request came to (never
        cached: see ``assistant.web.proxies``); a loopback host gets a warning to set the public one.
        """
        if settings.public_url:
            return HTMLResponse(embed_page(settings.public_url, settings))
        host = request.url.hostname
        warn_host = request.url.netloc if is_loopback_host(host) else None
        return HTMLResponse(embed_page(str(request.base_url), settings, warn_host=warn_host))

    @router.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        return FileResponse(gradio_web_component_script(), media_type="text/javascript")

    return router
