"""deploy/nginx.conf in front of the real app, run by Debian's real nginx on loopback (tests/web/nginx.py).

Each nginx runs from a copy of the shipped file in which only ports, the password file and the client
timeouts (1 s, so slow clients are cut off quickly) are changed; every other directive is the one
deploying teams copy. Clients connect from other loopback addresses (127.0.0.2, …) so the app's view of
the client address is observable, and so each rate-limit test has a bucket of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import BrowserType, expect
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import Assistant, Settings
from assistant.web.app import create_app
from benchmarks.common import free_port
from tests.web.nginx import CONFIG, HOST, NGINX, PASSWORD, USER, main_config, missing, running_nginx
from tests.web.sockets import body_of, connect, read_until_closed, status_of

pytestmark = [pytest.mark.integration, pytest.mark.server]

KEY = "k3y-for-the-nginx-proxy-tests"
BEARER = {"Authorization": f"Bearer {KEY}"}
QUESTION = {"question": "Who wrote the article?"}
CHAT = {"model": "article-assistant", "messages": [{"role": "user", "content": "Who wrote the article?"}]}
MIB = 1_048_576
STREAM_GAP = 0.04  # seconds between /v1 stream chunks (see PacedStreams)
CLIENT_TIMEOUT = 1  # seconds: client_header_timeout, client_body_timeout, keepalive_timeout in the copy
SPOOFED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Host": "evil.example.net",
    "X-Forwarded-Proto": "https",
    "Forwarded": "for=203.0.113.9;host=evil.example.net;proto=https",
    "X-Real-IP": "203.0.113.9",
}


# --- running nginx -----------------------------------------------------------------------------------


def nginx_missing() -> str | None:
    """Why the proxy cannot be run here (skip), or None; in CI a missing tool is a failure instead."""
    reason = missing()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; in CI the proxy tests must run, not skip")
    return reason


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Starts nginx (in the foreground, as a child we own) in front of an upstream port; returns its URL."""
    if reason := nginx_missing():
        pytest.skip(reason)
    with ExitStack() as running:

        def start(upstream_port: int, open_requests: dict[str, int] | None = None) -> str:
            proxy = running_nginx(
                tmp_path_factory.mktemp("nginx"),
                free_port(),
                upstream_port,
                open_requests=open_requests,
                client_timeout=CLIENT_TIMEOUT,
            )
            try:
                return running.enter_context(proxy)
            except RuntimeError as error:
                pytest.fail(str(error))

        yield start


# --- the app behind it -------------------------------------------------------------------------------


@dataclass
class Seen:
    """What one request looked like to the app, below its forwarded-header handling."""

    path: str
    client: str
    scheme: str
    headers: dict[str, str] = field(default_factory=dict)


