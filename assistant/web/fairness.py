"""No one client, and no one kind of request, can take every connection.

A request holds its connection until its response ends, and some responses never end: Gradio's
heartbeat (``GET /gradio_api/heartbeat/<anything>``, no key needed) streams for as long as the socket is
open. 1,000 of them from one address once took the whole connection cap, and ``/healthz`` and keyed
``/api/ask`` got 503 for as long as the sockets stayed open. So requests are shared out:

- **event streams** (any ``text/event-stream`` response: heartbeats, Gradio's queue and call streams,
  streamed ``/v1`` answers): at most ``streams_per_client`` per client address (429 beyond) and
  ``streams`` in all (503 beyond; ``ASSISTANT_MAX_STREAMS`` is below ``ASSISTANT_MAX_CONNECTIONS``, so
  the rest of the cap stays free for the APIs and ``/healthz``). A stream over budget is answered in
  place of its first byte, and the app sees its client leave, so it stops;
- **requests of any kind**: at most ``per_client`` open at once per client address (429 at once), so one
  address cannot hold the connections with slow requests either.

The client address is the one ``assistant.web.proxies`` left in the scope: the peer, or, from one of
``ASSISTANT_TRUSTED_PROXIES``, the client it forwards for. Each refusal is one warning line.
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
ALL = ""  # the key of every client's streams together (no address is empty)


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
    """Per client address at most ``per_client`` open requests and ``streams_per_client`` event streams
    (429), and at most ``streams`` event streams in all (503)."""

    def __init__(self, app: ASGIApp, per_client: int, streams_per_client: int, streams: int) -> None:
        self.app = app
        self.per_client = per_client
        self.streams_per_client = streams_per_client
        self.streams = streams
        self.open_requests: Counter[str] = Counter()
        self.open_streams: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown client"
        if self.open_requests[client] >= self.per_client:
            detail = (
                f"too many open requests from your address: at most {self.per_client} at once "
                "(ASSISTANT_MAX_REQUESTS_PER_CLIENT); wait for some to finish and try again"
            )
            await _refuse(scope, send, client, 429, detail)
            return
        self.open_requests[client] += 1
        stream = _StreamGate(self, scope, client)
        try:
            await self.app(scope, receive, stream.send(send))
        finally:
            _release(self.open_requests, client)
            if stream.counted:
                _release(self.open_streams, client)
                _release(self.open_streams, ALL)

    def stream_refusal(self, client: str) -> tuple[int, str] | None:
        """Why one more event stream for ``client`` is refused (status, detail), or None: it is counted."""
        if self.open_streams[client] >= self.streams_per_client:
            detail = (
                f"too many open event streams from your address: at most {self.streams_per_client} "
                "(ASSISTANT_MAX_STREAMS_PER_CLIENT); close some chat tabs and try again"
            )
            return 429, detail
        if self.open_streams[ALL] >= self.streams:
            detail = (
                f"too many open event streams on this server (at most {self.streams}, "
                "ASSISTANT_MAX_STREAMS); try again shortly"
            )
            return 503, detail
        self.open_streams[client] += 1
        self.open_streams[ALL] += 1
        return None


def _release(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if not counts[key]:
        del counts[key]  # the counters hold only clients with something open


async def _refuse(scope: Scope, send: Send, client: str, status: int, detail: str) -> None:
    logger.warning("refused %s %s from %s: %d %s", scope["method"], scope["path"], client, status, detail)
    for message in _response(scope["path"], status, detail, retry_after=1 if status == 429 else 5):
        await send(message)


class _StreamGate:
    """One request's view of the stream budgets: counts its event stream, or refuses it and ends it."""

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
                return  # the app's stream, after our refusal (it stops: see below)
            if message["type"] == "http.response.start" and not self.decided:
                self.decided = True
                if _is_event_stream(message):
                    refusal = self.share.stream_refusal(self.client)
                    if refusal is not None:
                        # Once a response is complete the server answers the app's every ``receive``
                        # with ``http.disconnect`` (the ASGI spec): the stream ends as if its client
                        # had left (Starlette's streaming responses listen for that).
                        self.refused = True
                        await _refuse(self.scope, send, self.client, *refusal)
                        return
                    self.counted = True
            await send(message)

        return guarded


def share_fairly(app: FastAPI, settings: Settings) -> None:
    """Install the budgets; inside ``trust_forwarded_headers``, which sets the client address they count."""
    app.add_middleware(
        FairShareMiddleware,
        per_client=settings.max_requests_per_client,
        streams_per_client=settings.max_streams_per_client,
        streams=settings.stream_budget,
    )
