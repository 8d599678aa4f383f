"""Answers/s with 1, 2 and 4 workers (`assistant serve --workers N`) against one Chroma server on this
machine, and the embedded store's single process beside them.

One ``chroma run`` on loopback holds the index (built once, by ``assistant index``); each layout is
served on a fresh port and loaded by N concurrent clients for a fixed time, every client a thread
with its own keep-alive connection asking distinct golden-set questions (nothing cached). Reports
answers/s, errors, p50/p95, the CPU seconds the serving processes (and the Chroma server) used per
answer, and the workers' resident memory. Each worker loads its own models: memory grows with N,
and answers/s can only grow while cores are idle (torch already spreads one process over them).

    .venv/bin/python benchmarks/workers.py [--clients 16] [--seconds 20] [--quick]
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import common


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (the supervisor, its workers, multiprocessing's helper)."""
    found = [pid]
    for child in _children(pid):
        found += _tree(child)
    return found


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += common.cpu_seconds(pid)
    return total


@contextlib.contextmanager
def _served(workers: int, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen]]:
    """``assistant serve`` with ``workers`` processes, once every worker listens."""
    port = common.free_port()
    command = [*common.assistant_server(port), "--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        if workers == 1:
            common.wait_ready(port, server)
        else:
            for line in server.stderr:  # type: ignore[union-attr]
                if re.search(rf"with {workers} workers", line):
                    break
            else:
                sys.exit(f"{workers} workers did not start")
            common.wait_ready(port, server)
        yield port, server
    finally:
        server.terminate()
        server.wait(30)


def _load(port: int, pids: list[int], clients: int, seconds: float, questions: list[str]) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    def client_loop() -> None:
        nonlocal errors
        client = common.Client(port)
        while time.perf_counter() < deadline:
            n = next(counter)
            began = time.perf_counter()
            try:
                client.ask(f"{questions[n % len(questions)]} (request {n})")
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors += 1
                client = common.Client(port)
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    cpu_before = _cpu(pids)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = _cpu(pids) - cpu_before
    return {
        "answers_per_s": len(latencies) / elapsed,
        "errors": errors,
        "cpu_ms_per_answer": cpu / max(len(latencies), 1) * 1000,
        "cores_used": cpu / elapsed,
    } | common.summary_ms(latencies)


def _run(name: str, workers: int, env: dict[str, str], args, questions: list[str], extra: list[int]) -> dict:
    with _served(workers, env) as (port, server):
        for n in range(4 * workers):  # a first question on (most likely) every worker
            common.Client(port).ask(f"warm-up question {n}")
        pids = _tree(server.pid)
        result = _load(port, pids + extra, args.clients, args.seconds, questions)
        result["workers_rss_mb"] = sum(common.rss_mb(pid)["rss_mb"] for pid in pids)
    print(f"{name}: {result['answers_per_s']:.2f} answers/s", file=sys.stderr, flush=True)
    return {f"{name}_{key}": value for key, value in result.items()}


def main() -> None:
    args = common.options(
        "answers/s with 1, 2 and 4 workers against one Chroma server, and the embedded store's",
        "3 s per run, 1 and 2 workers",
        clients=16,
        seconds=20.0,
    )
    if args.quick:
        args.seconds = 3.0
    counts = (1, 2) if args.quick else (1, 2, 4)
    questions = common.golden_questions()
    rows: dict[str, object] = {
        "clients": args.clients,
        "seconds_per_run": args.seconds,
        "load_average_at_start": common.load_average(),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        embedded = base | {"ASSISTANT_INDEX_DIR": str(folder / "embedded")}
        rows |= _run("embedded_1_worker", 1, embedded, args, questions, [])
        with common.chroma_server(folder / "chroma") as (url, chroma):
            env = base | {"ASSISTANT_CHROMA_URL": url, "ASSISTANT_INDEX_DIR": str(folder / "index")}
            built = subprocess.run(
                [sys.executable, "-m", "assistant.cli", "index"], env=env, capture_output=True, text=True
            )
            if built.returncode != 0:
                sys.exit(f"`assistant index` failed: {built.stderr[-2000:]}")
            for count in counts:
                rows |= _run(f"chroma_{count}_workers", count, env, args, questions, [chroma.pid])
    rows["load_average_at_end"] = common.load_average()
    rows["machine"] = common.machine()
    common.report("workers", rows)


if __name__ == "__main__":
    main()
