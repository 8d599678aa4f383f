"""Warm /api/ask latency over HTTP against the models' own time for the same question, in one run.

Starts `assistant serve` on a free loopback port and asks the golden-set questions (each round adds a
question mark, so every search text is new and the query cache never answers). The floor is what the
models alone cost for that question: one query embedding plus the cross-encoder on the sentences the
server actually scores. Those are learned, untimed, from an ``Assistant`` built here on the server's
index (``common.model_work``); fresh model objects (``common.Models``) are then timed on them in this
process. Blocks of requests and blocks of model runs alternate, with a pause so neither side's idle
threads disturb the other.

    .venv/bin/python benchmarks/latency.py [--rounds 3] [--quick] [--follow-ups]

``--follow-ups`` asks the golden and holdout sets' follow-ups with their chats instead: the engine
scores a follow-up's candidates twice (its search text borrows the previous question; the question as
asked is scored alone too, and so are their two-sentence windows), and their models' own time counts both.
"""

from __future__ import annotations

import statistics
import time

import common

BLOCK = 10
PAUSE_SECONDS = 0.05


def main() -> None:
    args = common.options(
        "Warm /api/ask latency versus the models' own time.",
        "4 questions (2 follow-ups), 1 round",
        switches={"follow-ups": "the seed sets' follow-ups, asked with their chats"},
        rounds=3,
    )
    limit = (2 if args.follow_ups else 4) if args.quick else None
    rounds = 1 if args.quick else args.rounds
    local = None
    if args.follow_ups:
        from assistant.pipeline import Assistant

        local = Assistant()
        chats = common.follow_ups(local, limit)
    else:
        chats = [(q, []) for q in common.golden_questions(limit)]
    asked = [(f"{question}{'?' * r}", history) for r in range(rounds) for question, history in chats]
    texts = [text for text, _ in asked]
    histories = [history for _, history in asked]

    load_at_start = common.load_average()  # before our own server adds to it
    with common.serving() as (port, _):
        common.Client(port).ask("warm-up question")
        work = common.model_work(texts, histories, local)
        models = common.Models()
        ask_ms: list[float] = []
        embed_ms: list[float] = []
        rerank_ms: list[float] = []
        for start in range(0, len(texts), BLOCK):
            # A new connection per block (opening one on loopback takes ~0.1 ms): a model block under
            # load can outlast the server's keep-alive timer, which would close a kept one.
            client = common.Client(port)
            for text, history in asked[start : start + BLOCK]:
                began = time.perf_counter()
                client.ask(text, history)
                ask_ms.append((time.perf_counter() - began) * 1000)
            time.sleep(PAUSE_SECONDS)
            for item in work[start : start + BLOCK]:
                embedding, reranking = models.run(item)
                embed_ms.append(embedding * 1000)
                rerank_ms.append(reranking * 1000)
            time.sleep(PAUSE_SECONDS)
    models_ms = [e + r for e, r in zip(embed_ms, rerank_ms, strict=True)]
    pairs = [(len(item.sentences) + len(item.windows)) * (1 + (item.question is not None)) for item in work]
    common.report(
        "latency_follow_ups" if args.follow_ups else "latency",
        {
            "requests": len(ask_ms),
            "ask_p50_ms": statistics.median(ask_ms),
            "ask_p95_ms": common.summary_ms(ask_ms)["p95_ms"],
            "models_p50_ms": statistics.median(models_ms),
            "embed_p50_ms": statistics.median(embed_ms),
            "rerank_p50_ms": statistics.median(rerank_ms),
            "ratio_p50": statistics.median(ask_ms) / statistics.median(models_ms),
            "pairs_per_question_mean": statistics.fmean(pairs),
            "pairs_per_question_median": statistics.median(pairs),
            "rerank_share": sum(rerank_ms) / sum(models_ms),
            "load_average_at_start": load_at_start,
            "machine": common.machine(),
        },
    )


if __name__ == "__main__":
    main()