class Recorder:
    """Innermost ASGI middleware: records the client, scheme and headers the app's routes see."""

    def __init__(self, app: ASGIApp, seen: list[Seen]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            client = scope["client"][0] if scope.get("client") else ""
            self.seen.append(Seen(scope["path"], client, scope["scheme"], headers))
        await self.app(scope, receive, send)


class PacedStreams:
    """Outermost ASGI wrapper: spaces the body messages of /v1 streams by ``gap`` seconds.

    The app writes its /v1 chunks back to back (within ~2 ms); spaced out, as a slow answerer would
    send them, whether the proxy passes each one on at once or holds them back is visible.
    """

    def __init__(self, app: ASGIApp, gap: float) -> None:
        self.app = app
        self.gap = gap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/chat/completions":
            await self.app(scope, receive, send)
            return

        async def paced(message: Message) -> None:
            if message["type"] == "http.response.body":
                await asyncio.sleep(self.gap)
            await send(message)

        await self.app(scope, receive, paced)


@dataclass
class Proxied:
    url: str  # nginx, in front of the app
    seen: list[Seen]

    def client(self, source: str = "127.0.0.1", **kwargs: object) -> httpx.Client:
        """A client of the proxy, connecting from ``source`` (any 127.x address) for our host name."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(
            base_url=self.url, headers={"Host": HOST}, transport=transport, timeout=30, **kwargs
        )

    def seen_with(self, probe: str) -> list[Seen]:
        return [s for s in self.seen if s.headers.get("x-probe") == probe]


def _behind_nginx(
    assistant: Assistant,
    serve,
    nginx,
    *,
    with_ui: bool,
    open_requests: dict[str, int] | None = None,
    **changes: object,
) -> Proxied:
    settings = assistant.settings.model_copy(update=changes)
    app = create_app(assistant, settings, with_ui=with_ui)
    seen: list[Seen] = []
    app.user_middleware.append(Middleware(Recorder, seen=seen))  # innermost: after the proxy handling
    app_url = serve(PacedStreams(app, STREAM_GAP), settings)
    return Proxied(nginx(int(app_url.rsplit(":", 1)[1]), open_requests), seen)


@pytest.fixture(scope="module")
def proxied(assistant, serve, nginx) -> Proxied:
    """As deployed: the app trusts nginx, requires API keys, and knows its public URL."""
    return _behind_nginx(
        assistant,
        serve,
        nginx,
        with_ui=True,
        trusted_proxies=["127.0.0.1/32"],
        api_keys=[KEY],
        public_url=f"https://{HOST}",
    )


@pytest.fixture(scope="module")
def untrusting(assistant, serve, nginx) -> Proxied:
    """The same proxy in front of an app that was not told to trust it."""
    return _behind_nginx(assistant, serve, nginx, with_ui=False)


def probe() -> dict[str, str]:
    return {"X-Probe": uuid.uuid4().hex}


# --- raw sockets for slow and malformed clients -----------------------------------------------------


def request_head(method: str, path: str, probe_id: str, **headers: str) -> bytes:
    """A request's line and headers as a client sends them, for our host, with the API key."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}",
        f"Authorization: Bearer {KEY}",
        f"X-Probe: {probe_id}",
    ]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket, limit: float = 10.0) -> bytes:
    """One response with a Content-Length, read to its end (nginx keeps a refused upload's connection
    open a while to drain the body, so waiting for the close would take seconds)."""
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < limit:
        head, _, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        if length and len(body) >= int(length[1]):
            break
        sock.settimeout(max(0.01, limit - (time.monotonic() - started)))
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


# --- the file itself ---------------------------------------------------------------------------------


def test_shipped_config_passes_nginx_syntax_check_unchanged(tmp_path):
    if reason := nginx_missing():
        pytest.skip(reason)
    main = tmp_path / "nginx.conf"
    main.write_text(main_config(CONFIG, tmp_path), encoding="utf-8")
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def _directive(name: str) -> list[str]:
    return re.findall(rf"^\s*{name} ([^;]+);", CONFIG.read_text(encoding="utf-8"), re.MULTILINE)


def _bytes(size: str) -> int:
    return int(size.rstrip("km")) * {"k": 1024, "m": MIB}.get(size[-1], 1)


def test_shipped_limits_match_the_apps_defaults():
    """The proxy refuses first: its limits are the app's defaults or tighter."""
    defaults = {name: info.default for name, info in Settings.model_fields.items()}
    assert _bytes(_directive("client_max_body_size")[0]) == defaults["max_body_bytes"]
    # nginx holds request headers in one small buffer plus the large ones; it adds ~100 bytes of its own.
    [small] = set(_directive("client_header_buffer_size"))
    [large] = set(_directive("large_client_header_buffers"))
    count, size = large.split()
    assert _bytes(small) + int(count) * _bytes(size) + 1024 <= defaults["max_header_bytes"]
    assert {float(t.rstrip("s")) for t in _directive("client_header_timeout")} == {defaults["header_timeout"]}
    upstream_keepalive = re.search(
        r"upstream article_assistant \{[^}]*keepalive_timeout (\d+)s;", CONFIG.read_text()
    )
    assert upstream_keepalive and float(upstream_keepalive[1]) < defaults["keep_alive_timeout"]
    limits = {zone: int(limit) for zone, limit in (v.split() for v in _directive("limit_conn"))}
    # Streams and everything else have budgets of their own, both within the app's connections, and
    # the proxy's streams within the app's stream budget (default half of them): nginx refuses first.
    assert limits["assistant_total"] + limits["assistant_streams"] < defaults["max_connections"]
    assert limits["assistant_streams"] < Settings().stream_budget
    assert (
        limits["assistant_per_client"]
        <= defaults["max_streams_per_client"]
        <= defaults["max_requests_per_client"]
    )


