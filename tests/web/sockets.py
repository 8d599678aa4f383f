"""Raw-socket clients for the tests of slow, silent and malformed requests, which no HTTP library sends.

Shared by the app's own limits (test_limits.py, test_fairness.py), the same limits behind nginx
(test_nginx_proxy.py) and the red-team run (benchmarks/redteam.py).
"""

from __future__ import annotations

import json
import socket
import time


def connect(url: str, source: str | None = None) -> socket.socket:
    """A TCP connection to ``http://host:port``, from loopback address ``source`` (127.0.0.2, …) if given."""
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection(
        (host, int(port)), timeout=10, source_address=(source, 0) if source else None
    )


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes (or ``limit`` seconds pass), and when it closed."""
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < limit:
        sock.settimeout(max(0.01, limit - (time.monotonic() - started)))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received, time.monotonic() - started
        if not chunk:
            return received, time.monotonic() - started
        received += chunk
    return received + b"<still open>", time.monotonic() - started


def read_head(sock: socket.socket, limit: float = 20.0) -> tuple[int, bytes]:
    """The status and everything received once a response's head has arrived (a stream sends on)."""
    deadline = time.monotonic() + limit
    received = b""
    while b"\r\n\r\n" not in received and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return status_of(received), received


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP/1.1 response; 0 when it is not one."""
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def body_of(response: bytes) -> dict:
    """The JSON body of a raw HTTP response."""
    return json.loads(response.partition(b"\r\n\r\n")[2])
