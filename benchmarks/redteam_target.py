"""The server a red-team run attacks (benchmarks/redteam.py), and what its attackers see of it.

``served`` starts `assistant serve` with default settings (and API keys), optionally behind Debian's nginx
with deploy/nginx.conf; a ``Tally`` records what one attack was answered (statuses, sizes, tracebacks,
the server's paths); a ``Prober`` asks /healthz and a keyed /api/ask while an attack runs; ``Addresses``
hands out loopback addresses, since nginx and the app count their allowances per address.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import common
import httpx

if str(common.ROOT) not in sys.path:  # the tests' nginx and raw sockets
    sys.path.insert(0, str(common.ROOT))

from tests.web import nginx  # noqa: E402
from tests.web.sockets import connect, read_head  # noqa: E402

KEY = "red-team-key-of-this-run"
BEARER = {"Authorization": f"Bearer {KEY}"}
PROBE_QUESTION = "Who wrote the article?"
PROBE_GAP = 0.5  # seconds between two rounds of the prober
TRACEBACK = "Traceback (most recent call last)"
OK = frozenset({200})


# --- the server under attack ---------------------------------------------------------------------------


@dataclass
class Server:
    """One `assistant serve` under attack, and where its attackers connect."""

    url: str  # the app, or nginx in front of it
    host: str | None  # the Host header to send (nginx's server name), or httpx's own
    page_auth: tuple[str, str] | None  # basic auth for the page and Gradio (nginx's password, or a key)
    process: subprocess.Popen
    port: int  # the app's own
    folder: Path
    env: dict[str, str]
    markers: tuple[str, ...]  # what a response must never hold: the server's paths
    _config: dict | None = None

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    @property
    def index_dir(self) -> Path:
        return Path(self.env["ASSISTANT_INDEX_DIR"])

    @property
    def feedback_bytes(self) -> int:
        """The feedback database with its write-ahead log and shared memory, in bytes."""
        db = Path(self.env["ASSISTANT_FEEDBACK_DB"])
        return sum(p.stat().st_size for p in db.parent.glob(f"{db.name}*"))

    def ready(self) -> None:
        """Waits until the app answers /healthz."""
        common.wait_ready(self.port, self.process)

    def rss_mb(self) -> float:
        return common.rss_mb(self.process.pid)["rss_mb"]

    def client(self, source: str, timeout: float = 60) -> httpx.Client:
        """A client connecting from loopback address ``source`` (127.x.y.z)."""
        return httpx.Client(
            base_url=self.url,
            headers={"Host": self.host} if self.host else None,
            transport=httpx.HTTPTransport(local_address=source),
            timeout=timeout,
        )

    def config(self) -> dict:
        """The page's Gradio config (its events and components), read once."""
        if self._config is None:
            with self.client("127.0.0.254") as client:
                self._config = client.get("/config", auth=self.page_auth).raise_for_status().json()
        return self._config

    def event(self, kind: str) -> dict:
        """The page's event that runs in Python on ``kind`` (load, submit)."""
        return next(
            d
            for d in self.config()["dependencies"]
            if d["backend_fn"] and any(target[1] == kind for target in d["targets"])
        )


@contextlib.contextmanager
def served(work: Path, name: str, behind_nginx: bool, **settings: str) -> Iterator[Server]:
    """`assistant serve` started with default settings but ``settings``, its index in ``work`` (shared by
    the servers of a run), the rest in ``work/name``; behind nginx if asked. ``Server.ready`` waits for it."""
    folder = work / name
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {
        "ASSISTANT_INDEX_DIR": str(work / "index"),
        "ASSISTANT_FEEDBACK_DB": str(folder / "feedback" / "feedback.sqlite3"),
        "ASSISTANT_API_KEYS": KEY,
    }
    if behind_nginx:  # as deploy/nginx.conf's notes say
        env |= {"ASSISTANT_TRUSTED_PROXIES": "127.0.0.1", "ASSISTANT_PUBLIC_URL": f"https://{nginx.HOST}"}
    env |= settings
    markers = (str(work), str(common.ROOT), "site-packages")
    port = common.free_port()
    with (
        open(folder / "server.log", "wb") as log,
        common.running_server(common.assistant_server(port), port, env, log) as process,
        ExitStack() as stack,
    ):
        if behind_nginx:
            (folder / "nginx").mkdir()
            proxy = nginx.running_nginx(
                folder / "nginx", common.free_port(), port, workers="auto", worker_connections=768
            )
            url = stack.enter_context(proxy)
            yield Server(url, nginx.HOST, (nginx.USER, nginx.PASSWORD), process, port, folder, env, markers)
        else:
            keyed = ("reader", KEY) if settings.get("ASSISTANT_PAGE_AUTH") == "keys" else None
            yield Server(f"http://127.0.0.1:{port}", None, keyed, process, port, folder, env, markers)


# --- what the attackers see ------------------------------------------------------------------------------


