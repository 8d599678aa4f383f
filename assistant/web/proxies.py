"""Forwarded headers count only when a configured proxy sent them; host-derived pages are never cached.

``/embed`` and the chat page's ``root`` (Gradio's ``/`` and ``/config``) are built from the request's
host. Gradio also believes ``X-Forwarded-Host``, ``X-Forwarded-Proto`` and ``X-Gradio-Server`` from
anyone, so a client could make the pages point at another site. Here every ``Forwarded``,
``X-Forwarded-*`` and ``X-Real-IP`` header is removed before any app code sees it, unless the
connection comes from one of ``ASSISTANT_TRUSTED_PROXIES``; from those, the client address and scheme
are taken from them (uvicorn's own rules) and ``X-Forwarded-Host`` becomes the ``Host``.
``X-Gradio-Server`` (set only by Gradio's own server-side renderer, which is off) is always removed.
"""

from __future__ import annotations

import ipaddress
import re

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.settings import Settings

ALWAYS_REMOVED = frozenset({b"x-gradio-server"})
PROXY_ONLY = frozenset({b"forwarded", b"x-real-ip"})
PROXY_ONLY_PREFIX = b"x-forwarded-"

# Pages whose content names this server's URL, and so differs by Host.
HOST_VARYING_PAGES = frozenset({"/", "/config", "/config/", "/embed"})

_HOST = re.compile(rb"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _is_proxy_header(name: bytes) -> bool:
    return name in PROXY_ONLY or name.startswith(PROXY_ONLY_PREFIX)


def _in_networks(host: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def _first_value(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value.split(b",")[0].strip()
    return None


class ForwardedHeadersMiddleware:
    """Strips proxy headers from untrusted clients; applies them for trusted proxies."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]) -> None:
        self.app = app
        self.trusted = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
        self.from_proxy = ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if client and _in_networks(client[0], self.trusted):
            headers = [(k, v) for k, v in scope["headers"] if k not in ALWAYS_REMOVED]
            forwarded_host = _first_value(headers, b"x-forwarded-host")
            if forwarded_host is not None and _HOST.fullmatch(forwarded_host):
                headers = [(k, v) for k, v in headers if k != b"host"] + [(b"host", forwarded_host)]
            await self.from_proxy({**scope, "headers": headers}, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k not in ALWAYS_REMOVED and not _is_proxy_header(k)]
        await self.app({**scope, "headers": headers}, receive, send)


class HostVaryingPagesMiddleware:
    """``Cache-Control: no-store`` and ``Vary: Host`` on pages built from the request's host.

    A shared cache must never hand one client's page (with the host it asked for) to another.
    """

    def __init__(self, app: ASGIApp, vary: list[str]) -> None:
        self.app = app
        self.vary = vary

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in HOST_VARYING_PAGES:
            await self.app(scope, receive, send)
            return

        async def send_uncached(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["cache-control"] = "no-store"
                for name in self.vary:
                    headers.add_vary_header(name)
            await send(message)

        await self.app(scope, receive, send_uncached)


def trust_forwarded_headers(app: FastAPI, settings: Settings) -> None:
    """Install both; call it last in ``create_app`` so the stripping is the outermost middleware."""
    vary = ["Host"]
    if settings.trusted_proxies:
        vary += ["X-Forwarded-Host", "X-Forwarded-Proto"]
    app.add_middleware(HostVaryingPagesMiddleware, vary=vary)
    app.add_middleware(ForwardedHeadersMiddleware, trusted_proxies=settings.trusted_proxies)
