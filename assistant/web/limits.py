"""Request bodies are bounded in size and in time before anything parses them.

FastAPI and Gradio read a whole body into memory before validating it; eight 285 MB bodies once took
the server from 0.8 to 4.8 GB. A declared ``Content-Length`` over the limit is refused before a byte
of the body is read; a chunked body is counted as it arrives and refused the moment it passes the
limit, without buffering the rest (413). A body still arriving ``body_timeout`` after the request
reached the app gets a 408. Either way the connection is closed and the refusal logged in one line.

(FastAPI's own ``max_body_size`` is left unset: it answers a bare "Content Too Large", and only once the
route has been found and starts reading; it would also replace our 413 with its own.)
"""

from __future__ import annotations

import logging

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings
from assistant.web.errors import error_json

logger = logging.getLogger(__name__)


class _Refused(Exception):
    """Raised into the app from ``receive`` to stop it reading any further."""


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown client"


def _only_disconnects(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_only_disconnects(inner) for inner in error.exceptions)
    return isinstance(error, ClientDisconnect)


class RequestBodyLimitMiddleware:
    """413 for a body over ``max_bytes`` (by Content-Length before reading, or while it streams);
    408 for a body not complete within ``timeout`` seconds."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            await self._refuse(
                scope, send, 413, self._too_large(f"a Content-Length of {int(declared):,} bytes")
            )
            return

        deadline = anyio.current_time() + self.timeout
        received = 0
        body_complete = False
        disconnected = False
        refusal: tuple[int, str] | None = None
        app_started = False

        async def guarded_receive() -> Message:
            nonlocal received, body_complete, disconnected, refusal
            if refusal is not None:
                raise _Refused
            if body_complete or disconnected:
                return await receive()  # after the body, apps wait here for a disconnect: no deadline
            with anyio.move_on_after(deadline - anyio.current_time()) as waiting:
                message = await receive()
            if waiting.cancelled_caught:
                refusal = (408, self._too_slow(received))
                raise _Refused
            if message["type"] == "http.disconnect":
                disconnected = True
            elif message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refusal = (
                        413,
                        self._too_large(f"a body of more than {received:,} bytes, still arriving"),
                    )
                    raise _Refused
                body_complete = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal app_started
            if refusal is not None:
                return  # whatever the app makes of the interrupted body, the answer is ours
            app_started = app_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception as error:
            if refusal is None and not (disconnected and _only_disconnects(error)):
                raise
            if refusal is None:
                logger.info("%s %s from %s: the client left before sending its body", *_line(scope))
                return
        if refusal is not None and not app_started:
            await self._refuse(scope, send, *refusal)

    def _too_large(self, what: str) -> str:
        return (
            f"request body too large: got {what}; the limit is {self.max_bytes:,} bytes "
            "(ASSISTANT_MAX_BODY_BYTES): send a shorter question or history"
        )

    def _too_slow(self, received: int) -> str:
        return (
            f"request body incomplete after {self.timeout:g} s ({received:,} bytes received; "
            "ASSISTANT_BODY_TIMEOUT): send the whole body at once"
        )

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        logger.warning("refused %s %s from %s: %d %s", *_line(scope), status, detail)
        body = error_json(scope["path"], status, detail)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _line(scope: Scope) -> tuple[str, str, str]:
    return scope["method"], scope["path"], _client(scope)


def limit_request_bodies(app: FastAPI, settings: Settings) -> None:
    """Every route, the mounted chat UI included: ``ASSISTANT_MAX_BODY_BYTES``, ``ASSISTANT_BODY_TIMEOUT``."""
    app.add_middleware(
        RequestBodyLimitMiddleware, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout
    )
