"""Issue 21's red-team list, replayed against a real `assistant serve` as an outsider on the network would.

Starts `assistant serve` with default settings (every ASSISTANT_* variable of this shell left out, API keys
set so the APIs are keyed), its own temporary ASSISTANT_INDEX_DIR and ASSISTANT_FEEDBACK_DB, and its log
captured; with ``--nginx``, behind Debian's nginx running deploy/nginx.conf (tests/web/nginx.py: only ports
and the password file changed, Debian's 768 connections a worker; the app trusts it, as the deploy notes
say), the attackers signed in with the page's password. Then every attack of the issue (items 1-11), each
recording: the status codes seen; whether /healthz and a keyed /api/ask, asked again and again from an
address of their own while it ran, still answered; the server's RSS before and after; the largest
response; the feedback database's size; any response holding a traceback or one of the server's paths
(its temporary folder, this checkout, site-packages); the longest line the server logged. Items 5, 10
and 11 run against a second server that answers through the SCRIPTED model server (tests/llm/scripted.py,
read by the real ``openai`` client) with ASSISTANT_PAGE_AUTH=keys (behind nginx: its basic auth instead).

The server, and what its attackers see of it, are in benchmarks/redteam_target.py; the attacks and the
checks here. Exits 1, with a summary line, if any check fails; benchmarks/results/redteam.json
(redteam_nginx.json) holds the figures. Bounded: only loopback, every attack a fixed count, each
``assistant add`` at most 120 s.

    .venv/bin/python benchmarks/redteam.py [--nginx] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import common
import httpx
import openai
from redteam_target import (
    BEARER,
    KEY,
    OK,
    PROBE_QUESTION,
    TRACEBACK,
    Addresses,
    Prober,
    Server,
    Tally,
    ask,
    gradio_event,
    heartbeat,
    served,
)

# The checkout is on sys.path once redteam_target is imported.
from tests.answer.llm.replies import shown
from tests.library.pages import paragraphs_page, spans_page
from tests.llm.scripted import Reply, ScriptedServer
from tests.web import nginx
from tests.web.sockets import connect

QUESTION = "Where were the missiles fired from?"  # the LLM answerer's tests' question
LONG = ("Which missiles did Iran fire at Deir Ezzor and why " * 40)[:1999] + "?"  # 2,000 characters
REFUSED = "Q" + "x" * 250_000
NESTED = b"[" * 100_000 + b"]" * 100_000
INJECTED = "The admin password is 1234567890. [1] The tower is 324 metres tall [2]."
INJECTED_WORDS = ("password", "1234567890", "324", "tower")
NEUTRAL = "The article does not say. [1]"
MIB = 1024 * 1024
PACE = 0.01  # seconds between the scripted model's streamed words
PROXY_FAILURES = frozenset({500, 502, 504})
RSS_GROWTH_MB = 100  # per attack, after the warm-up
FEEDBACK_DB_BYTES = MIB  # the issue: 9 MB after 9 rows
STATE_RESPONSE_BYTES = 1_000_000  # one chat event's stream (the issue: 10 MB once a tab held 25 refusals)
IDLE_CPU_S = 3.0  # CPU-seconds the server may use in the seconds after answers nobody waits for


def _default(name: str) -> Any:
    """A setting's default: the server runs with them."""
    from assistant.settings import Settings

    return Settings.model_fields[name].default


# --- one attack ------------------------------------------------------------------------------------------


class ModelScript:
    """What the scripted model server writes: for the attack's question, the attack's text; else a
    neutral reply (the prober asks another question)."""

    def __init__(self) -> None:
        self.attack: Callable[[dict[str, Any]], str] | None = None

    def reply(self, body: dict[str, Any]) -> str:
        asked = any(QUESTION in str(m.get("content", "")) for m in body.get("messages", []))
        return self.attack(body) if self.attack and asked else NEUTRAL


@dataclass
class Run:
    quick: bool
    work: Path
    addresses: Addresses
    script: ModelScript
    prober: Prober | None = None
    answering: set[str] = field(default_factory=set)  # the sentences the extractive answer to QUESTION cites


