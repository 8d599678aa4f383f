"""Bounded connections and requests over real sockets, on servers started with `assistant serve`'s own
uvicorn configuration (assistant.web.serving); forwarded headers; the OpenAI error object on
every /v1 error."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from typer.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import app as cli
from assistant.errors import AnswerTimeout, InvalidConfiguration
from assistant.web.app import create_app
from assistant.web.serving import RESERVED_FILE_DESCRIPTORS, connection_limits
from tests.web.sockets import body_of, connect, read_until_closed, status_of

pytestmark = [pytest.mark.integration, pytest.mark.server]

KEY = "k3y-for-the-http-limits-tests"
EVIL = "evil.example.net"
QUESTION = {"question": "Who wrote the article?"}
CHAT = {"model": "article-assistant", "messages": [{"role": "user", "content": "Who wrote the article?"}]}


def _settings(assistant: Assistant, **changes: Any) -> Settings:
    return assistant.settings.model_copy(update=changes)


@pytest.fixture(scope="module")
def strict(assistant, serve) -> tuple[str, Settings]:
    """The whole app (chat UI included) with short deadlines and the default size limits."""
    settings = _settings(
        assistant, header_timeout=1.5, keep_alive_timeout=0.5, body_timeout=1.0, max_connections=40
    )
    return serve(create_app(assistant, settings), settings), settings


@pytest.fixture()
def url(strict) -> str:
    return strict[0]


@pytest.fixture()
def refusals(caplog) -> Callable[[socket.socket], list[str]]:
    """The warning lines logged about one client socket (matched by its port)."""
    caplog.set_level(logging.WARNING, logger="assistant")

    def about(sock: socket.socket) -> list[str]:
        port = f"127.0.0.1:{sock.getsockname()[1]}"
        return [
            r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and port in r.getMessage()
        ]

    return about


# --- slow and silent clients ------------------------------------------------------------------------


def test_client_sending_half_its_headers_is_disconnected_after_the_header_timeout(url, refusals):
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: headers never end
        received, after = read_until_closed(sock)
        assert received == b"" and 1.2 < after < 5, (received, after)
        assert len(refusals(sock)) == 1 and "request headers incomplete after 1.5 s" in refusals(sock)[0]


def test_trickling_headers_do_not_extend_the_header_deadline(url):
    with connect(url) as sock:
        started = time.monotonic()
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40:
            if time.monotonic() - started > 8:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.1)
        received, _ = read_until_closed(sock, limit=5)
        assert closed or received == b""
        assert time.monotonic() - started < 6


def test_silent_connection_is_closed_after_the_header_timeout(url):
    with connect(url) as sock:
        received, after = read_until_closed(sock)
        assert received == b"" and 1.2 < after < 5, (received, after)


def test_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout(url):
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received, after = read_until_closed(sock)
        assert received.startswith(b"HTTP/1.1 200") and b"<still open>" not in received
        assert after < 1.4, after  # keep-alive 0.5 s (well before the 1.5 s header deadline)


# --- sizes -------------------------------------------------------------------------------------------


def test_64_kb_header_gets_431_and_is_logged(url, refusals):
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
        received, _ = read_until_closed(sock)
        status, body = status_of(received), body_of(received)
        assert status == 431 and "request headers too large" in body["detail"] and "16,384" in body["detail"]
        assert len(refusals(sock)) == 1 and " 431 " in refusals(sock)[0]


def test_header_arriving_in_pieces_past_the_limit_gets_431(url):
    with connect(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        for _ in range(5):
            with contextlib.suppress(OSError):
                sock.sendall(b"b" * 8192)
        received, _ = read_until_closed(sock)
        assert status_of(received) == 431


def test_body_over_the_limit_by_content_length_gets_413_before_any_of_it_is_sent(url, refusals):
    with connect(url) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 300000000\r\n\r\n"
        )
        received, after = read_until_closed(sock)  # we send no body at all: the server never waits for it
        status, body = status_of(received), body_of(received)
        assert status == 413 and after < 1.0
        assert "300,000,000 bytes" in body["detail"] and "ASSISTANT_MAX_BODY_BYTES" in body["detail"]
        assert "error" not in body  # not under /v1
        assert len(refusals(sock)) == 1 and "refused POST /api/ask" in refusals(sock)[0]


def test_chunked_body_over_the_limit_gets_413_as_soon_as_it_passes(url):
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(1000):  # 64 MB if it were all read
            sent += 65536
            yield b"a" * 65536

    response = httpx.post(f"{url}/api/ask", content=chunks(), timeout=30)
    assert response.status_code == 413 and "still arriving" in response.json()["detail"]
    assert sent < 16 * 1024 * 1024, sent  # the rest was never asked for (socket buffers took some)


def test_body_that_stops_arriving_gets_408_after_the_body_timeout(url, refusals):
    with connect(url) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 500\r\n\r\n{"model": '
        )
        received, after = read_until_closed(sock)
        status, body = status_of(received), body_of(received)
        assert status == 408 and 0.8 < after < 4
        assert body["error"]["type"] == "invalid_request_error" and "ASSISTANT_BODY_TIMEOUT" in body["detail"]
        assert len(refusals(sock)) == 1 and " 408 " in refusals(sock)[0]


def test_largest_valid_request_fits_the_default_body_limit(url, strict):
    """2,000-character question, 50 turns of history: user turns of 2,000 emoji, long answers."""
    settings = strict[1]
    user = "🚀" * settings.max_question_chars
    answer = "The author argues: “" + "x" * 1200 + "” [1]"
    history = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": user if n % 2 == 0 else answer}
        for n in range(settings.max_history_turns)
    ]
    body = json.dumps({"question": "Who wrote the article? " + "x" * 1970, "history": history}).encode()
    assert 600_000 < len(body) < settings.max_body_bytes
    response = httpx.post(
        f"{url}/api/ask", content=body, headers={"content-type": "application/json"}, timeout=30
    )
    assert response.status_code == 200


# --- crowds ------------------------------------------------------------------------------------------


def test_300_silent_sockets_do_not_stop_an_answer_and_the_oldest_are_closed(assistant, serve, caplog):
    caplog.set_level(logging.WARNING, logger="assistant")
    settings = _settings(assistant, header_timeout=60.0, max_connections=20)
    base_url = serve(create_app(assistant, settings, with_ui=False), settings)
    with contextlib.ExitStack() as stack:
        silent = [stack.enter_context(connect(base_url)) for _ in range(300)]
        started = time.monotonic()
        response = httpx.post(f"{base_url}/api/ask", json=QUESTION, timeout=30)
        assert response.status_code == 200 and time.monotonic() - started < 10
        still_open = 0
        for sock in silent:
            sock.settimeout(0.01)
            try:
                still_open += sock.recv(1) != b""
            except TimeoutError:
                still_open += 1
            except ConnectionResetError:
                pass
        assert still_open <= settings.max_connections
    evictions = [r for r in caplog.records if "connection limit 20 reached" in r.getMessage()]
    assert len(evictions) >= 300 - settings.max_connections


def test_when_every_connection_is_busy_a_new_one_gets_503_at_once(index_dir, embeddings, serve, reranker):
    busy = Assistant(Settings(index_dir=index_dir), embeddings=embeddings, reranker=reranker)
    busy.open()
    release, entered = threading.Event(), threading.Semaphore(0)
    answer = busy.ask

    def blocked_ask(question, history=(), cancel=None):
        entered.release()
        release.wait(20)
        return answer(question, history, cancel=cancel)

    busy.ask = blocked_ask  # type: ignore[method-assign]
    settings = _settings(busy, max_connections=16, request_timeout=30.0)
    base_url = serve(create_app(busy, settings, with_ui=False), settings)
    results: list[int] = []
    askers = [
        threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{base_url}/api/ask", json=QUESTION, timeout=30).status_code
            )
        )
        for _ in range(16)
    ]
    try:
        for asker in askers:
            asker.start()
        assert all(entered.acquire(timeout=20) for _ in askers)
        with connect(base_url) as sock:
            received, after = read_until_closed(sock, limit=5)
        assert received.startswith(b"HTTP/1.1 503") and b"too many open connections" in received
        assert after < 2
    finally:
        release.set()
        for asker in askers:
            asker.join(30)
    assert results == [200] * 16


# --- forwarded headers and caching -------------------------------------------------------------------

SPOOFED = {
    "X-Forwarded-Host": EVIL,
    "X-Forwarded-Proto": "https",
    "Forwarded": f"host={EVIL};proto=https",
    "X-Gradio-Server": f"https://{EVIL}",
}


def test_forwarded_headers_from_an_untrusted_client_are_ignored(url):
    embed = httpx.get(f"{url}/embed", headers=SPOOFED)
    assert EVIL not in embed.text and f"{url}/gradio.js" in embed.text
    assert httpx.get(f"{url}/config", headers=SPOOFED).json()["root"] == url


def test_forwarded_headers_from_a_trusted_proxy_are_honoured(assistant, serve):
    settings = _settings(assistant, trusted_proxies=["127.0.0.1/32"])
    base_url = serve(create_app(assistant, settings), settings)
    headers = {"X-Forwarded-Host": "assistant.example.com", "X-Forwarded-Proto": "https"}
    embed = httpx.get(f"{base_url}/embed", headers=headers)
    assert "https://assistant.example.com/gradio.js" in embed.text
    assert httpx.get(f"{base_url}/config", headers=headers).json()["root"] == "https://assistant.example.com"
    gradio_server = {**headers, "X-Gradio-Server": f"https://{EVIL}"}  # never believed, not even from a proxy
    assert (
        httpx.get(f"{base_url}/config", headers=gradio_server).json()["root"]
        == "https://assistant.example.com"
    )
    assert "x-forwarded-host" in embed.headers["vary"].lower()


def test_public_url_is_what_embed_shows_whatever_the_host(assistant, serve):
    settings = _settings(assistant, public_url="https://ask.example.org/assistant")
    base_url = serve(create_app(assistant, settings, with_ui=False), settings)
    embed = httpx.get(f"{base_url}/embed", headers={"Host": EVIL})
    assert "https://ask.example.org/assistant/gradio.js" in embed.text and EVIL not in embed.text


@pytest.mark.parametrize("path", ["/", "/config", "/embed"])
def test_pages_built_from_the_host_are_never_cached(url, path):
    response = httpx.get(f"{url}{path}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "host" in [v.strip().lower() for v in response.headers["vary"].split(",")]


# --- /v1 errors carry OpenAI's error object ----------------------------------------------------------


def _openai_error(response: httpx.Response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"] == body["detail"] and body["error"]["type"] == kind
    return body


def test_v1_unknown_path_and_wrong_method_get_openai_errors(url):
    _openai_error(httpx.get(f"{url}/v1/engines"), 404, "not_found_error")
    wrong = httpx.get(f"{url}/v1/chat/completions")
    _openai_error(wrong, 405, "invalid_request_error")
    assert wrong.headers["allow"] == "POST"
    assert "error" not in httpx.get(f"{url}/api/nothing-here").json()  # outside /v1: {"detail"} only


def test_v1_too_large_and_malformed_bodies_get_openai_errors(url):
    big = httpx.post(f"{url}/v1/chat/completions", content=b"{" + b" " * 2_000_000 + b"}")
    _openai_error(big, 413, "invalid_request_error")
    broken = httpx.post(
        f"{url}/v1/chat/completions", content=b'{"messages": [', headers={"content-type": "application/json"}
    )
    _openai_error(broken, 422, "invalid_request_error")
    empty = httpx.post(f"{url}/v1/chat/completions", json={"model": "m", "messages": []})
    assert _openai_error(empty, 422, "invalid_request_error")["error"]["param"] == "messages"


def test_v1_without_a_key_gets_authentication_error(assistant, serve):
    settings = _settings(assistant, api_keys=[KEY])
    base_url = serve(create_app(assistant, settings, with_ui=False), settings)
    _openai_error(httpx.post(f"{base_url}/v1/chat/completions", json=CHAT), 401, "authentication_error")
    _openai_error(
        httpx.get(f"{base_url}/v1/engines"), 401, "authentication_error"
    )  # no key, no map of routes
    with_key = httpx.get(f"{base_url}/v1/engines", headers={"Authorization": f"Bearer {KEY}"})
    _openai_error(with_key, 404, "not_found_error")


def test_v1_server_failures_are_server_errors(index_dir, embeddings, serve, reranker):
    faulty = Assistant(Settings(index_dir=index_dir), embeddings=embeddings, reranker=reranker)
    faulty.open()

    def failing_ask(question, history=(), cancel=None):
        if "slow" in question:
            raise AnswerTimeout("answering took longer than 10 s: the index or the model is not responding")
        raise RuntimeError("injected fault")

    faulty.ask = failing_ask  # type: ignore[method-assign]
    settings = faulty.settings
    base_url = serve(create_app(faulty, settings, with_ui=False), settings)
    crashed = httpx.post(f"{base_url}/v1/chat/completions", json=CHAT)
    assert "injected fault" not in _openai_error(crashed, 500, "server_error")["detail"]
    slow = {**CHAT, "messages": [{"role": "user", "content": "a slow one?"}]}
    _openai_error(httpx.post(f"{base_url}/v1/chat/completions", json=slow), 503, "server_error")
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.InternalServerError, match="internal error"):
        client.chat.completions.create(**CHAT)


# --- start-up ----------------------------------------------------------------------------------------


def test_serve_with_a_host_that_does_not_resolve_says_so_in_one_line(monkeypatch):
    monkeypatch.setenv("ASSISTANT_HOST", "no-such-host.invalid")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "Error: ASSISTANT_HOST 'no-such-host.invalid' does not resolve"
    )


def test_serve_on_a_port_in_use_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port} (Address already in use): another process listens "
        "there: stop it or choose another ASSISTANT_PORT / --port"
    )


def test_connection_cap_stays_below_the_open_files_limit():
    settings = Settings(max_connections=5000)
    assert connection_limits(settings, open_files=1024).max_connections == 1024 - RESERVED_FILE_DESCRIPTORS
    assert connection_limits(settings, open_files=100_000).max_connections == 5000
    with pytest.raises(InvalidConfiguration, match="open-files limit is 200"):
        connection_limits(settings, open_files=200)
