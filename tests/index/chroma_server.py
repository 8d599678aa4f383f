"""A real ``chroma run`` server on loopback for tests: started, stopped and started again on the same
port and data folder (an outage and its recovery)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))


class ChromaServer:
    """One ``chroma run --path data --host 127.0.0.1 --port port``; ``url`` stays the same across restarts."""

    def __init__(self, data: Path) -> None:
        if CHROMA is None:
            pytest.fail("the `chroma` command (installed with chromadb) is missing from the venv")
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        self.process = subprocess.Popen(
            [CHROMA, "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"`chroma run` exited with {self.process.returncode} (port {self.port} taken?)")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"`chroma run` did not answer on {self.url} within 60 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def collections(self) -> set[str]:
        names = httpx.get(
            f"{self.url}/api/v2/tenants/default_tenant/databases/default_database/collections", timeout=10
        ).json()
        return {c["name"] for c in names}