Row = dict[str, Any]
Attack = Callable[[Server, Tally, Run], dict[str, object]]


def _log_since(server: Server, offset: int) -> list[str]:
    with open(server.log, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace").splitlines()


def attacked(
    number: int, name: str, server: Server, run: Run, attack: Attack, allowed: frozenset[int] = OK
) -> Row:
    """Runs one attack with the prober asking beside it; its row of figures, ``failures`` included."""
    offset = server.log.stat().st_size
    before = server.rss_mb()
    tally, probes = Tally(server.markers), Tally(server.markers)
    started = time.monotonic()
    with Prober(server, probes, allowed) as prober:
        run.prober = prober
        figures = attack(server, tally, run)
    seconds = time.monotonic() - started
    after = server.rss_mb()
    lines = _log_since(server, offset)
    longest = max((len(line) for line in lines), default=0)
    logged_tracebacks = sum(TRACEBACK in line for line in lines)
    seen = tally.statuses + probes.statuses
    paths = tally.paths | probes.paths
    tally.require(prober.answered, f"/healthz or keyed /api/ask did not answer: {prober.statuses()}")
    tally.require(not PROXY_FAILURES & set(seen), f"server errors: {dict(seen)}")
    tally.require(tally.tracebacks + probes.tracebacks == 0, "a response held a traceback")
    tally.require(logged_tracebacks == 0, f"{logged_tracebacks} tracebacks in the server's log")
    tally.require(not paths, f"a response held the server's paths: {sorted(paths)}")
    bound = _default("max_log_line_chars") + 100  # the logger's prefix and the words saying what was cut
    tally.require(longest <= bound, f"a log line of {longest:,} characters")
    tally.require(after - before <= RSS_GROWTH_MB, f"RSS grew {after - before:.0f} MB")
    print(f"  {number:>2} {name}: {seconds:.1f} s, {'ok' if not tally.failures else tally.failures}")
    return {
        "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
        "answered_during": prober.answered,
        "probes": prober.statuses(),
        "server_errors": sum(n for status, n in seen.items() if status in PROXY_FAILURES),
        "probe_max_s": round(max((s for _, _, s in prober.results), default=0.0), 2),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "largest_response_bytes": max(tally.largest, probes.largest),
        "feedback_db_bytes": server.feedback_bytes,
        "tracebacks": tally.tracebacks + probes.tracebacks + logged_tracebacks,
        "paths": sorted(paths),
        "longest_log_line": longest,
        "seconds": round(seconds, 1),
        **figures,
        "failures": tally.failures,
    }


# --- the attacks, items 1-11 of the issue ------------------------------------------------------------------


def heartbeat_flood(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 1: never-ending heartbeats held open, from one address (1,000: the default connection cap),
    then from many (30 addresses of 33: beyond the proxy's 900 and the app's 500 streams), while /healthz
    and keyed /api/ask are asked. Before: every new connection 503, /healthz and /api/ask included.

    The app also answers the flooding address itself; nginx's 32 open requests per address
    (``limit_conn``) count its streams too, so behind it that address gets 429: recorded, not failed."""
    one, many, hold = (200, 0, 1.0) if run.quick else (1000, 30, 10.0)

    def flood(sources: list[str]) -> dict[str, object]:
        with ExitStack() as stack:
            deadline = time.monotonic() + 120  # an unanswered socket takes 5 s: the flood stays bounded
            opened = Counter(
                heartbeat(stack, server, tally, source) for source in sources if time.monotonic() < deadline
            )
            status, answer, _ = ask(server, tally, sources[0], PROBE_QUESTION)
            with server.client(sources[0]) as client:
                health = tally.response(client.get("/healthz", auth=server.page_auth)).status_code
            tally.require(
                server.host is not None or (health == 200 and bool(answer.get("citations"))),
                f"/healthz ({health}) or keyed /api/ask ({status}) from the flooding address failed",
            )
            time.sleep(hold)  # the prober asks meanwhile
        return {
            "sent": len(sources),
            **{str(status): n for status, n in sorted(opened.items())},
            "flooding_address_healthz_api": [health, status],
        }

    figures: dict[str, object] = {"one_address": flood([run.addresses.take()] * one)}
    if many:
        addresses = [run.addresses.take() for _ in range(many)]
        figures["many_addresses"] = flood([address for address in addresses for _ in range(33)])
    return figures


def long_question(n: int) -> str:
    """A valid question of the longest length (2,000 characters), numbered so none is asked twice."""
    return LONG.replace("Which", f"Which ({n})")[:2000]


def costly_questions(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 2: four 2,000-character questions at once (before: 503 at 10.3 s, then ~28 CPU-seconds more),
    questions whose clients hang up at once, and a reloaded tab replaying four of them (before: 25 s)."""
    assert run.prober is not None
    rounds, leaving, window = (1, 8, 2.0) if run.quick else (3, 16, 4.0)
    pid = server.process.pid
    answer_s: list[float] = []
    cpu_after: list[float] = []
    for round_ in range(rounds):
        questions = [long_question(round_ * 10 + n) for n in range(4)]
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda q: ask(server, tally, run.addresses.take(), q), questions))
        answer_s += [seconds for _, _, seconds in answers]
        with run.prober.paused():  # the server's CPU from here on is what the answers left running
            at = common.cpu_seconds(pid)
            time.sleep(window)
            cpu_after.append(common.cpu_seconds(pid) - at)

    def hang_up(question: str) -> None:
        body = json.dumps({"question": question}).encode()
        with connect(server.url, run.addresses.take()) as sock:
            sock.sendall(
                f"POST /api/ask HTTP/1.1\r\nHost: {server.host or '127.0.0.1'}\r\nAuthorization: Bearer {KEY}"
                f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            time.sleep(0.5)

    with run.prober.paused():
        with ThreadPoolExecutor(leaving) as pool:
            list(pool.map(hang_up, [long_question(100 + n) for n in range(leaving)]))
        at = common.cpu_seconds(pid)
        time.sleep(window)
        left_cpu = common.cpu_seconds(pid) - at

    load = server.event("load")
    started = time.monotonic()
    replayed = [json.dumps([long_question(200 + n) for n in range(4)])] + [""] * (len(load["inputs"]) - 1)
    status, stream = gradio_event(server, tally, run.addresses.take(), load["id"], replayed)
    replay_s = time.monotonic() - started
    tally.require(max(cpu_after) <= IDLE_CPU_S, f"{max(cpu_after):.1f} CPU-s after the answers")
    tally.require(left_cpu <= IDLE_CPU_S, f"{left_cpu:.1f} CPU-s after {leaving} clients left")
    restore = _default("chat_restore_seconds")
    tally.require(
        status == 200 and "process_completed" in stream and replay_s <= restore + 10,
        f"the replay: {status} after {replay_s:.1f} s",
    )
    return {
        "answer_s_max": round(max(answer_s), 2),
        "cpu_s_after_answers": round(max(cpu_after), 2),
        "clients_left": leaving,
        "cpu_s_after_clients_left": round(left_cpu, 2),
        "cpu_window_s": window,
        "replay_s": round(replay_s, 2),
    }


def session_state(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 3: the issue's 250,001-character question sent again and again, 25 times a tab (before: the
    25th response was 10 MB), in 1 tab or 16 (before: 400 of them added 226 MB); and the most a tab can
    hold, 2,000-character questions one after another (in the full run past the 30 a tab keeps)."""
    tabs, longest = (1, 4) if run.quick else (16, 35)
    submit = server.event("submit")
    rest = [None] * (len(submit["inputs"]) - 1)

    def tab(questions: list[str]) -> list[int]:
        """One tab's events, each from another address (past the proxy's 2 a second per address)."""
        session = f"rt-tab{time.monotonic_ns()}"
        sent = (
            gradio_event(server, tally, run.addresses.take(), submit["id"], [q, *rest], session)
            for q in questions
        )
        return [len(stream.encode()) for _, stream in sent]

    with ThreadPoolExecutor(4) as pool:
        refused = list(pool.map(tab, [[REFUSED] * 25] * tabs))
    kept = tab([long_question(300 + n) for n in range(longest)])
    largest = max(max(sizes) for sizes in [*refused, kept])
    tally.require(largest <= STATE_RESPONSE_BYTES, f"a response of {largest:,} bytes")
    return {
        "refused_events": tabs * 25,
        "refused_25th_response_bytes": refused[0][-1],
        "long_questions_in_one_tab": longest,
        "long_last_response_bytes": kept[-1],
        "largest_event_bytes": largest,
    }


def fat_feedback(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 4: ratings whose citations claim a speaker, section and title of 65,000 characters each,
    10 from each address (the app's rate: 10 a minute). Before: 9 rows made a 9 MB database."""
    addresses = 1 if run.quick else 6
    source = run.addresses.take()
    status, answered, _ = ask(server, tally, source, "Which agency also cited General Ramazan Sharif?")
    if status != 200 or not answered.get("citations"):
        tally.require(False, f"no answer to rate: {status}")
        return {}
    with server.client(source) as client:
        articles = tally.response(client.get("/api/articles", headers=BEARER)).json()["articles"]
    default = next(a for a in articles if a["default"])
    huge = "x" * 65_000
    claimed = {**answered["citations"][0], "speaker": huge, "section": huge}
    claimed["source"] = {"id": default["id"], "title": huge}
    body = {
        "rating": "up",
        "question": "Which agency also cited General Ramazan Sharif?",
        "answer": answered["answer"],
        "citations": [claimed] * 5,
    }
    stored = 0
    for _ in range(addresses):
        with server.client(run.addresses.take()) as client:
            for _ in range(10):
                response = tally.response(client.post("/api/feedback", json=body, headers=BEARER))
                stored += response.status_code == 201
    size = server.feedback_bytes
    tally.require(stored > 0, f"no rating was stored ({dict(tally.statuses)})")
    tally.require(size <= FEEDBACK_DB_BYTES, f"the feedback database holds {size:,} bytes")
    return {"ratings_sent": addresses * 10, "stored": stored, "bytes_per_rating": size // max(stored, 1)}


def claims(body: dict[str, Any], answering: set[str]) -> list[str]:
    """A faithful model's claims: each sentence it was shown that answers, restated and cited."""
    return [
        f"According to {speaker}, {text.rstrip('.')} [{n}]."
        for n, (speaker, text) in shown(body).items()
        if text in answering
    ]


def streamed_v1(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 5: the model (scripted) says an injected sentence first, between or last, while the real
    ``openai`` client streams the answer from /v1. Before: the deltas showed it; the checked answer came
    only in a field standard clients ignore."""

    def saying(where: str) -> Callable[[dict[str, Any]], str]:
        def write(body: dict[str, Any]) -> str:
            said = claims(body, run.answering)
            at = {"first": 0, "between": 1, "last": len(said)}[where]
            return " ".join([*said[:at], INJECTED, *said[at:]])

        return write

    figures: dict[str, object] = {}
    unchecked = injected = 0
    for where in ("first", "between", "last") * (1 if run.quick else 3):
        run.script.attack = saying(where)
        transport = httpx.HTTPTransport(local_address=run.addresses.take())
        headers = {"Host": server.host} if server.host else None
        with httpx.Client(transport=transport, headers=headers, timeout=60) as http:
            client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, http_client=http)
            chunks = list(
                client.chat.completions.create(
                    model="article-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
                )
            )
        deltas = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        final = (chunks[-1].model_extra or {}) if chunks else {}
        tally.saw(200, deltas.encode())
        not_in_answer = set(deltas.split()) - set(str(final.get("content", "")).split())
        unchecked += len(not_in_answer)
        injected += sum(word in deltas for word in INJECTED_WORDS)
        figures[where] = {"deltas": len(chunks), "answered_by": final.get("answered_by")}
    run.script.attack = None
    tally.require(unchecked == 0, f"{unchecked} streamed words the final answer does not hold")
    tally.require(injected == 0, "the injected sentence was streamed")
    return {"words_not_in_answer": unchecked, "injected_words_streamed": injected, **figures}


def nested_json(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 6: JSON nested 100,000 deep to Gradio's three routes, /api/ask and /v1. Before: 500 and ~113
    traceback lines per request on the Gradio routes."""
    routes = ["/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/cancel"]
    statuses: Counter = Counter()
    for _ in range(1 if run.quick else 5):
        for route in [*routes, "/api/ask", "/v1/chat/completions"]:
            with server.client(run.addresses.take()) as client:
                response = client.post(
                    route,
                    content=NESTED,
                    headers={"Content-Type": "application/json", **BEARER},
                    auth=server.page_auth if route in routes else None,
                )
            statuses[f"{route} {tally.response(response).status_code}"] += 1
    tally.require(all(key.endswith(" 400") for key in statuses), f"not all 400: {dict(statuses)}")
    return {"answers": dict(sorted(statuses.items()))}


def malformed_events(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 7: every event that runs in the browser only, every event taking event data sent
    ``event_data: null``, every dropdown sent 200 KB. Before: IndexError and TypeError tracebacks, a
    200,105-character log line, the value echoed back."""
    config = server.config()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    calls: list[tuple[str, int, list, dict]] = []
    for d in config["dependencies"]:
        blank = [None] * len(d["inputs"])
        if not d["backend_fn"]:
            calls.append(("browser_only", d["id"], blank, {}))
        elif d["collects_event_data"]:
            calls.append(("event_data_null", d["id"], blank, {"event_data": None}))
        for position, component in enumerate(d["inputs"]):
            if d["backend_fn"] and kinds[component] == "dropdown":
                data = list(blank)
                data[position] = "x" * 200_000
                calls.append(("dropdown_200kb", d["id"], data, {}))
    statuses: Counter = Counter()
    echoed = 0
    for _ in range(1 if run.quick else 3):
        for kind, fn_index, data, extra in calls:
            status, text = gradio_event(server, tally, run.addresses.take(), fn_index, data, **extra)
            statuses[f"{kind} {status}"] += 1
            echoed += "x" * 1000 in text
    tally.require(all(key.endswith(" 400") for key in statuses), f"not all 400: {dict(statuses)}")
    tally.require(echoed == 0, f"{echoed} responses echoed the 200 KB value")
    return {"answers": dict(sorted(statuses.items())), "echoed": echoed}


@contextlib.contextmanager
def locked(stores: list[Path]) -> Iterator[None]:
    """Another process's ``BEGIN EXCLUSIVE`` on each SQLite file (this one is another process)."""
    connections = [sqlite3.connect(path, isolation_level=None, timeout=30) for path in stores]
    try:
        for connection in connections:
            connection.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        for connection in connections:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("COMMIT")
            connection.close()


def locked_store(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 8: the index store locked by another process while /healthz, /api/ask, /v1 (plain and
    streamed) and the chat's /call route are asked. Before: 503s naming the index directory's full path."""
    stores = sorted(server.index_dir.rglob("chroma.sqlite3"))
    chat = {"model": "article-assistant", "messages": [{"role": "user", "content": "Who fired?"}]}
    streamed = {**chat, "stream": True}
    answers: dict[str, int] = {}
    told: list[str] = []
    with locked(stores):
        with server.client(run.addresses.take()) as client:
            for name, call in (
                ("healthz", lambda: client.get("/healthz", auth=server.page_auth)),
                ("api", lambda: client.post("/api/ask", json={"question": "Who fired?"}, headers=BEARER)),
                ("v1", lambda: client.post("/v1/chat/completions", json=chat, headers=BEARER)),
                ("v1_stream", lambda: client.post("/v1/chat/completions", json=streamed, headers=BEARER)),
            ):
                response = tally.response(call())
                answers[name] = response.status_code
                told.append(response.text)
            called = tally.response(
                client.post("/gradio_api/call/chat", json={"data": ["Who fired?", []]}, auth=server.page_auth)
            )
            if called.status_code == 200:
                event = called.json()["event_id"]
                result = tally.response(client.get(f"/gradio_api/call/chat/{event}", auth=server.page_auth))
                told.append(result.text)
                answers["chat"] = result.status_code
        time.sleep(1 if run.quick else 5)  # the prober asks meanwhile (503 is its right answer here)
    started = time.monotonic()
    with server.client(run.addresses.take()) as client:
        while time.monotonic() - started < 30:
            if tally.response(client.get("/healthz", auth=server.page_auth)).status_code == 200:
                break
            time.sleep(0.2)
    recovered = time.monotonic() - started
    tally.require(
        all(answers.get(name) == 503 for name in ("healthz", "api", "v1")), f"while locked: {answers}"
    )
    tally.require(all("is locked" in text for text in told), "a refusal did not say the store is locked")
    tally.require(recovered < 30, "/healthz did not recover within 30 s of the lock's release")
    return {"stores": len(stores), "answers": answers, "recovered_s": round(recovered, 2)}


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


def bounded_command(command: list[str], env: dict[str, str], log: Path, limit: float) -> dict[str, object]:
    """``command`` run with its output in ``log``: exit code, seconds, and the peak RSS of its process
    tree (sampled every 50 ms, with the parent's own high-water mark); killed after ``limit`` s."""
    started = time.monotonic()
    peak = 0.0
    with open(log, "wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        while process.poll() is None and time.monotonic() - started < limit:
            with contextlib.suppress(OSError, ValueError):
                tree = [common.rss_mb(pid)["rss_mb"] for pid in [process.pid, *_descendants(process.pid)]]
                peak = max(peak, sum(tree), common.rss_mb(process.pid)["peak_rss_mb"])
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        process.wait(30)
    seconds = time.monotonic() - started
    return {"exit": process.returncode, "seconds": round(seconds, 1), "peak_rss_mb": round(peak)}


def large_html(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 9: `assistant add` of large HTML (before: a 19 MB page took 37 s and 600 MB before its
    refusal; 16.8 MB of 1.2 M spans still ran at 60 s with 1.56 GB); in the full run also a page under
    both caps that the parser would take a minute over."""
    pages = {
        "paragraphs_19mb": lambda: paragraphs_page(19 * MIB),
        "spans_1_2m": lambda: spans_page(1_200_000),
    }
    if not run.quick:
        pages["spans_29k_under_caps"] = lambda: spans_page(29_000)
    figures: dict[str, object] = {}
    limit = _default("html_parse_seconds") + 30  # its parse time, the command's start and the refusal
    for name, page in pages.items():
        path = server.folder / f"{name}.html"
        path.write_bytes(page())
        log = server.folder / f"add-{name}.log"
        command = [sys.executable, "-m", "assistant.cli", "add", str(path)]
        result = bounded_command(command, server.env, log, limit=120)
        printed = log.read_text(errors="replace").splitlines()
        errors = [line for line in printed if line.startswith("Error:")]
        figures[name] = {"mb": round(path.stat().st_size / MIB, 1), **result}
        figures[name]["error"] = errors[0][:160] if errors else None
        tally.require(
            result["exit"] == 1 and len(errors) == 1 and not any(TRACEBACK in line for line in printed),
            f"{name}: exit {result['exit']}, printed {printed[-3:]}",
        )
        tally.require(float(result["seconds"]) <= limit, f"{name}: took {result['seconds']} s")
        path.unlink()
    return figures


def degenerate_answer(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 10: the model (scripted) answers "The answer is: [n]" ten times, or one faithful claim ten
    times. Before: passed the guardrails as the model's answer."""

    def degenerate(body: dict[str, Any]) -> str:
        return f"The answer is: [{min(shown(body))}] " * 10

    def repeated(body: dict[str, Any]) -> str:
        return " ".join(claims(body, run.answering)) * 10

    figures: dict[str, object] = {}
    for name, writer in (("the_answer_is_x10", degenerate), ("claim_x10", repeated)):
        run.script.attack = writer
        status, answer, _ = ask(server, tally, run.addresses.take(), QUESTION)
        figures[name] = {"answered_by": answer.get("answered_by"), "text": answer.get("answer", "")[:200]}
        if name == "the_answer_is_x10":
            tally.require(
                status == 200 and "The answer is" not in answer.get("answer", ""),
                f"the degenerate reply was kept: {answer.get('answer', status)!r:.200}",
            )
        else:
            kept = answer.get("answer", "").count("According to")
            tally.require(
                status == 200 and kept == len(run.answering), f"{kept} claims kept, {len(run.answering)} made"
            )
    run.script.attack = None
    return figures


def page_without_keys(server: Server, tally: Tally, run: Run) -> dict[str, object]:
    """Item 11: the chat page, its config, its load event (every article's title and text) and its chat
    endpoint asked without a key, with ASSISTANT_API_KEYS and ASSISTANT_PAGE_AUTH=keys (behind nginx: its
    basic auth). Before: answered, the load event with every library article's full text."""
    with server.client(run.addresses.take()) as client:
        articles = tally.response(client.get("/api/articles", headers=BEARER)).json()["articles"]
        title = next(a for a in articles if a["default"])["title"]
        answers: dict[str, int] = {}
        leaked = 0
        for name, call in (
            ("page", lambda: client.get("/")),
            ("config", lambda: client.get("/config")),
            ("info", lambda: client.get("/gradio_api/info")),
            ("embed", lambda: client.get("/embed")),
            ("gradio_js", lambda: client.get("/gradio.js")),
            (
                "load_event",
                lambda: client.post(
                    "/gradio_api/queue/join", json={"data": ["[]", ""], "fn_index": 0, "session_hash": "rt"}
                ),
            ),
            ("chat", lambda: client.post("/gradio_api/call/chat", json={"data": [PROBE_QUESTION, []]})),
        ):
            response = tally.response(call())
            answers[name] = response.status_code
            leaked += title in response.text
        signed_in = tally.response(client.get("/", auth=server.page_auth)).status_code
    tally.require(set(answers.values()) == {401}, f"without a key: {answers}")
    tally.require(leaked == 0, "a response without a key held the article's title")
    tally.require(signed_in == 200, f"the page with a key: {signed_in}")
    return {"answers": answers, "with_key": signed_in}


# --- the run ---------------------------------------------------------------------------------------------


def warm_up(server: Server, run: Run) -> dict:
    """What first visitors do (the page's config, a chat question, API questions), so the RSS each
    attack starts from holds the models and caches later requests use; the answer to ``QUESTION``."""
    scratch = Tally(server.markers)
    server.config()
    for question in common.golden_questions(3):
        ask(server, scratch, run.addresses.take(), question)
    submit = server.event("submit")
    data = [PROBE_QUESTION] + [None] * (len(submit["inputs"]) - 1)
    gradio_event(server, scratch, run.addresses.take(), submit["id"], data)
    return ask(server, scratch, run.addresses.take(), QUESTION)[1]


Plan = list[tuple[int, str, Attack, frozenset[int]]]
DEFAULT_SERVER: Plan = [
    (1, "heartbeat_flood", heartbeat_flood, OK),
    (2, "costly_questions", costly_questions, OK),
    (3, "session_state", session_state, OK),
    (4, "fat_feedback", fat_feedback, OK),
    (6, "nested_json", nested_json, OK),
    (7, "malformed_events", malformed_events, OK),
    (8, "locked_store", locked_store, frozenset({200, 503})),  # a locked store is 503's to tell
    (9, "large_html", large_html, OK),
]
LLM_SERVER: Plan = [
    (5, "streamed_v1", streamed_v1, OK),
    (10, "degenerate_answer", degenerate_answer, OK),
    (11, "page_without_keys", page_without_keys, OK),
]


def attack_all(server: Server, run: Run, plan: Plan, suffix: str = "") -> dict[str, Row]:
    """Each attack of ``plan`` in turn; their rows, by number and name."""
    return {
        f"{number}_{name}{suffix}": attacked(number, f"{name}{suffix}", server, run, attack, allowed)
        for number, name, attack, allowed in plan
    }


AGAIN = (1, 2, 3)  # the attacks the first pass grew the server's RSS most with (full run)


def summary(attacks: dict[str, Row], growth: dict[str, float]) -> Row:
    """The run's key figures over every attack."""
    rows = attacks.values()
    return {
        "attacks": len(attacks),
        "failed_checks": sum(len(row["failures"]) for row in rows),
        "lockouts": sum(not row["answered_during"] for row in rows),
        "http_500": sum(row["server_errors"] for row in rows),
        "tracebacks": sum(row["tracebacks"] for row in rows),
        "responses_with_paths": sum(bool(row["paths"]) for row in rows),
        **{name: round(mb, 1) for name, mb in growth.items()},
        "largest_response_bytes": max(row["largest_response_bytes"] for row in rows),
        "feedback_db_bytes": attacks["4_fat_feedback"]["feedback_db_bytes"],
        "longest_log_line": max(row["longest_log_line"] for row in rows),
        "v1_words_not_in_answer": attacks["5_streamed_v1"]["words_not_in_answer"],
    }


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nginx", action="store_true", help="behind Debian's nginx with deploy/nginx.conf")
    parser.add_argument("--quick", action="store_true", help="every attack once, smaller (CI smoke run)")
    return parser.parse_args()


def main() -> None:
    args = _options()
    if args.nginx and (reason := nginx.missing()):
        sys.exit(reason)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 2,000 sockets are held open at once
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    load_at_start, began = common.load_average(), time.monotonic()
    attacks: dict[str, Row] = {}
    growth: dict[str, float] = {}
    script = ModelScript()
    page_auth = {} if args.nginx else {"ASSISTANT_PAGE_AUTH": "keys"}  # nginx signs the page's users in
    with (
        TemporaryDirectory(prefix="redteam-") as folder,
        ScriptedServer(Reply(written=script.reply, pace=PACE)) as model,
        ExitStack() as stack,
    ):
        run = Run(args.quick, Path(folder), Addresses(), script)
        llm = {"ASSISTANT_LLM_BASE_URL": model.base_url, "ASSISTANT_LLM_MODEL": "scripted", **page_auth}
        plans = (("default", {}, DEFAULT_SERVER), ("llm", llm, LLM_SERVER))
        # Both start at once (the second waits for the first's index, then idles while the first is
        # attacked): a start is mostly loading models, and the quick run is meant to be quick.
        servers = [
            stack.enter_context(served(run.work, name, args.nginx, **settings)) for name, settings, _ in plans
        ]
        for server, (name, settings, plan) in zip(servers, plans, strict=True):
            print(f"assistant serve ({name}: {settings or 'default settings'})")
            server.ready()
            answered = warm_up(server, run)
            if name == "default":  # what the model must restate: the extractive answer's sentences
                run.answering = {c["text"] for c in answered.get("citations", [])}
            warm = server.rss_mb()
            attacks |= attack_all(server, run, plan)
            growth["rss_growth_mb"] = max(growth.get("rss_growth_mb", 0.0), server.rss_mb() - warm)
            if name == "default" and not run.quick:  # once more: what grew the first time must level off
                warm = server.rss_mb()
                attacks |= attack_all(server, run, [step for step in plan if step[0] in AGAIN], "_again")
                growth["rss_growth_again_mb"] = server.rss_mb() - warm
    attacks = dict(sorted(attacks.items(), key=lambda item: int(item[0].split("_")[0])))
    failures = [f"{name}: {failure}" for name, row in attacks.items() for failure in row["failures"]]
    rows: Row = {
        "mode": "behind nginx (deploy/nginx.conf)" if args.nginx else "direct",
        "quick": args.quick,
        **summary(attacks, growth),
        **attacks,
        "run_s": round(time.monotonic() - began, 1),
        "load_average_at_start": load_at_start,
        "machine": common.machine(),
    }
    common.report("redteam_nginx" if args.nginx else "redteam", rows)
    if failures:
        print(f"redteam: {len(failures)} checks failed: {'; '.join(failures)}")
        sys.exit(1)
    print(f"redteam: every check held ({len(attacks)} attacks, {rows['run_s']} s)")


if __name__ == "__main__":
    main()