# --- who may reach what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/config"),
        ("GET", "/embed"),
        ("GET", "/healthz"),
        ("GET", "/docs"),
        ("GET", "/gradio_api/info"),
        ("POST", "/gradio_api/queue/join"),
        ("POST", "/gradio_api/call/chat"),
    ],
)
def test_chat_page_and_its_endpoints_need_basic_auth(proxied, method, path):
    with proxied.client() as client:
        headers = probe()
        refused = client.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert (
            refused.status_code == 401
            and refused.headers["www-authenticate"] == 'Basic realm="Article assistant"'
        )
        assert not proxied.seen_with(headers["X-Probe"])  # the app never saw it
        wrong = client.request(method, path, auth=(USER, "wrong"), json={} if method == "POST" else None)
        assert wrong.status_code == 401


def test_chat_page_with_the_right_password_is_served(proxied):
    with proxied.client() as client:
        page = client.get("/", auth=(USER, PASSWORD))
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert "server" not in page.headers or "nginx/" not in page.headers["server"]  # server_tokens off
        embed = client.get("/embed", auth=(USER, PASSWORD))
        assert embed.status_code == 200 and f"https://{HOST}/gradio.js" in embed.text  # ASSISTANT_PUBLIC_URL


def test_api_and_v1_are_left_to_the_apps_api_keys(proxied):
    with proxied.client("127.0.0.7") as client:
        for path, body in (("/api/ask", QUESTION), ("/v1/chat/completions", CHAT)):
            refused = client.post(path, json=body)
            assert refused.status_code == 401 and "API key" in refused.json()["detail"]  # the app's 401
            assert "basic" not in refused.headers.get("www-authenticate", "").lower()
        answer = client.post("/api/ask", json=QUESTION, headers=BEARER)
        assert answer.status_code == 200 and answer.json()["citations"]
        assert client.get("/v1/models", headers=BEARER).json()["data"][0]["id"]


def test_unknown_host_names_are_closed_without_an_answer(proxied):
    """The catch-all server's `return 444`: the connection closes; a request with a body may see the
    close as a reset, since the body was never read."""
    for method, body in (("GET", None), ("POST", QUESTION)):
        headers = probe()
        with proxied.client() as client, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.request(
                method, "/api/ask", json=body, headers={**BEARER, **headers, "Host": "evil.example.net"}
            )
        assert not proxied.seen_with(headers["X-Probe"])


# --- forwarded headers ------------------------------------------------------------------------------


def test_app_trusting_the_proxy_sees_the_client_address_and_the_proxys_host(proxied):
    headers = {**probe(), **SPOOFED}
    with proxied.client("127.0.0.2") as client:
        assert client.post("/api/ask", json=QUESTION, headers={**BEARER, **headers}).status_code == 200
        config = client.get("/config", auth=(USER, PASSWORD), headers=SPOOFED)
    [seen] = proxied.seen_with(headers["X-Probe"])
    assert seen.client == "127.0.0.2"  # from nginx's X-Forwarded-For, not nginx's own address
    assert seen.headers["host"] == HOST and seen.scheme == "http"
    assert "203.0.113.9" not in str(seen.headers) and "evil" not in str(seen.headers)  # the client's claims
    assert seen.headers["x-forwarded-host"] == HOST and seen.headers["x-forwarded-proto"] == "http"
    assert "forwarded" not in seen.headers and "x-real-ip" not in seen.headers
    assert config.json()["root"] == f"https://{HOST}"  # ASSISTANT_PUBLIC_URL, whatever the client claims


