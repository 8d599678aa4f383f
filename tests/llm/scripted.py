"""A SCRIPTED model server: real HTTP on loopback, OpenAI's chat-completions wire format, replies
chosen by the test. Not a model: it is how tests make a backend fail deterministically (HTTP 500, a
timeout, garbage, an unknown [n], an invented quote), which a real model will not do on demand.

    with ScriptedServer() as server:
        server.script(Reply.text("The author says so. [1]"), Reply.status(500))
        ... ASSISTANT_LLM_BASE_URL=server.base_url ...
        server.requests  # the JSON bodies received, in order

Each request takes the next scripted reply; when the script runs out, ``default`` answers.
``stream: true`` requests get the same text as server-sent events, one word a chunk.

The model's two other jobs have scripts of their own, so a test scripting answers is not thrown off
by them: a judgement (a request for ``logprobs``, ``assistant.answer.llm.judge``) takes the next of
``judge(...)`` (by default "Yes" at log-probability -0.01, "No" at -4.6: the answer is kept), and a
follow-up's rewrite (the standalone-question prompt, ``llm_standalone.toml``) the next of
``rewrite(...)`` (by default the reader's question unchanged).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "scripted"
HOLD_LIMIT = 60.0


@dataclass(frozen=True)
class Reply:
    """One scripted reply: a completion's text (fixed, or written from the request), an HTTP status,
    raw bytes, or a delay first."""

    content: str | None = None
    status: int = 200
    raw: bytes | None = None
    delay: float = 0.0
    pace: float = 0.0
    """Seconds between streamed words (a model writing)."""
    content_type: str = "application/json"
    written: Callable[[dict[str, Any]], str] | None = None
    cut: bool = False
    """A streamed reply stops after its text: no finishing chunk, no [DONE] (a server dying mid-answer)."""
    hold: threading.Event | None = None
    """A streamed reply waits for this before its finishing chunk (at most ``HOLD_LIMIT`` s), so a
    test can look at the unfinished stream without racing the end of it."""

    @classmethod
    def text(cls, content: str, delay: float = 0.0) -> Reply:
        return cls(content=content, delay=delay)

    @classmethod
    def from_request(cls, write: Callable[[dict[str, Any]], str], delay: float = 0.0) -> Reply:
        """A text made from the request's JSON body (e.g. citing the sentences it was shown)."""
        return cls(written=write, delay=delay)

    def content_for(self, body: dict[str, Any]) -> str:
        return self.written(body) if self.written is not None else self.content or ""

    @classmethod
    def error(cls, status: int) -> Reply:
        return cls(status=status, raw=json.dumps({"error": {"message": "scripted failure"}}).encode())

    @classmethod
    def garbage(cls, raw: bytes = b'{"choices": [{"message": ') -> Reply:
        return cls(raw=raw)

    @classmethod
    def paced(cls, content: str, pace: float) -> Reply:
        """The text streamed a word every ``pace`` seconds."""
        return cls(content=content, pace=pace)

    @classmethod
    def malformed_stream(cls, start: str = "Iran fired") -> Reply:
        """A stream that begins well, then sends a chunk that is not JSON."""
        good = _chunk({"role": "assistant", "content": ""}) + _chunk({"content": start})
        return cls(raw=good + b'data: {"choices": [{"delta": \n\n', content_type="text/event-stream")

    @classmethod
    def cut_stream(cls, start: str = "Iran fired") -> Reply:
        """A stream that stops mid-answer: no finishing chunk, no [DONE]."""
        good = _chunk({"role": "assistant", "content": ""}) + _chunk({"content": start})
        return cls(raw=good, content_type="text/event-stream")


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": MODEL,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


_LATEST_QUESTION = re.compile(r"Latest question: (.*)\n")
"""How a rewrite request is told from an answer request (``prompts/llm_standalone.toml``)."""


def judgement(yes: float, no: float) -> dict[str, Any]:
    """A one-token completion with its top log-probabilities, as llama.cpp's server sends them."""
    first = "Yes" if yes >= no else "No"
    top = [{"token": "Yes", "logprob": yes, "bytes": None}, {"token": "No", "logprob": no, "bytes": None}]
    body = completion(first)
    body["choices"][0]["logprobs"] = {
        "content": [{"token": first, "logprob": max(yes, no), "bytes": None, "top_logprobs": top}]
    }
    body["choices"][0]["finish_reason"] = "length"
    return body


def _chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-reply is what the tests of cancelled answers do: not an error to
        print (socketserver prints a traceback into the test run's output). Anything else still is."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ScriptedServer:
    """The server, on 127.0.0.1 and a free port, in a daemon thread while the ``with`` block lasts."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply.text("The article does not say. [1]")
        self.requests: list[dict[str, Any]] = []
        self.judged: list[dict[str, Any]] = []
        """The judgement requests received, in order (not in ``requests``)."""
        self.rewritten: list[dict[str, Any]] = []
        """The rewrite requests received, in order (not in ``requests``)."""
        self._script: deque[Reply] = deque()
        self._judgements: deque[tuple[float, float] | None] = deque()
        self._rewrites: deque[str | Reply] = deque()
        self._lock = threading.Lock()
        self._http = _HTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script = deque(replies)
            self.requests.clear()

    def judge(self, *verdicts: tuple[float, float] | None) -> None:
        """The next judgements: (log-probability of "Yes", of "No") each; None: a plain "Yes" without
        log-probabilities (a server that does not give them)."""
        with self._lock:
            self._judgements = deque(verdicts)
            self.judged.clear()

    def rewrite(self, *questions: str | Reply) -> None:
        """The next rewrites' replies (a ``Reply`` for one that is late or fails)."""
        with self._lock:
            self._rewrites = deque(questions)
            self.rewritten.clear()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if body.get("logprobs"):
                self.judged.append(body)
                verdict = self._judgements.popleft() if self._judgements else (-0.01, -4.6)
                plain = completion("Yes")
                return Reply(raw=json.dumps(judgement(*verdict) if verdict else plain).encode())
            asked = _LATEST_QUESTION.search(str(body.get("messages", [{}])[-1].get("content", "")))
            if asked:
                self.rewritten.append(body)
                written = self._rewrites.popleft() if self._rewrites else asked.group(1)
                return written if isinstance(written, Reply) else Reply.text(written)
            self.requests.append(body)
            return self._script.popleft() if self._script else self.default

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": [{"id": MODEL}]}).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = server._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    if reply.raw is not None:
                        self._send(reply.status, reply.raw, reply.content_type)
                    elif body.get("stream"):
                        self._stream(reply.content_for(body), reply.pace, reply.hold, reply.cut)
                    else:
                        self._send(reply.status, json.dumps(completion(reply.content_for(body))).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to do

            def _stream(self, content: str, pace: float, hold: threading.Event | None, cut: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(_chunk({"role": "assistant", "content": ""}))
                for word in re.split(r"(?<= )", content):
                    self.wfile.write(_chunk({"content": word}))
                    self.wfile.flush()
                    time.sleep(pace)
                self.close_connection = True
                if cut:
                    return
                if hold is not None:
                    hold.wait(HOLD_LIMIT)
                self.wfile.write(_chunk({}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler
