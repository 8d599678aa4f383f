"""Throughput and memory: N concurrent clients against /api/ask for a fixed time, on loopback.

Each client is a thread with its own keep-alive connection, asking golden-set questions in turn.
Two runs: "distinct" (every question text unique, so nothing is cached: micro-batching is what
shares the work) and "repeated" (the same questions come back, as on a busy portal). Reports
answers/s, errors, p50/p95 and the server's resident memory before, after and at its peak.

    .venv/bin/python benchmarks/throughput.py [--clients 16] [--seconds 30] [--quick]
"""

from __future__ import annotations

import itertools
import threading
import time

import common


def _load(port: int, clients: int, seconds: float, questions: list[str], distinct: bool) -> dict:
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
            question = questions[n % len(questions)]
            text = f"{question} (request {n})" if distinct else question
            began = time.perf_counter()
            try:
                client.ask(text)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors += 1
                client = common.Client(port)
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "answers_per_s": len(latencies) / elapsed,
        "answers": len(latencies),
        "errors": errors,
    } | common.summary_ms(latencies)


def main() -> None:
    args = common.options(
        "Concurrent /api/ask throughput and memory.", "4 s per run", clients=16, seconds=30.0
    )
    seconds = 4.0 if args.quick else args.seconds
    questions = common.golden_questions()
    port = common.free_port()
    rows: dict[str, object] = {"clients": args.clients, "seconds_per_run": seconds}
    with common.running_server(common.assistant_server(port), port) as server:
        common.wait_ready(port, server)
        common.Client(port).ask("warm-up question")
        before = common.rss_mb(server.pid)
        for name, distinct in (("distinct", True), ("repeated", False)):
            for key, value in _load(port, args.clients, seconds, questions, distinct).items():
                rows[f"{name}_{key}"] = value
        after = common.rss_mb(server.pid)
    rows |= {
        "rss_before_mb": before["rss_mb"],
        "rss_after_mb": after["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
        "machine": common.machine(),
    }
    common.report("throughput", rows)


if __name__ == "__main__":
    main()
