"""No one client, and no one kind of request, takes every connection: over real sockets, on servers run as
`assistant serve` runs them (assistant/web/fairness.py).

The attack: ``GET /gradio_api/heartbeat/<anything>`` needs no key and never ends. 40 of them with
ASSISTANT_MAX_CONNECTIONS=40 (1,000 with the default) once made every new connection a 503, /healthz and
keyed /api/ask included."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.errors import InvalidConfiguration
from assistant.web.app import create_app
from assistant.web.serving import Listener, as_served, connection_limits
from tests.web.sockets import connect, read_head

pytestmark = [pytest.mark.integration, pytest.mark.server]

KEY = "k3y-for-the-fairness-tests"
QUESTION = {"question": "Who wrote the article?"}
CHAT = {"model": "article-assistant", "messages": [{"role": "user", "content": "Who wrote the article?"}]}


def _settings(assistant: Assistant, **changes: object) -> Settings:
    return assistant.settings.model_copy(update={"max_connections": 40, **changes})


def open_stream(
    stack: ExitStack,
    url: str,
    path: str = "/gradio_api/heartbeat/h",
    source: str | None = None,
    **headers: str,
) -> tuple[int, bytes]:
    """A GET of ``path`` left open (in ``stack``); its status and what came with its head."""
    sock = stack.enter_context(connect(url, source))
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    return read_head(sock)


def body(received: bytes) -> dict:
    head, _, rest = received.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    return json.loads(rest[:length])


def client(url: str, source: str = "127.0.0.1", **kwargs: object) -> httpx.Client:
    return httpx.Client(
        base_url=url, transport=httpx.HTTPTransport(local_address=source), timeout=30, **kwargs
    )


def until(check, limit: float = 20.0) -> bool:
    """Polls ``check`` until it holds (the server sees a closed socket within moments, not at a set time)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def keyed(assistant, serve) -> str:
    """The whole app, chat page included, with API keys and a cap of 40 connections (20 for streams)."""
    settings = _settings(assistant, api_keys=[KEY])
    return serve(create_app(assistant, settings), settings)


@pytest.fixture(scope="module")
def shared(assistant, serve) -> str:
    """Four streams and six open requests per client, behind a trusted proxy on 127.0.0.1."""
    settings = _settings(
        assistant,
        max_streams_per_client=4,
        max_requests_per_client=6,
        body_timeout=30.0,
        trusted_proxies=["127.0.0.1/32"],
    )
    return serve(create_app(assistant, settings), settings)


@pytest.fixture()
def streams() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def heartbeat(stack: ExitStack, url: str, source: str | None = None, forwarded_for: str | None = None) -> int:
    """One never-ending heartbeat, left open; its status."""
    headers = {"X_Forwarded_For": forwarded_for} if forwarded_for else {}
    return open_stream(stack, url, f"/gradio_api/heartbeat/h{time.monotonic_ns()}", source, **headers)[0]


