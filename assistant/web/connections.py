"""Every connection is bounded: in time, in header size, and in how many may be open at once.

uvicorn 0.54 closes a connection only after a response, on its keep-alive timer: one that never sends
a complete request stays open for ever (200 of 200 after 65 s, and 1,100 of them used up a 1,024 file
descriptor limit silently). ``GuardedH11Protocol`` is uvicorn's h11 protocol with:

- a header deadline: a request's headers must be complete within ``header_timeout`` of the connection
  opening (or of the previous response), or the connection is closed (the body has its own deadline,
  in ``assistant.web.limits``, where a 408 can go through the app's error handling);
- a header size cap: more than ``max_header_bytes`` of request line and headers gets a 431 (h11 caps
  only a header block that arrives in pieces; one sent in a single packet was accepted at 64 MB);
- a connection cap: at ``max_connections`` open connections, a new one closes the connection that has
  waited longest for a request (silent sockets cannot crowd out real clients); when every connection is
  busy answering, the new one gets a 503 at once.

Each refusal is one warning line. uvicorn's keep-alive timer still closes idle connections between
requests (``timeout_keep_alive``).
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.web.errors import error_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    max_header_bytes: int
    max_connections: int


def _header_bytes(request: h11.Request) -> int:
    """Request line and header fields as sent (give or take separators)."""
    return len(request.method) + len(request.target) + sum(len(k) + len(v) + 4 for k, v in request.headers)


def raw_response(status: int, detail: str, path: str = "") -> bytes:
    """A complete ``Connection: close`` response, written below h11 for requests we will not serve."""
    body = error_json(path, status, detail)
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _TappedConnection(h11.Connection):
    """h11's server side, telling the protocol when a request starts or breaks the rules."""

    def __init__(self, protocol: GuardedH11Protocol, max_header_bytes: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_header_bytes)
        self.protocol = protocol
        self.max_header_bytes = max_header_bytes

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as error:
            status = error.error_status_hint
            if status == 431:
                detail = f"request headers too large: more than {self.max_header_bytes:,} bytes"
            else:
                detail = f"invalid HTTP request: {str(error)[:200]}"
            self.protocol.refuse(status, detail)
            return h11.NEED_DATA  # uvicorn stops reading this connection; we have answered and closed it
        if isinstance(event, h11.Request):
            size = _header_bytes(event)
            if size > self.max_header_bytes:
                path = event.target.decode("latin-1").partition("?")[0]
                detail = f"request headers too large: {size:,} bytes, the limit is {self.max_header_bytes:,}"
                self.protocol.refuse(431, detail, path)
                return h11.NEED_DATA
            self.protocol.request_started()
        return event


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a header size cap and a connection cap."""

    limits: ClassVar[ConnectionLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _TappedConnection(self, self.limits.max_header_bytes)
        self.deadline: asyncio.TimerHandle | None = None
        self.waiting_since: float | None = None  # loop time it began waiting for a request; None: busy
        self.refused = False

    @classmethod
    def with_limits(cls, limits: ConnectionLimits) -> type[GuardedH11Protocol]:
        """The class uvicorn instantiates per connection (``Config(http=…)``), bound to ``limits``."""
        return type(cls.__name__, (cls,), {"limits": limits})

    # --- the connection cap -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            self.transport = transport
            self.refused = True
            logger.warning(
                "refused a connection from %s: all %d connections are busy answering (limit %d)",
                self._peer(transport),
                len(self.connections),
                self.limits.max_connections,
            )
            transport.write(raw_response(503, "the server is busy: too many open connections; try again"))
            transport.close()
            return
        super().connection_made(transport)
        self._await_request()

    def _make_room(self) -> bool:
        """Close the connection that has waited longest for a request; False if all are busy."""
        open_ = [c for c in self.connections if (t := getattr(c, "transport", None)) and not t.is_closing()]
        if len(open_) < self.limits.max_connections:
            return True  # the rest are closing already
        idle = [c for c in open_ if isinstance(c, GuardedH11Protocol) and c.waiting_since is not None]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.waiting_since or 0.0)
        waited = self.loop.time() - (oldest.waiting_since or 0.0)
        logger.warning(
            "connection limit %d reached: closed the connection from %s that waited %.1f s without a request",
            self.limits.max_connections,
            self._peer(oldest.transport),
            waited,
        )
        oldest.transport.close()
        return True

    # --- deadlines ----------------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _await_request(self) -> None:
        self.waiting_since = self.loop.time()
        self._arm(self.limits.header_timeout, self._headers_too_slow)

    def request_started(self) -> None:
        """Complete headers arrived: the app takes it from here (and bounds the body's arrival)."""
        self.waiting_since = None
        self._disarm()

    def on_response_complete(self) -> None:
        self._await_request()  # before uvicorn runs a pipelined request, which would start its own deadline
        super().on_response_complete()

    def _headers_too_slow(self) -> None:
        self.deadline = None
        if self.transport.is_closing() or self.waiting_since is None:
            return
        pending = len(self.conn.trailing_data[0])
        if pending:
            logger.warning(
                "closed the connection from %s: request headers incomplete after %g s (%d bytes received)",
                self._peer(self.transport),
                self.limits.header_timeout,
                pending,
            )
        else:
            logger.info(
                "closed the connection from %s: no request within %g s",
                self._peer(self.transport),
                self.limits.header_timeout,
            )
        self.transport.close()

    # --- refusals, clean-up ---------------------------------------------------------------------------

    def refuse(self, status: int, detail: str, path: str = "") -> None:
        """Answer a request we will not serve with ``status`` and close; one warning line."""
        if self.refused:
            return
        self.refused = True
        self._disarm()
        logger.warning("refused a request from %s: %d %s", self._peer(self.transport), status, detail)
        if not self.transport.is_closing():
            self.transport.write(raw_response(status, detail, path))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self.refused:
            super().data_received(data)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()
        self.waiting_since = None
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.waiting_since = None
        super().connection_lost(exc)

    @staticmethod
    def _peer(transport: asyncio.BaseTransport) -> str:
        peer = transport.get_extra_info("peername")
        return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "unknown client"