@dataclass
class Tally:
    """The responses one attack (or its prober) got, and the checks it failed."""

    markers: tuple[str, ...]
    statuses: Counter = field(default_factory=Counter)
    largest: int = 0
    tracebacks: int = 0
    paths: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int, body: bytes) -> None:
        text = body.decode("utf-8", "replace")
        with self._lock:
            self.statuses[status] += 1
            self.largest = max(self.largest, len(body))
            self.tracebacks += TRACEBACK in text
            self.paths |= {marker for marker in self.markers if marker in text}

    def response(self, response: httpx.Response) -> httpx.Response:
        self.saw(response.status_code, str(response.headers).encode() + response.content)
        return response

    def require(self, holds: bool, failure: str) -> None:
        if not holds:
            self.failures.append(failure)


class Prober:
    """/healthz and a keyed /api/ask, asked one after the other again and again while an attack runs,
    from addresses no attack uses (so no attacker's allowance is spent)."""

    SOURCES = ("127.0.0.250", "127.0.0.251", "127.0.0.252", "127.0.0.253")

    def __init__(self, server: Server, tally: Tally, allowed: frozenset[int]) -> None:
        self.server, self.tally, self.allowed = server, tally, allowed
        self.results: list[tuple[str, int, float]] = []
        self.rounds = 0
        self._stop = threading.Event()
        self._turn = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        for source in itertools.cycle(self.SOURCES):
            if self._stop.is_set():
                return
            with self._turn, self.server.client(source) as client:
                self._probe("healthz", lambda: client.get("/healthz", auth=self.server.page_auth))
                self._probe(
                    "api", lambda: client.post("/api/ask", json={"question": PROBE_QUESTION}, headers=BEARER)
                )
                self.rounds += 1
            self._stop.wait(PROBE_GAP)

    def _probe(self, what: str, call: Callable[[], httpx.Response]) -> None:
        started = time.monotonic()
        try:
            status = self.tally.response(call()).status_code
        except httpx.HTTPError:
            status = 0  # no answer at all
        self.results.append((what, status, time.monotonic() - started))

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No probe runs in the block (one under way is finished first): the server's CPU is the attack's."""
        with self._turn:
            yield

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        deadline = time.monotonic() + 120
        while self.rounds < 1 and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.05)  # at least one whole round during every attack
        self._stop.set()
        self._thread.join(120)

    @property
    def answered(self) -> bool:
        return bool(self.results) and all(status in self.allowed for _, status, _ in self.results)

    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(f"{what} {status}" for what, status, _ in self.results).items()))


class Addresses:
    """Fresh loopback addresses for attackers (127.0.1.1 on; 127.0.0.x are the probers'): nginx and the
    app count their allowances per address, and an attacker has many."""

    def __init__(self) -> None:
        self._numbers = itertools.count()

    def take(self) -> str:
        n = next(self._numbers)
        return f"127.0.{1 + n // 250 % 250}.{1 + n % 250}"


def _basic(auth: tuple[str, str] | None) -> str:
    if auth is None:
        return ""
    return f"Authorization: Basic {base64.b64encode(':'.join(auth).encode()).decode()}\r\n"


def heartbeat(stack: ExitStack, server: Server, tally: Tally, source: str) -> int:
    """One never-ending heartbeat from ``source``, left open in ``stack``; its status (0: no answer)."""
    try:
        sock = stack.enter_context(connect(server.url, source))
        sock.sendall(
            f"GET /gradio_api/heartbeat/rt{time.monotonic_ns()} HTTP/1.1\r\n"
            f"Host: {server.host or '127.0.0.1'}\r\n{_basic(server.page_auth)}\r\n".encode()
        )
        status, received = read_head(sock, limit=5)
    except OSError:
        status, received = 0, b""
    tally.saw(status, received)
    return status


def gradio_event(
    server: Server,
    tally: Tally,
    source: str,
    fn_index: int,
    data: list,
    session: str | None = None,
    **extra: object,
) -> tuple[int, str]:
    """One event put on Gradio's queue as the page does (in tab ``session``, or a new one); the join's
    status and the event's stream (nginx's 429 is waited out, as a client following Retry-After would)."""
    session = session or f"rt{time.monotonic_ns()}"
    body = {"data": data, "fn_index": fn_index, "trigger_id": None, "session_hash": session, **extra}
    with server.client(source) as client:
        for _ in range(30):
            joined = tally.response(client.post("/gradio_api/queue/join", json=body, auth=server.page_auth))
            if joined.status_code != 429:
                break
            time.sleep(1)
        if joined.status_code != 200:
            return joined.status_code, joined.text
        stream = client.get("/gradio_api/queue/data", params={"session_hash": session}, auth=server.page_auth)
        return 200, tally.response(stream).text


def ask(server: Server, tally: Tally, source: str, question: str) -> tuple[int, dict, float]:
    """A keyed /api/ask: status, JSON body, seconds."""
    started = time.monotonic()
    with server.client(source) as client:
        response = tally.response(client.post("/api/ask", json={"question": question}, headers=BEARER))
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    return response.status_code, body, time.monotonic() - started
