"""What each model step costs a question: the rewrite of a follow-up, the judgement, the answer.

Asks held-out questions, the follow-ups first (their chats played first), through
``Assistant.stream_with_article`` with the model configured, timing each step as it runs (the rewrite
and the judge are wrapped with a clock; the answer's first words are its first ``Partial``), and the
same questions on the default path (no model) for the ratio. p50 and p95 per step, over the
questions where the step ran.

    .venv/bin/python benchmarks/llm_steps.py [--base-url URL | --model qwen2.5-coder-1.5b] [--questions 40]

Without ``--base-url`` the model server is started here (``assistant llm serve``, 2 threads).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from first_token import server_at

from assistant import Assistant, Settings
from assistant.answer.base import Partial
from assistant.evaluation import load_golden_set, percentile, played_chat

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = ("opinion_holdout.jsonl", "readers_holdout.jsonl")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="A running model server (else one is started)")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--questions", type=int, default=40, help="from the held-out sets, follow-ups first")
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args()


def _clocked(log: list[float], call: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            log.append(time.perf_counter() - started)

    return timed


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | 0 | – | – |"
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    return f"| {name} | {len(values)} | {p50 * 1000:,.0f} | {p95 * 1000:,.0f} |"


def main() -> None:
    args = _options()
    every = [item for name in SETS for item in load_golden_set(DATA / name)]
    # The follow-ups first (the only questions a rewrite runs for), then the others, in set order.
    items = sorted(every, key=lambda item: not item.history)[: args.questions]
    with server_at(args.base_url, args.model, args.threads) as url:
        settings = Settings(llm_base_url=url, llm_model=args.model, llm_timeout=120, llm_step_timeout=60)
        assistant = Assistant(settings)
        rewrites: list[float] = []
        judgements: list[float] = []
        writer, review = assistant.question_writer, getattr(assistant.answerer, "review", None)
        if writer is not None:  # timed where the model is asked: the calls for a follow-up
            writer.backend.complete = _clocked(rewrites, writer.backend.complete)  # type: ignore[method-assign]
        if review is not None:
            review.judge.probability = _clocked(judgements, review.judge.probability)  # type: ignore[method-assign]
        assistant.open()  # after the clocks: the chain holds the rewrite step it is built with
        first_words: list[float] = []
        totals: list[float] = []
        defaults: list[float] = []
        rewrite_runs: list[float] = []
        for item in items:
            history = played_chat(assistant, item.history, extractive=True)
            started = time.perf_counter()
            assistant.ask_with_article(item.question, history, extractive=True)
            defaults.append(time.perf_counter() - started)
            before = len(rewrites)
            started, first = time.perf_counter(), None
            for piece in assistant.stream_with_article(item.question, history):
                if first is None and isinstance(piece, Partial) and piece.text.strip():
                    first = time.perf_counter() - started
            totals.append(time.perf_counter() - started)
            if first is not None:
                first_words.append(first)
            rewrite_runs += rewrites[before:]
    print(f"{len(items)} questions ({', '.join(SETS)}), model {args.model} at {url}; ms")
    print("| step | runs | p50 | p95 |\n|---|---|---|---|")
    for name, values in (
        ("default path (no model), whole answer", defaults),
        ("rewrite of a follow-up", rewrite_runs),
        ("judgement", judgements),
        ("answer's first words (from the question)", first_words),
        ("whole answer with the model", totals),
    ):
        print(_row(name, values))


if __name__ == "__main__":
    main()
