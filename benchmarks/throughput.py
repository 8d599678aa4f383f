"""Throughput and memory: N concurrent clients against /api/ask for a fixed time, on loopback, against
the most the models allow on this machine.

Each client is a thread with its own keep-alive connection, asking golden-set questions in turn.
Two runs: "distinct" (every question text unique, so nothing is cached: micro-batching is what
shares the work) and "repeated" (the same questions come back, as on a busy portal). Reports
answers/s, errors, p50/p95, the server's CPU seconds per answer and cores used, and its resident
memory before, after and at its peak.

The ceiling: the models' CPU seconds per question (one query embedding plus the cross-encoder on the
sentences the server actually scores, learned untimed from an ``Assistant`` on the server's index)
measured with ``time.process_time`` in this process, one question at a time, over the distinct run's
first texts; ``os.cpu_count()`` divided by that is the answers/s no server could beat. Torch runs on one
intra-op thread for it: an idle OpenMP thread's spin-wait would count as model time and lower the bar.

    .venv/bin/python benchmarks/throughput.py [--clients 16] [--seconds 30] [--repeat 3] [--quick]
"""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time

import common


def _text(question: str, n: int) -> str:
    """The n-th distinct question text."""
    return f"{question} (request {n})"


def _load(server: int, port: int, clients: int, seconds: float, questions: list[str], distinct: bool) -> dict:
    """One run; besides the rates, the server's CPU seconds per answer and how many cores it got (on a
    shared machine other processes take some: the ceiling assumes all of ``os.cpu_count()``)."""
    latencies: list[float] = []
    errors = 0
    first_error = ""
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    def client_loop() -> None:
        nonlocal errors, first_error
        client = common.Client(port)
        while time.perf_counter() < deadline:
            n = next(counter)
            question = questions[n % len(questions)]
            text = _text(question, n) if distinct else question
            began = time.perf_counter()
            try:
                client.ask(text)
            except Exception as error:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors += 1
                    first_error = first_error or f"{type(error).__name__}: {error}"[:200]
                client = common.Client(port)
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    cpu_before = common.cpu_seconds(server)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = common.cpu_seconds(server) - cpu_before
    return {
        "answers_per_s": len(latencies) / elapsed,
        "answers": len(latencies),
        "errors": errors,
        "first_error": first_error,
        "server_cpu_ms_per_answer": cpu / max(len(latencies), 1) * 1000,
        "server_cores_used": cpu / elapsed,
    } | common.summary_ms(latencies)


def _models_cpu_seconds(work: list[common.ModelWork], repeat: int) -> tuple[float, float]:
    """CPU seconds per question (embedding, reranking): the lowest of ``repeat`` passes over ``work``
    (other processes on the cores only ever add to it), one question at a time."""
    import torch

    torch.set_num_threads(1)  # before the embedder's thread starts, which reads it
    models = common.Models()
    passes = []
    for _ in range(repeat):
        spent = [models.run(item, clock=time.process_time) for item in work]
        passes.append((sum(e for e, _ in spent) / len(work), sum(r for _, r in spent) / len(work)))
    return min(passes, key=sum)


def main() -> None:
    args = common.options(
        "Concurrent /api/ask throughput and memory, against the models' ceiling.",
        "2 s per run, 4 questions for the ceiling, one pass",
        clients=16,
        seconds=30.0,
        repeat=3,
    )
    seconds = 2.0 if args.quick else args.seconds
    questions = common.golden_questions()
    load_at_start = common.load_average()  # before our own server adds to it
    rows: dict[str, object] = {"clients": args.clients, "seconds_per_run": seconds}
    with common.serving() as (port, server):
        common.Client(port).ask("warm-up question")
        before = common.rss_mb(server.pid)
        distinct = _load(server.pid, port, args.clients, seconds, questions, distinct=True)
        repeated = _load(server.pid, port, args.clients, seconds, questions, distinct=False)
        after = common.rss_mb(server.pid)
        sample = questions[:4] if args.quick else questions
        work = common.model_work(_text(question, n) for n, question in enumerate(sample))
    embedding, reranking = _models_cpu_seconds(work, 1 if args.quick else args.repeat)
    ceiling = (os.cpu_count() or 1) / (embedding + reranking)
    for name, run in (("distinct", distinct), ("repeated", repeated)):
        rows |= {f"{name}_{key}": value for key, value in run.items()}
    rows |= {
        "models_cpu_ms_per_question": (embedding + reranking) * 1000,
        "embed_cpu_ms_per_question": embedding * 1000,
        "rerank_cpu_ms_per_question": reranking * 1000,
        "rerank_share": reranking / (embedding + reranking),
        "pairs_per_question_mean": statistics.fmean(len(item.sentences) + len(item.windows) for item in work),
        "pairs_per_question_median": statistics.median(
            len(item.sentences) + len(item.windows) for item in work
        ),
        "models_ceiling_answers_per_s": ceiling,
        "distinct_over_ceiling": distinct["answers_per_s"] / ceiling,
        # Robust to other processes on the cores: how much of the server's CPU per answer the models are.
        "models_share_of_server_cpu": (embedding + reranking) * 1000 / distinct["server_cpu_ms_per_answer"],
        "rss_before_mb": before["rss_mb"],
        "rss_after_mb": after["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
        "load_average_at_start": load_at_start,
        "machine": common.machine(),
    }
    common.report("throughput", rows)


if __name__ == "__main__":
    main()
