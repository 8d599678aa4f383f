"""The benchmark scripts keep working: each runs in its quick mode and writes its JSON.

Figures are reported by the scripts, never asserted here: this machine is too noisy for timed tests.
Each script's ``main`` runs in this process, its results written to a temporary folder, on the session's
built index; the scripts that measure a running `assistant serve` share one (a real process, started
once: ``common.serving``), and one script also runs as the command it is, starting its own, so
``python benchmarks/<script>.py`` itself stays working.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]  # the real model, served
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

EXPECTED = {
    "latency": {"ask_p50_ms", "models_p50_ms", "ratio_p50", "rerank_share"},
    "peer_latency": {"ours_evidence_recall", "peer_evidence_recall", "p50_ours_over_peer"},
    "throughput": {"distinct_answers_per_s", "peak_rss_mb", "distinct_over_ceiling"},
    "cold_start": {"floor_s", "serve_ready_over_floor", "ask_cold_over_floor"},
    "index_build": {"rebuild_s", "noop_s"},
    "soak": {"api_errors", "chat_errors", "rss_end_mb"},
    "memory_growth": {"growth_mb", "growth_second_half_mb", "errors"},
    "first_token": {"backend_first_token_p50_ms", "page_first_token_p50_ms", "page_over_backend_p50"},
    "library_size": {
        "n1_p50_ms",
        "n1_rss_all_open_mb",
        "n1_disk_mb",
        "p50_growth",
        "entry_ms_growth",
        "across_p50_growth",
    },
}


@pytest.fixture(scope="module")
def shared_server(
    assistant, index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int]]:
    """One `assistant serve` on the session's index (built by ``assistant``): its port and pid."""
    from benchmarks.common import assistant_server, free_port, running_server, wait_ready

    port = free_port()
    feedback = tmp_path_factory.mktemp("shared-server") / "feedback.sqlite3"
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_FEEDBACK_DB": str(feedback)}
    with running_server(assistant_server(port), port, env) as server:
        wait_ready(port, server)
        yield port, server.pid


@pytest.fixture
def results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index_dir: Path, shared_server: tuple[int, int]
) -> Path:
    """The scripts' ``common`` module (imported as the scripts import it), writing into ``tmp_path``,
    with the shared server and the session's index."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    common = importlib.import_module("common")
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_dir))
    monkeypatch.setenv(common.SHARED_PORT, str(shared_server[0]))
    monkeypatch.setenv(common.SHARED_PID, str(shared_server[1]))
    return tmp_path / "results"


# latency.py runs as a command below: its own process, not again in this one.
IN_PROCESS = sorted(set(EXPECTED) - {"latency"})


@pytest.mark.parametrize("script", IN_PROCESS)
def test_benchmark_runs_in_quick_mode(script: str, results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [f"{script}.py", "--quick"])
    with mock.patch.dict(os.environ):  # a script may configure its servers through the environment
        importlib.import_module(script).main()
    written = json.loads((results / f"{script}.json").read_text())
    assert EXPECTED[script] <= set(written)


@pytest.mark.parametrize("switches", [[], ["--follow-ups"]], ids=["first questions", "follow-ups"])
def test_a_benchmark_runs_as_a_command(shared_server: tuple[int, int], switches: list[str]) -> None:
    """``python benchmarks/latency.py --quick`` as a user runs it: its own imports and its results file
    (its server the shared one: starting a server is what the other scripts' smoke runs skip too);
    with ``--follow-ups``, questions asked with their chats, scored twice."""
    from benchmarks.common import SHARED_PID, SHARED_PORT

    port, pid = shared_server
    environment = {**os.environ, SHARED_PORT: str(port), SHARED_PID: str(pid)}
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "latency.py"), "--quick", *switches],
        env=environment,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"latency.py failed:\n{run.stderr[-3000:]}"
    assert all(key in run.stdout for key in EXPECTED["latency"])


def test_the_avx2_model_of_cpu_spread_differs_only_by_saturation(tmp_path: Path) -> None:
    """``benchmarks/cpu_spread.py``'s copy of the cross-encoder clips what AVX2 clips: scores move by
    tenths of a logit at most, never the order of a clear case."""
    from assistant.retrieve.rerank import CrossEncoderReranker, reranker_dir
    from benchmarks.cpu_spread import rewrite

    passages = [
        "Iran's Revolutionary Guard announced that it had fired several missiles at ISIS positions.",
        "Trump visited Saudi Arabia and signed a large arms deal.",
        "The weather was mild for the season.",
    ]
    native = CrossEncoderReranker().score("Who fired the missiles?", passages)
    avx2 = CrossEncoderReranker(rewrite(reranker_dir(), tmp_path / "avx2")).score(
        "Who fired the missiles?", passages
    )
    assert abs(native - avx2).max() < 0.6
    assert list(native.argsort()) == list(avx2.argsort())
