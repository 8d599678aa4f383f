"""The real model server for the LLM tests: ``assistant llm serve`` on SmolLM2-135M, in its own process.

One per session (it loads in about a second), registered once in tests/conftest.py for every folder
that uses it. Tests of a backend that dies mid-run call ``.stop()`` and ``.start()``: the server comes
back on the same port, so a client configured once recovers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

READY_WITHIN = 60.0  # seconds; an upper bound: smollm2 is ready in about one, the 1.5B model in 2-6


class LlamaServer:
    """``python -m assistant.cli llm serve --model MODEL`` on loopback, its output in ``log``."""

    def __init__(self, log: Path, model: str = "smollm2") -> None:
        self.log = log
        self.model = model
        self.port = 0  # 0 until the first start, when the OS picks one; then kept across restarts
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """What ASSISTANT_LLM_BASE_URL takes."""
        assert self.port, "the server has not been started"
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Starts the server (on the same port as before, if it ran) and returns once it answers;
        a no-op while it runs."""
        if self.running:
            return self.base_url
        offset = self.log.stat().st_size if self.log.exists() else 0
        command = [sys.executable, "-m", "assistant.cli", "llm", "serve", "--model", self.model]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(
                    f"`{' '.join(command[2:])}` exited with {self._process.returncode}:\n{self._tail()}"
                )
            if not self.port:
                self.port = self._announced_port(offset)
            if self.port and self._healthy():
                return self.base_url
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the model server was not ready within {READY_WITHIN:.0f} s:\n{self._tail()}")

    def stop(self) -> None:
        """Terminates the server (killed if it lingers); its port then refuses connections."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def _announced_port(self, offset: int) -> int:
        with self.log.open("rb") as log:
            log.seek(offset)
            for line in log.read().decode("utf-8", "replace").splitlines():
                if line.startswith("ASSISTANT_LLM_BASE_URL="):
                    return int(line.rsplit(":", 1)[1].removesuffix("/v1"))
        return 0

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def _tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The real llama.cpp server on smollm2, started once; ``base_url`` and ``model`` say where and what."""
    server = LlamaServer(tmp_path_factory.mktemp("llm") / "server.log")
    server.start()
    yield server
    server.stop()
