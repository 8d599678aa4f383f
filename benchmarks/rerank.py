"""What the cross-encoder costs per question: MiniLM's dense top-N sentences of the seed article scored by
``CrossEncoderReranker``, for several N, batch sizes and intra-op thread counts.

1. One caller: wall and CPU ms per question (p50 over questions × repetitions; CPU time is the steadier
   figure on a shared machine, and what throughput is made of) and tokens scored per question, for
   N in 8…30 and batches of 1, 2, 4, 5, 8 and N. Configurations take turns within each repetition, so
   the machine's noise (other processes on the same cores) spreads over all of them.
2. Four callers at once on one shared reranker (as the server's request threads call it): questions per
   second, ms and CPU ms per question, for 1 and 2 intra-op threads, with ORT's thread spinning off and on.

    .venv/bin/python -m benchmarks.rerank [--questions 10] [--repeat 3] [--quick] [--json [OUT]]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks import common

RESULT = common.RESULTS / "rerank.json"
CANDIDATES = (8, 12, 16, 20, 30)
BATCH_SIZES = (1, 2, 4, 5, 8)
THREADS = (1, 2)
CALLERS = 4
CONCURRENT_CANDIDATES = 20
CONCURRENT_BATCH_SIZES = (1, 4)


@dataclass(frozen=True)
class Row:
    threads: int
    candidates: int
    batch_size: int
    p50_ms: float
    cpu_p50_ms: float
    tokens: float


@dataclass(frozen=True)
class ConcurrentRow:
    threads: int
    spinning: bool
    batch_size: int
    callers: int
    questions_per_s: float
    p50_ms: float
    cpu_ms_per_question: float


def dense_candidates(questions: Sequence[str], top: int) -> list[list[str]]:
    """Each question's ``top`` article sentences by MiniLM cosine: what the reranker is given."""
    from assistant.index.embeddings import MiniLMEmbeddings
    from assistant.ingest.parse import load_article
    from assistant.ingest.split import split_article
    from assistant.settings import DEFAULT_ARTICLE

    sentences = [s.text for s in split_article(load_article(DEFAULT_ARTICLE))[0]]
    embeddings = MiniLMEmbeddings()
    vectors = embeddings.embed_many(sentences)
    ranked = []
    for question in questions:
        cosine = vectors @ embeddings.embed_query_vector(question)
        ranked.append([sentences[i] for i in np.argsort(-cosine, kind="stable")[:top]])
    return ranked


def reranker(threads: int, spinning: bool = False):
    """A loaded reranker (spinning is read when the session is built, so it is set around the load)."""
    from assistant.retrieve import rerank

    model = rerank.CrossEncoderReranker(threads=threads)
    rerank.SPIN_WAIT = spinning
    try:
        model.probe()
    finally:
        rerank.SPIN_WAIT = False
    return model


def one_caller(
    questions: Sequence[str],
    ranked: Sequence[Sequence[str]],
    repeat: int,
    candidates: Sequence[int],
    batch_sizes: Sequence[int],
    threads: Sequence[int],
) -> list[Row]:
    models = {t: reranker(t) for t in threads}
    configs = [
        (t, n, b) for t in threads for n in candidates for b in dict.fromkeys((*batch_sizes, n)) if b <= n
    ]
    timings: dict[tuple[int, int, int], list[tuple[float, float]]] = {c: [] for c in configs}
    for _ in range(repeat):
        for (t, n, b), (question, sentences) in itertools.product(
            configs, zip(questions, ranked, strict=True)
        ):
            model = models[t]
            model.batch_size = b
            began, cpu = time.perf_counter(), time.process_time()
            model.score(question, sentences[:n])
            timings[(t, n, b)].append((time.perf_counter() - began, time.process_time() - cpu))
    model = models[threads[0]]
    tokens = {
        n: statistics.mean(sum(model.token_counts(q, s[:n])) for q, s in zip(questions, ranked, strict=True))
        for n in candidates
    }
    return [
        Row(
            t,
            n,
            b,
            statistics.median(wall for wall, _ in timings[(t, n, b)]) * 1000,
            statistics.median(cpu for _, cpu in timings[(t, n, b)]) * 1000,
            tokens[n],
        )
        for t, n, b in configs
    ]


