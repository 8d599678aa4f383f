"""Resident memory of `assistant serve` against the number of distinct questions it has answered.

Starts the server on a free loopback port, warms it up, then has N concurrent clients ask distinct
questions through POST /api/ask and reads the server's RSS after every eighth of them. The questions
are generated from a seed: templates filled with the article's own words, a running number (so no
two are alike and the query cache never answers) and padding to a length drawn from 1 to 60 words,
so the encoder sees every sequence length and, with concurrent clients, many batch sizes. Bounded
memory shows as a flat second half: `growth_second_half_mb` near zero.

    .venv/bin/python benchmarks/memory_growth.py [--questions 24000] [--clients 16] [--quick]
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import common

SEED = 20170621
WARM_UP = 300
QUICK_WARM_UP, QUICK_QUESTIONS = 8, 16
CHECKPOINTS = 8
MAX_WORDS = 60
TEMPLATES = (
    "{a}",
    "Who is {a}?",
    "What did {a} say about {b}?",
    "Why did {a} {b} in {c}?",
    "How many {a} were {b} in {c}?",
    "When was {a} mentioned with {b}?",
    "Did {a} and {b} agree on {c}?",
    "Tell me about {a}, {b} and {c}, and what the article says about each.",
)


def article_words() -> list[str]:
    from assistant.settings import Settings

    text = Path(Settings().article_path).read_text(encoding="utf-8")
    return sorted(set(re.findall(r"[A-Za-z][a-z]{2,}", text)))


def distinct_questions(words: list[str], seed: int = SEED) -> Iterator[str]:
    """Endless distinct questions, 1 to MAX_WORDS words long; the same seed gives the same ones."""
    rng = random.Random(seed)
    number = 0
    while True:
        number += 1
        a, b, c = (rng.choice(words) for _ in range(3))
        tokens = rng.choice(TEMPLATES).format(a=a, b=b, c=c).split()
        length = rng.randint(1, MAX_WORDS)
        tokens = (tokens + [rng.choice(words) for _ in range(length)])[: max(length - 1, 0)]
        yield " ".join([*tokens, f"#{number}"])


def _ask_all(port: int, questions: list[str], clients: int) -> int:
    """Ask every question once, spread over ``clients`` connections; returns the number of errors."""
    errors = 0
    lock = threading.Lock()

    def client_loop(share: list[str]) -> None:
        nonlocal errors
        client = common.Client(port)
        for question in share:
            try:
                client.ask(question)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors += 1
                client = common.Client(port)

    threads = [threading.Thread(target=client_loop, args=(questions[n::clients],)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return errors


def anon_rss_mb(pid: int) -> float:
    """Resident memory not backed by a file: what a leak or allocator fragmentation adds to."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    args = common.options(
        "Server RSS against distinct questions answered.",
        f"{QUICK_QUESTIONS} questions",
        questions=24000,
        clients=16,
    )
    total, warm_up = (QUICK_QUESTIONS, QUICK_WARM_UP) if args.quick else (args.questions, WARM_UP)
    generated = distinct_questions(article_words())
    rows: dict[str, object] = {"questions": total, "clients": args.clients}
    errors = 0
    with common.serving() as (port, server):
        errors += _ask_all(port, [next(generated) for _ in range(warm_up)], args.clients)
        warm = common.rss_mb(server.pid)["rss_mb"]
        rows |= {"rss_after_warmup_mb": warm, "anon_rss_after_warmup_mb": anon_rss_mb(server.pid)}
        started = time.perf_counter()
        asked = 0
        samples: list[float] = []
        for checkpoint in range(1, CHECKPOINTS + 1):
            chunk = [next(generated) for _ in range(total * checkpoint // CHECKPOINTS - asked)]
            errors += _ask_all(port, chunk, args.clients)
            asked += len(chunk)
            samples.append(common.rss_mb(server.pid)["rss_mb"])
            rows[f"rss_after_{asked}_mb"] = samples[-1]
        elapsed = time.perf_counter() - started
        rows |= {
            "anon_rss_end_mb": anon_rss_mb(server.pid),
            "peak_rss_mb": common.rss_mb(server.pid)["peak_rss_mb"],
        }
    rows |= {
        "growth_mb": samples[-1] - warm,
        "growth_second_half_mb": samples[-1] - samples[CHECKPOINTS // 2 - 1],
        "answers_per_s": total / elapsed,
        "errors": errors,
        "machine": common.machine(),
    }
    common.report("memory_growth", rows)


if __name__ == "__main__":
    main()