def test_heartbeats_from_one_address_leave_healthz_and_the_api_answering(keyed, streams, caplog):
    """The reported attack, scaled: 40 never-ending heartbeats from one address at a cap of 40; then
    /healthz and keyed /api/ask from that same address."""
    statuses = [open_stream(streams, keyed, f"/gradio_api/heartbeat/h{n}") for n in range(40)]
    opened = [status for status, _ in statuses if status == 200]
    refused = [received for status, received in statuses if status == 503]
    assert len(opened) == 20 and len(refused) == 20, [status for status, _ in statuses]
    assert "too many open event streams" in body(refused[0])["detail"]
    with client(keyed) as api:
        assert api.get("/healthz").status_code == 200
        answer = api.post("/api/ask", json=QUESTION, headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200 and answer.json()["citations"]
    lines = [r.getMessage() for r in caplog.records if "too many open event streams" in r.getMessage()]
    assert len(lines) == 20 and all(len(line) < 300 for line in lines)


def test_one_address_holds_at_most_its_share_of_streams_and_is_still_answered(shared, streams):
    assert [heartbeat(streams, shared, "127.0.0.2") for _ in range(4)] == [200] * 4
    status, received = open_stream(streams, shared, "/gradio_api/heartbeat/more", "127.0.0.2")
    assert status == 429 and "ASSISTANT_MAX_STREAMS_PER_CLIENT" in body(received)["detail"]
    assert b"retry-after: 1" in received.lower()
    with client(shared, "127.0.0.2") as same:
        assert same.get("/healthz").status_code == 200
        assert same.post("/api/ask", json=QUESTION).status_code == 200
    assert heartbeat(streams, shared, "127.0.0.3") == 200


def test_one_address_holds_at_most_its_share_of_open_requests(shared, streams):
    """Requests that stay open without streaming (a body that never comes, until ASSISTANT_BODY_TIMEOUT)."""
    for _ in range(6):
        sock = streams.enter_context(connect(shared, "127.0.0.7"))
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: 99\r\n\r\n")
    with client(shared, "127.0.0.7") as crowded, client(shared, "127.0.0.8") as other:
        assert until(lambda: crowded.get("/healthz").status_code == 429)
        refused = crowded.get("/healthz")
        assert (
            "ASSISTANT_MAX_REQUESTS_PER_CLIENT" in refused.json()["detail"]
            and refused.headers["retry-after"] == "1"
        )
        assert other.get("/healthz").status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_share(shared, streams):
    """From the proxy (127.0.0.1) the forwarded address counts; from anyone else, the peer's."""
    assert [heartbeat(streams, shared, forwarded_for="203.0.113.5") for _ in range(5)] == [200] * 4 + [429]
    assert heartbeat(streams, shared, forwarded_for="203.0.113.6") == 200
    # An untrusted peer's claims are ignored: all five count as 127.0.0.4.
    statuses = [
        heartbeat(streams, shared, "127.0.0.4", forwarded_for=f"203.0.113.{20 + n}") for n in range(5)
    ]
    assert statuses == [200] * 4 + [429]


def test_a_refused_stream_ends_and_a_streamed_v1_answer_counts_as_a_stream(assistant, serve, streams):
    """Streams from many clients fill the stream budget: each stream over it gets a 503 and ends, a
    streamed /v1 answer too; plain answers and /healthz go on."""
    settings = _settings(
        assistant, max_streams_per_client=4, max_requests_per_client=6, trusted_proxies=["127.0.0.1/32"]
    )
    url = serve(create_app(assistant, settings), settings)
    for n in range(20):  # five forwarded clients, four streams each: the whole budget of 20
        assert heartbeat(streams, url, forwarded_for=f"198.51.100.{n // 4}") == 200
    # More refused streams than the client's six open requests, sockets left open: had any refused
    # stream run on, the seventh would be a 429.
    for _ in range(8):
        status, received = open_stream(streams, url, "/gradio_api/heartbeat/over", "127.0.0.5")
        assert status == 503 and "ASSISTANT_MAX_STREAMS" in body(received)["detail"], received[:300]
    with client(url, "127.0.0.5") as api:
        streamed = api.post("/v1/chat/completions", json={**CHAT, "stream": True})
        assert streamed.status_code == 503 and streamed.json()["error"]["type"] == "server_error"
        assert api.post("/v1/chat/completions", json=CHAT).status_code == 200
        assert api.get("/healthz").status_code == 200
    streams.close()  # every stream closed: the budget is free again

    def a_stream_opens() -> bool:
        with ExitStack() as one:
            return heartbeat(one, url, "127.0.0.6") == 200

    assert until(a_stream_opens)


def test_streams_must_leave_connections_for_the_apis():
    assert Settings().stream_budget == 500 and Settings(max_connections=40).stream_budget == 20
    with pytest.raises(ValueError, match="ASSISTANT_MAX_STREAMS=40 would let event streams take every one"):
        Settings(max_connections=40, max_streams=40)
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_MAX_STREAMS=500 would let event streams"):
        connection_limits(Settings(max_streams=500), open_files=700)  # 444 connections left
    fewer = Listener("127.0.0.1", 8080, connection_limits(Settings(), open_files=700))
    assert fewer.limits.max_connections == 444 and as_served(Settings(), fewer).stream_budget == 222
