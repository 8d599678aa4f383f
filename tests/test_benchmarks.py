"""The benchmark scripts keep working: each runs in its quick mode and writes its JSON.

Figures are reported by the scripts, never asserted here: this machine is too noisy for timed tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]  # the real model, served
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "expected_keys"),
    [
        ("latency.py", {"ask_p50_ms", "models_p50_ms", "ratio_p50", "rerank_share"}),
        ("peer_latency.py", {"ours_evidence_recall", "peer_evidence_recall", "p50_ours_over_peer"}),
        ("throughput.py", {"distinct_answers_per_s", "peak_rss_mb", "distinct_over_ceiling"}),
        ("cold_start.py", {"floor_s", "serve_ready_over_floor", "ask_cold_over_floor"}),
        ("index_build.py", {"rebuild_s", "noop_s"}),
        ("soak.py", {"api_errors", "chat_errors", "rss_end_mb"}),
        ("memory_growth.py", {"growth_mb", "growth_second_half_mb", "errors"}),
        (
            "first_token.py",
            {"backend_first_token_p50_ms", "page_first_token_p50_ms", "page_over_backend_p50"},
        ),
        (
            "library_size.py",
            {
                "n1_p50_ms",
                "n1_rss_all_open_mb",
                "n1_disk_mb",
                "p50_growth",
                "entry_ms_growth",
                "across_p50_growth",
            },
        ),
    ],
)
def test_benchmark_runs_in_quick_mode(script, expected_keys, tmp_path):
    environment = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        env=environment,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"{script} failed:\n{run.stderr[-3000:]}"
    written = json.loads((BENCHMARKS / "results" / script.replace(".py", ".json")).read_text())
    assert expected_keys <= set(written)
