"""Index build times: a full rebuild and a no-op (article unchanged), in-process and as the CLI.

In-process figures time `Assistant.build_index` with the model already loaded; CLI figures are the
whole `assistant index` command, imports and model load included (not in the quick smoke run: the CLI
is tested on its own, and two more Python starts are most of the smoke run's time).

    .venv/bin/python benchmarks/index_build.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common


def _cli(index_dir: Path, *flags: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", *flags],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir)},
    )
    return time.perf_counter() - began


def main() -> None:
    args = common.options(
        "Index rebuild and no-op timings.", "one in-process repetition, no CLI runs", repeat=3
    )
    repeat = 1 if args.quick else args.repeat

    from assistant import Assistant, Settings

    with tempfile.TemporaryDirectory() as scratch:
        index_dir = Path(scratch) / "index"
        assistant = Assistant(Settings(index_dir=index_dir))
        assistant.build_index()
        rebuild, noop = [], []
        for _ in range(repeat):
            began = time.perf_counter()
            assistant.build_index(rebuild=True)
            rebuild.append(time.perf_counter() - began)
            began = time.perf_counter()
            assert assistant.build_index() is False
            noop.append(time.perf_counter() - began)
        cli = {}
        if not args.quick:
            cli["cli_rebuild_s"] = statistics.median(_cli(index_dir, "--rebuild") for _ in range(repeat))
            cli["cli_noop_s"] = statistics.median(_cli(index_dir) for _ in range(repeat))
    common.report(
        "index_build",
        {
            "rebuild_s": statistics.median(rebuild),
            "noop_s": statistics.median(noop),
            **cli,
            "machine": common.machine(),
        },
    )


if __name__ == "__main__":
    main()
