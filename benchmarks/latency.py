"""Warm /api/ask latency over HTTP against one bare query embedding, side by side in one run.

Starts `assistant serve` on a free loopback port and asks the golden-set questions (each round
changes the text, so the query cache never answers). Between blocks of requests it times
`SentenceTransformer.encode` of the same questions in this process: the floor any answer pays.
Blocks alternate, with a pause so neither side's idle threads disturb the other.

    .venv/bin/python benchmarks/latency.py [--rounds 3] [--quick]
"""

from __future__ import annotations

import statistics
import time

import common

BLOCK = 10
PAUSE_SECONDS = 0.05


def main() -> None:
    args = common.options(
        "Warm /api/ask latency versus one query embedding.", "10 questions, 1 round", rounds=3
    )
    questions = common.golden_questions(10 if args.quick else None)
    rounds = 1 if args.quick else args.rounds

    from assistant.index.embeddings import MiniLMEmbeddings

    port = common.free_port()
    with common.running_server(common.assistant_server(port), port) as server:
        common.wait_ready(port, server)
        model = MiniLMEmbeddings().model
        model.encode("warm-up")
        client = common.Client(port)
        client.ask("warm-up question")
        texts = [f"{q} " * (r + 1) for r in range(rounds) for q in questions]
        ask_ms: list[float] = []
        embed_ms: list[float] = []
        for start in range(0, len(texts), BLOCK):
            block = [t.strip() for t in texts[start : start + BLOCK]]
            for text in block:
                began = time.perf_counter()
                client.ask(text)
                ask_ms.append((time.perf_counter() - began) * 1000)
            time.sleep(PAUSE_SECONDS)
            for text in block:
                began = time.perf_counter()
                model.encode(text)
                embed_ms.append((time.perf_counter() - began) * 1000)
            time.sleep(PAUSE_SECONDS)
    common.report(
        "latency",
        {
            "requests": len(ask_ms),
            "ask_p50_ms": statistics.median(ask_ms),
            "ask_p95_ms": sorted(ask_ms)[int(0.95 * (len(ask_ms) - 1))],
            "embed_p50_ms": statistics.median(embed_ms),
            "ratio_p50": statistics.median(ask_ms) / statistics.median(embed_ms),
            "machine": common.machine(),
        },
    )


if __name__ == "__main__":
    main()
