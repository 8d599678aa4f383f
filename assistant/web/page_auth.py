"""``ASSISTANT_PAGE_AUTH=keys``: the chat page behind the API keys, in a form a browser can send.

With API keys set, ``/api`` and ``/v1`` need a key, but the chat page and its Gradio routes did not, and
the page's load event hands out every library article's title and full text. A browser cannot be
told to send ``Authorization: Bearer …``, but it asks for and then sends HTTP basic auth on every
request to the site, its scripts' requests and event streams included. So with ``keys``, every route
but those with rules of their own needs one of ``ASSISTANT_API_KEYS``: as the basic-auth password
(any user name) or as a bearer key (``gradio_client`` and scripts). Deny by default: a route added
later is covered too. Open: ``/api``, ``/v1`` (their keys), ``/healthz`` and the API documentation.
"""

from __future__ import annotations

import base64
import binascii
import logging

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.settings import Settings
from assistant.web.errors import error_json
from assistant.web.portal import is_a_key

logger = logging.getLogger(__name__)

REALM = "article-assistant"
# Routes with rules of their own: the APIs (their bearer keys), health checks and the API documentation.
OWN_RULES = ("/api/", "/v1/", "/docs-assets/")
OWN_RULES_EXACT = frozenset({"/v1", "/healthz", "/docs", "/redoc", "/openapi.json"})


def has_own_rules(path: str) -> bool:
    return path in OWN_RULES_EXACT or path.startswith(OWN_RULES)


def presented_key(authorization: str | None) -> str | None:
    """The key in ``Basic <user:key>`` (any user name) or ``Bearer <key>``; None when there is none."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon else None


class PageAuthMiddleware:
    """401 with a basic-auth challenge for any request outside ``OWN_RULES`` without one of ``keys``."""

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"} or has_own_rules(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = presented_key(Headers(scope=scope).get("authorization"))
        if key is not None and is_a_key(key, self.keys):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown client"
        why = "no key" if key is None else "a wrong key"
        method, path = scope.get("method", "GET"), scope["path"]
        logger.info("refused %s %s from %s: 401 %s (ASSISTANT_PAGE_AUTH=keys)", method, path, client, why)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        detail = (
            "this page needs a key: sign in with any user name and one of the server's API keys as the "
            "password, or send 'Authorization: Bearer <key>'"
        )
        body = error_json(scope["path"], 401, detail)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", f'Basic realm="{REALM}", charset="UTF-8"'.encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def protect_the_page(app: FastAPI, settings: Settings) -> None:
    """With ``ASSISTANT_PAGE_AUTH=keys``, the page and every route without rules of its own need a key."""
    if settings.page_auth == "keys":
        app.add_middleware(PageAuthMiddleware, keys=settings.api_keys)
