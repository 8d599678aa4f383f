"""Warm /api/ask latency over HTTP versus one bare query embedding, measured side by side.

Starts `assistant serve` on a free loopback port, asks the golden-set questions (distinct, so the
query-embedding cache does not flatter us), and between requests times `SentenceTransformer.encode`
of the same question in this process: the floor any answer has to pay.

    .venv/bin/python benchmarks/latency.py [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wait_ready(base: str, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit("server did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    parser.add_argument("--quick", action="store_true", help="10 questions, 1 round (CI smoke run)")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.embeddings import MiniLMEmbeddings
    from assistant.evaluation import DEFAULT_GOLDEN_SET, load_golden_set

    questions = [item.question for item in load_golden_set(DEFAULT_GOLDEN_SET) if not item.history]
    rounds = 1 if args.quick else args.rounds
    if args.quick:
        questions = questions[:10]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(base, server)
        model = MiniLMEmbeddings().model
        model.encode("warm-up")
        ask_ms: list[float] = []
        embed_ms: list[float] = []
        with httpx.Client(base_url=base, timeout=30) as client:
            client.post("/api/ask", json={"question": "warm-up question"})
            for round_number in range(rounds):
                for question in questions:
                    text = f"{question} " * (round_number + 1)  # new text each round: no cache hits
                    started = time.perf_counter()
                    response = client.post("/api/ask", json={"question": text.strip()})
                    ask_ms.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    started = time.perf_counter()
                    model.encode(text.strip())
                    embed_ms.append((time.perf_counter() - started) * 1000)
    finally:
        server.terminate()
        server.wait(10)

    result = {
        "requests": len(ask_ms),
        "ask_p50_ms": statistics.median(ask_ms),
        "ask_p95_ms": _percentile(ask_ms, 0.95),
        "embed_p50_ms": statistics.median(embed_ms),
        "ratio_p50": statistics.median(ask_ms) / statistics.median(embed_ms),
        "machine": f"{os.cpu_count()} cores",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(result, indent=2))
    print(f"{'metric':<28}value")
    for name, value in result.items():
        print(f"{name:<28}{value:.2f}" if isinstance(value, float) else f"{name:<28}{value}")


if __name__ == "__main__":
    main()