def test_app_not_trusting_the_proxy_sees_only_the_proxy(untrusting):
    headers = {**probe(), **SPOOFED}
    with untrusting.client("127.0.0.2") as client:
        assert client.post("/api/ask", json=QUESTION, headers=headers).status_code == 200
    [seen] = untrusting.seen_with(headers["X-Probe"])
    assert seen.client == "127.0.0.1"  # nginx itself: its X-Forwarded-For was not believed
    assert not [name for name in seen.headers if name.startswith("x-forwarded-")]


# --- streaming ---------------------------------------------------------------------------------------


def _arrivals(response: httpx.Response, done: bytes, limit: float = 30.0) -> list[tuple[float, bytes]]:
    """Each piece of the body as it came off the socket, with when; stops at ``done`` or ``limit``."""
    started = time.monotonic()
    pieces: list[tuple[float, bytes]] = []
    for piece in response.iter_raw():
        pieces.append((time.monotonic() - started, piece))
        if done in b"".join(p for _, p in pieces) or time.monotonic() - started > limit:
            break
    return pieces


def test_chat_answer_streams_through_the_proxy_in_pieces(proxied):
    """Gradio's queue stream: the answer's growing prefixes (30 ms apart) arrive one by one."""
    session = uuid.uuid4().hex
    auth = (USER, PASSWORD)
    with proxied.client("127.0.0.8") as client:
        dependencies = client.get("/config", auth=auth).json()["dependencies"]
        submit = next(d for d in dependencies if any(t[1] == "submit" for t in d["targets"]))
        # The question, then the page's server-side states (the client's values for them are ignored).
        states = [None] * (len(submit["inputs"]) - 1)
        body = {
            "data": ["Who wrote this article?", *states],
            "fn_index": submit["id"],
            "trigger_id": None,
            "session_hash": session,
        }
        joined = client.post("/gradio_api/queue/join", json=body, auth=auth)
        assert joined.status_code == 200, joined.text
        with client.stream(
            "GET", "/gradio_api/queue/data", params={"session_hash": session}, auth=auth
        ) as stream:
            assert stream.status_code == 200 and "content-encoding" not in stream.headers  # gzip off
            pieces = _arrivals(stream, b"process_completed")
    generating = [(when, piece) for when, piece in pieces if b"process_generating" in piece]
    assert b"process_completed" in b"".join(p for _, p in pieces)
    assert len(generating) >= 4, re.findall(rb"\"msg\":\"(\w+)\"", b"".join(p for _, p in pieces))
    assert generating[-1][0] - generating[0][0] >= 0.1


