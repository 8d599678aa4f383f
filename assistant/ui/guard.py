"""What an outsider may ask of the mounted Gradio app: the routes the chat page uses, with text only.

Gradio mounts some eighty routes (uploads, file serving, streams, run history, live editing…); the chat
page and ``gradio_client`` need a dozen. Everything else answers 404 before Gradio sees it — deny by
default, so a route a new Gradio release adds stays closed until it is opened here on purpose.

The JSON body of every allowed ``POST`` is read before Gradio sees it, and a file reference anywhere in
it (an object with a ``path``: Gradio's ``FileData``) is refused. Gradio copies such a path into its
cache and serves it back, and mounting (unlike ``launch()``) never switches on its own check, so one
crafted chat message could read any file the service can read. The chat takes text only, so no
client-supplied file is ever legitimate. The body must also be plain JSON of a bounded depth (a
hundred thousand nested brackets once made the parser's recursion a 500 with a traceback), and what it
asks of the page's events must fit them (``assistant.ui.calls``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from starlette._utils import get_route_path
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.ui.calls import EventRules

logger = logging.getLogger(__name__)

# Gradio's own marker of a file object; "path" is what makes Gradio read a server file.
FILE_KEYS = frozenset({"path", "meta"})
# The chat's payloads are a question, a short history and Gradio's envelope: far below this.
MAX_GRADIO_BODY_BYTES = 256 * 1024
# The chat's payloads nest a handful of levels (envelope, data, history, message, content part).
MAX_JSON_DEPTH = 32
TOO_DEEP = f"the request body nests deeper than {MAX_JSON_DEPTH} levels; the chat sends short, flat JSON"


@dataclass(frozen=True)
class Opening:
    """One route the page or ``gradio_client`` uses: its methods and its path (a full-match regex)."""

    methods: frozenset[str]
    path: re.Pattern[str]

    def admits(self, method: str, path: str) -> bool:
        return method in self.methods and self.path.fullmatch(path) is not None


def _opening(methods: str, path: str) -> Opening:
    return Opening(frozenset(methods.split()), re.compile(path))


READ = "GET HEAD"
# Path segments of bundled files: no empty, hidden or dot-dot segment can match.
FILES = r"[\w@-][\w.@-]*(/[\w@-][\w.@-]*)*"
OPENINGS: tuple[Opening, ...] = (
    # The page: its HTML, configuration, theme, bundled scripts, styles and fonts.
    _opening(READ, r"/"),
    _opening(READ, r"/config/?"),
    _opening(READ, r"/(gradio_api/)?theme\.css"),
    _opening(READ, rf"/assets/{FILES}"),
    _opening(READ, rf"/static/{FILES}"),
    _opening(READ, r"/favicon\.ico"),
    # The queue that streams answers to the page, and its bookkeeping.
    _opening("POST", r"/gradio_api/queue/join"),
    _opening("GET", r"/gradio_api/queue/data"),
    _opening("POST", r"/gradio_api/cancel"),
    _opening("GET", r"/gradio_api/heartbeat/[\w-]+"),
    _opening("GET", r"/gradio_api/startup-events"),
    # gradio_client: the API description and the one public endpoint.
    _opening("GET", r"/gradio_api/info/?"),
    _opening("POST", r"/gradio_api/call/(v2/)?chat/?"),
    _opening("GET", r"/gradio_api/call/(v2/)?chat/[\w-]+"),
)


def is_open(method: str, path: str) -> bool:
    return any(opening.admits(method, path) for opening in OPENINGS)


def file_references(value: object) -> Iterator[object]:
    """Every object in a JSON value that names a file (has ``path`` or Gradio's ``meta``)."""
    if isinstance(value, dict):
        if FILE_KEYS & value.keys():
            yield value
        for item in value.values():
            yield from file_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_references(item)


def json_depth(value: object) -> int:
    """How deeply ``value``'s lists and objects nest (0 for a scalar), without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth) for child in children if isinstance(child, dict | list))
    return deepest


class GradioGuard:
    """ASGI wrapper around the mounted Gradio app: closed routes → 404; file references, bodies that are
    not shallow JSON and calls that do not fit the page's events (``rules``) → 400."""

    def __init__(self, app: ASGIApp, rules: EventRules | None = None) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        path = get_route_path(scope) or "/"
        if scope["type"] != "http" or not is_open(method, path):
            await self._refuse(scope, receive, send, 404, "Not Found", f"closed route {method} {path}")
            return
        if method != "POST":
            await _without_late_errors(self.app, scope, receive, send, path)
            return
        body = await _read_body(receive, MAX_GRADIO_BODY_BYTES)
        if body is None:
            detail = f"the request body is over {MAX_GRADIO_BODY_BYTES} bytes; the chat takes short text"
            await self._refuse(scope, receive, send, 413, detail, f"oversized body on {path}")
            return
        problem = _body_problem(body, path, self.rules)
        if problem:
            await self._refuse(scope, receive, send, 400, problem, f"{problem} on {path}")
            return
        await _without_late_errors(self.app, scope, _replay(body, receive), send, path)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, log: str) -> None:
        client = (scope.get("client") or ("?", 0))[0]
        logger.warning("refused %s from %s: %s", status, client, log)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


async def _without_late_errors(app: ASGIApp, scope: Scope, receive: Receive, send: Send, path: str) -> None:
    """Run Gradio; an error it raises after its response has started is one log line, not a traceback.

    Gradio's event stream tells the client "session not found" and then raises (any client can ask
    for an unknown session): the answer is already on its way, so the error is only noise for the log.
    """
    started = finished = False

    async def watch(message: Message) -> None:
        nonlocal started, finished
        started = started or message["type"] == "http.response.start"
        finished = finished or (message["type"] == "http.response.body" and not message.get("more_body"))
        await send(message)

    try:
        await app(scope, receive, watch)
    except Exception as error:
        if not started:
            raise
        logger.warning("gradio ended its response on %s with: %s", path, error)
        if not finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _body_problem(body: bytes, path: str, rules: EventRules | None) -> str | None:
    """Why a Gradio request body is refused, or None when it is shallow JSON without file references
    that fits the page's events."""
    if not body:
        return None
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return "the request body is not valid JSON"
    except RecursionError:
        return TOO_DEEP
    if json_depth(payload) > MAX_JSON_DEPTH:
        return TOO_DEEP
    if next(file_references(payload), None) is not None:
        return "the chat accepts text only: file references are refused"
    return rules.problem(path, payload) if rules is not None else None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows past ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to Gradio, then waits as the original would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