def concurrent_callers(
    questions: Sequence[str],
    ranked: Sequence[Sequence[str]],
    repeat: int,
    batch_sizes: Sequence[int],
    threads: Sequence[int],
) -> list[ConcurrentRow]:
    """``CALLERS`` threads each score every question ``repeat`` times on one shared reranker."""
    rows = []
    jobs = [(q, s[:CONCURRENT_CANDIDATES]) for q, s in zip(questions, ranked, strict=True)] * repeat
    for t, spinning in itertools.product(threads, (False, True)):
        if t == 1 and spinning:
            continue  # one thread has no pool to spin
        model = reranker(t, spinning)
        for b in batch_sizes:
            model.batch_size = b
            latencies: list[float] = []
            lock = threading.Lock()

            def caller(model=model, latencies=latencies, lock=lock) -> None:
                for question, sentences in jobs:
                    began = time.perf_counter()
                    model.score(question, sentences)
                    with lock:
                        latencies.append((time.perf_counter() - began) * 1000)

            workers = [threading.Thread(target=caller) for _ in range(CALLERS)]
            began, cpu = time.perf_counter(), time.process_time()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            rows.append(
                ConcurrentRow(
                    t,
                    spinning,
                    b,
                    CALLERS,
                    len(latencies) / elapsed,
                    statistics.median(latencies),
                    cpu * 1000 / len(latencies),
                )
            )
    return rows


def table(rows: Sequence[Row], concurrent: Sequence[ConcurrentRow]) -> str:
    lines = []
    for metric, title in (("p50_ms", "wall"), ("cpu_p50_ms", "CPU")):
        lines += [f"One caller: {title} ms per question (p50), by batch size", ""]
        for t in dict.fromkeys(r.threads for r in rows):
            lines.append(
                f"threads={t}   N  tokens  " + "  ".join(f"{f'b={b}':>5}" for b in (*BATCH_SIZES, "N"))
            )
            for n in dict.fromkeys(r.candidates for r in rows):
                cells = {
                    r.batch_size: getattr(r, metric) for r in rows if r.threads == t and r.candidates == n
                }
                shown = [f"{cells[b]:5.0f}" if b in cells and b < n else f"{'':>5}" for b in BATCH_SIZES]
                tokens = next(r.tokens for r in rows if r.candidates == n)
                lines.append(f"           {n:2d}  {tokens:6.0f}  " + "  ".join([*shown, f"{cells[n]:5.0f}"]))
            lines.append("")
    lines.append(
        f"{CALLERS} callers at once, N={CONCURRENT_CANDIDATES}: questions/s, wall ms (p50), CPU ms a question"
    )
    for r in concurrent:
        lines.append(
            f"  threads={r.threads} spinning={'on ' if r.spinning else 'off'} b={r.batch_size}: "
            f"{r.questions_per_s:5.1f} q/s  {r.p50_ms:6.0f} ms  {r.cpu_ms_per_question:5.0f} CPU ms"
        )
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The cross-encoder's cost per question, by N, batch and threads."
    )
    parser.add_argument("--questions", type=int, default=10, help="golden-set questions asked (default 10)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of every configuration (default 3)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 questions, N 8 and 20, 1 thread (CI smoke run)"
    )
    parser.add_argument(
        "--json", type=Path, nargs="?", const=RESULT, help=f"also write the rows as JSON (default {RESULT})"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    questions = common.golden_questions(3 if args.quick else args.questions)
    repeat = 1 if args.quick else args.repeat
    candidates, batch_sizes, threads = (
        ((8, 20), (1, 4), (1,)) if args.quick else (CANDIDATES, BATCH_SIZES, THREADS)
    )
    ranked = dense_candidates(questions, max(candidates))
    rows = one_caller(questions, ranked, repeat, candidates, batch_sizes, threads)
    concurrent = concurrent_callers(questions, ranked, repeat, CONCURRENT_BATCH_SIZES, threads)
    print(table(rows, concurrent))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "machine": common.machine(),
            "questions": len(questions),
            "repeat": repeat,
            "one_caller": [asdict(r) for r in rows],
            "concurrent": [asdict(r) for r in concurrent],
        }
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
