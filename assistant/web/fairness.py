"""No one client, and no one kind of request, can take every connection.

A request holds its connection until its response ends, and some responses never end: Gradio's
heartbeat (``GET /gradio_api/heartbeat/<anything>``, no key needed) streams for as long as the socket is
open. 1,000 of them from one address once took the whole connection cap, and ``/healthz`` and keyed
``/api/ask`` got 503 for as long as the sockets stayed open. Two budgets keep that from happening:

- **per client address**, at most ``per_client`` open requests of any kind; one more gets a 429 at
  once. The address is the one ``assistant.web.proxies`` left in the scope: the peer, or, from one of
  ``ASSISTANT_TRUSTED_PROXIES``, the client it forwards for;
- **in all**, at most ``streams`` open event streams (any ``text/event-stream`` response: heartbeats,
  Gradio's queue and call streams, streamed ``/v1`` answers). One more is answered 503 in place of its
  first byte, and the app sees its client leave, so the stream stops. The rest of the connection cap
  stays free for the APIs and ``/healthz`` (``ASSISTANT_MAX_STREAMS`` is below ``ASSISTANT_MAX_CONNECTIONS``).

Each refusal is one warning line.
"""

from __future__ import annotations

import logging
from collections import Counter

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings
from assistant.web.errors import error_json

logger = logging.getLogger(__name__)

EVENT_STREAM = b"text/event-stream"


def _is_event_stream(start: Message) -> bool:
    return any(
        name.lower() == b"content-type" and value.split(b";")[0].strip().lower() == EVENT_STREAM
        for name, value in start.get("headers", [])
    )


def _response(path: str, status: int, detail: str, retry_after: int) -> tuple[Message, Message]:
    body = error_json(path, status, detail)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


class FairShareMiddleware:
    """At most ``per_client`` open requests per client address (429), ``streams`` event streams (503)."""

    def __init__(self, app: ASGIApp, per_client: int, streams: int) -> None:
        self.app = app
        self.per_client = per_client
        self.streams = streams
        self.open_requests: Counter[str] = Counter()
        self.open_streams = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown client"
        if self.open_requests[client] >= self.per_client:
            detail = (
                f"too many open requests from your address: at most {self.per_client} at once "
                "(ASSISTANT_MAX_REQUESTS_PER_CLIENT); close some (each chat tab keeps one or two) and try "
                "again"
            )
            logger.warning("refused %s %s from %s: 429 %s", scope["method"], scope["path"], client, detail)
            for message in _response(scope["path"], 429, detail, retry_after=1):
                await send(message)
            return
        self.open_requests[client] += 1
        stream = _StreamGate(self, scope, client)
        try:
            await self.app(scope, receive, stream.send(send))
        finally:
            self.open_requests[client] -= 1
            if not self.open_requests[client]:
                del self.open_requests[client]
            if stream.counted:
                self.open_streams -= 1


class _StreamGate:
    """One request's view of the stream budget: counts its event stream, or refuses it and ends it."""

    def __init__(self, share: FairShareMiddleware, scope: Scope, client: str) -> None:
        self.share = share
        self.scope = scope
        self.client = client
        self.counted = False
        self.decided = False  # the response has started, so this request can no longer be refused
        self.refused = False

    def send(self, send: Send) -> Send:
        async def guarded(message: Message) -> None:
            if self.refused:
                return  # the app's stream, after our 503 (it stops: see ``_refuse``)
            if message["type"] == "http.response.start" and not self.decided:
                self.decided = True
                if _is_event_stream(message):
                    if self.share.open_streams >= self.share.streams:
                        await self._refuse(send)
                        return
                    self.share.open_streams += 1
                    self.counted = True
            await send(message)

        return guarded

    async def _refuse(self, send: Send) -> None:
        """Answer 503 in the stream's place. Once a response is complete, the server answers the app's
        every ``receive`` with ``http.disconnect`` (the ASGI spec), so the stream ends as if its client
        had left (Starlette's streaming responses listen for that)."""
        self.refused = True
        detail = (
            f"too many open event streams on this server (at most {self.share.streams}, "
            "ASSISTANT_MAX_STREAMS); try again shortly"
        )
        method, path = self.scope["method"], self.scope["path"]
        logger.warning("refused %s %s from %s: 503 %s", method, path, self.client, detail)
        for message in _response(path, 503, detail, retry_after=5):
            await send(message)


def share_fairly(app: FastAPI, settings: Settings) -> None:
    """Install the budgets; inside ``trust_forwarded_headers``, which sets the client address they count."""
    app.add_middleware(
        FairShareMiddleware, per_client=settings.max_requests_per_client, streams=settings.stream_budget
    )