def test_v1_stream_arrives_through_the_proxy_in_several_chunks(proxied):
    with proxied.client("127.0.0.9") as client:
        with client.stream(
            "POST", "/v1/chat/completions", json={**CHAT, "stream": True}, headers=BEARER
        ) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith(
                "text/event-stream"
            )
            assert "content-encoding" not in stream.headers
            pieces = _arrivals(stream, b"data: [DONE]")
    text = b"".join(p for _, p in pieces).decode()
    events = [line for line in text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and len(events) >= 5
    # One piece per event, as they were sent: at least half of them apart, over most of the time taken.
    assert len(pieces) >= len(events) // 2, [len(p) for _, p in pieces]
    assert pieces[-1][0] - pieces[0][0] >= STREAM_GAP * (len(events) - 1) / 2


@pytest.mark.browser
def test_chat_page_answers_in_chromium_through_the_proxy(
    proxied, browser_type: BrowserType, browser_type_launch_args
):
    """The whole page through nginx: signed in with basic auth, ~62 assets, the answer streamed in."""
    port = proxied.url.rsplit(":", 1)[1]
    rules = f"--host-resolver-rules=MAP {HOST} 127.0.0.1"
    browser = browser_type.launch(
        **{**browser_type_launch_args, "args": [*browser_type_launch_args["args"], rules]}
    )
    try:
        context = browser.new_context(http_credentials={"username": USER, "password": PASSWORD})
        page = context.new_page()
        page.goto(f"http://{HOST}:{port}/", timeout=30_000)
        box = page.locator("#aa-question textarea")
        box.fill("Who wrote this article?")
        box.press("Enter")
        answer = page.locator(".aa-answer").last
        expect(answer.locator(".aa-sources")).to_contain_text("Patrick Henningsen", timeout=30_000)
        expect(answer.locator(".aa-text")).to_contain_text("[1]")
    finally:
        browser.close()


# --- limits ------------------------------------------------------------------------------------------


def test_body_over_1_mib_gets_413_from_nginx_before_it_is_sent(proxied):
    headers = probe()
    with connect(proxied.url, "127.0.0.10") as sock:
        sock.sendall(
            request_head(
                "POST",
                "/api/ask",
                headers["X-Probe"],
                Content_Type="application/json",
                Content_Length=str(MIB + 1),
            )
        )
        response = read_response(sock)
    assert status_of(response) == 413, response[:300]
    assert "1,048,576 bytes" in body_of(response)["detail"]
    assert body_of(response)["error"]["type"] == "invalid_request_error"
    assert not proxied.seen_with(headers["X-Probe"])


def test_chunked_body_over_1_mib_gets_413_from_nginx(proxied):
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "Who wrote the article?", "padding": "'
        for _ in range(40):
            yield b"x" * 65536

    with proxied.client("127.0.0.10") as client:
        refused = client.post(
            "/api/ask", content=chunks(), headers={**BEARER, "Content-Type": "application/json"}
        )
    assert refused.status_code == 413 and refused.json()["error"]["type"] == "invalid_request_error"


def test_body_of_exactly_1_mib_passes_the_proxy_and_the_app(proxied):
    """nginx and the app draw the line at the same byte."""
    head = json.dumps(QUESTION).encode()
    body = head[:-1] + b" " * (MIB - len(head)) + b"}"
    assert len(body) == MIB
    with proxied.client("127.0.0.10") as client:
        answer = client.post("/api/ask", content=body, headers={**BEARER, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text


def test_headers_nginx_accepts_fit_the_app_and_larger_ones_are_refused_by_nginx(proxied):
    """large_client_header_buffers 2 7k: a line over 7 KB, or more than two lines that size, get 400."""
    with proxied.client("127.0.0.11") as client:
        headers = probe()
        largest = {"X-Big-1": "a" * 7000, "X-Big-2": "b" * 7000}  # about the most nginx lets through
        assert (
            client.get("/healthz", auth=(USER, PASSWORD), headers={**headers, **largest}).status_code == 200
        )
        assert proxied.seen_with(headers["X-Probe"])  # and the app (16 KB cap) took it
        for big in ({"X-Big": "a" * 7300}, {f"X-Big-{i}": "a" * 5000 for i in range(3)}):
            headers = probe()
            refused = client.get("/healthz", auth=(USER, PASSWORD), headers={**headers, **big})
            assert refused.status_code == 400, refused.text[:200]
            assert not proxied.seen_with(headers["X-Probe"])


def test_burst_of_questions_beyond_the_rate_limit_gets_429(proxied):
    """rate=2r/s burst=10 nodelay: eleven pass at once, the rest of a fast burst get 429.

    nginx counts a request before the app sees it, so the burst is of questions the app refuses at
    once (an empty question, 422): the burst outruns the 2 r/s refill however long an answer takes on
    this machine, and ``elapsed`` still bounds how many the refill may have let through."""
    statuses: list[int] = []
    with proxied.client("127.0.0.3") as client:
        started = time.monotonic()
        for _ in range(30):
            response = client.post("/api/ask", json={"question": ""}, headers=BEARER)
            statuses.append(response.status_code)
            if response.status_code == 429:
                refusal = response
        elapsed = time.monotonic() - started
    passed = statuses.count(422)
    assert set(statuses) == {422, 429}, statuses
    assert 11 <= passed <= 11 + 2 * elapsed + 1, (passed, elapsed)
    assert refusal.json()["error"]["type"] == "rate_limit_error" and refusal.headers["retry-after"] == "1"
    with proxied.client("127.0.0.4") as client:  # another address has its own allowance, and is answered
        assert client.post("/api/ask", json=QUESTION, headers=BEARER).status_code == 200


def test_open_requests_per_client_are_capped_with_429(proxied):
    """limit_conn 32: 32 open event streams (the page's heartbeats) from one address, the 33rd refused."""
    auth = httpx.BasicAuth(USER, PASSWORD)
    limits = httpx.Limits(max_connections=40, max_keepalive_connections=40)
    with proxied.client("127.0.0.5", limits=limits) as client, ExitStack() as streams:
        for number in range(32):
            opened = streams.enter_context(
                client.stream("GET", f"/gradio_api/heartbeat/s{number}", auth=auth)
            )
            assert opened.status_code == 200
        refused = client.get("/config", auth=auth)
        assert refused.status_code == 429
    with proxied.client("127.0.0.6") as client:
        assert client.get("/config", auth=auth).status_code == 200


def test_streams_from_many_addresses_never_take_the_apis_connections(assistant, serve, nginx):
    """The chat page's streams have a budget of their own (assistant_streams), so heartbeats from many
    addresses fill that, not the open requests /healthz and the APIs need. Both budgets scaled to 8."""
    proxied = _behind_nginx(
        assistant,
        serve,
        nginx,
        with_ui=True,
        open_requests={"assistant_streams": 8, "assistant_total": 8},
        trusted_proxies=["127.0.0.1/32"],
        api_keys=[KEY],
    )
    auth = httpx.BasicAuth(USER, PASSWORD)
    with ExitStack() as streams:
        for number in range(8):  # four addresses, two tabs' heartbeats each
            client = streams.enter_context(proxied.client(f"127.0.0.{30 + number // 2}"))
            opened = streams.enter_context(
                client.stream("GET", f"/gradio_api/heartbeat/m{number}", auth=auth)
            )
            assert opened.status_code == 200
        with proxied.client("127.0.0.40") as client:
            assert client.get("/gradio_api/heartbeat/m8", auth=auth).status_code == 429  # streams full
            assert client.get("/healthz", auth=auth).status_code == 200
            assert client.post("/api/ask", json=QUESTION, headers=BEARER).status_code == 200


# --- slow clients ------------------------------------------------------------------------------------


def test_client_sending_half_its_headers_is_cut_off_by_nginx(proxied):
    with connect(proxied.url, "127.0.0.12") as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n".encode())  # headers never end
        received, after = read_until_closed(sock)
    assert b"<still open>" not in received and CLIENT_TIMEOUT * 0.8 < after < CLIENT_TIMEOUT + 4, (
        received,
        after,
    )


def test_body_that_stops_arriving_is_cut_off_by_nginx_and_never_reaches_the_app(proxied):
    headers = probe()
    with connect(proxied.url, "127.0.0.12") as sock:
        head = request_head(
            "POST", "/api/ask", headers["X-Probe"], Content_Type="application/json", Content_Length="100"
        )
        sock.sendall(head + b'{"question": ')
        received, after = read_until_closed(sock)
    assert b"<still open>" not in received and CLIENT_TIMEOUT * 0.8 < after < CLIENT_TIMEOUT + 4, (
        received,
        after,
    )
    assert status_of(received) in {0, 408}, received[:200]
    assert not proxied.seen_with(headers["X-Probe"])


def test_idle_keep_alive_connection_is_closed_by_nginx(proxied):
    with connect(proxied.url, "127.0.0.12") as sock:
        sock.sendall(
            f"GET /v1/models HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()
        )
        received, after = read_until_closed(sock)
    assert status_of(received) == 200 and CLIENT_TIMEOUT * 0.8 < after < CLIENT_TIMEOUT + 4, (
        received[:100],
        after,
    )


def test_app_down_gives_a_503_with_a_message(nginx):
    url = nginx(free_port())  # nothing listens there
    with httpx.Client(base_url=url, headers={"Host": HOST}, timeout=30) as client:
        response = client.post("/api/ask", json=QUESTION)
    assert response.status_code == 503 and "not reachable" in response.json()["detail"]
    assert response.json()["error"]["type"] == "server_error"
