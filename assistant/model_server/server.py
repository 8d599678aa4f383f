"""llama.cpp's own OpenAI-compatible server (the prebuilt ``xllamacpp`` wheel) on a packaged model.

``/v1/chat/completions`` (streamed or not), ``/v1/models`` and ``/health``, in this process: the
server runs while the returned object is alive, so ``serve_forever`` just waits for Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from assistant.errors import AssistantError
from assistant.model_server.models import PackagedModel, Progress, gguf_path

INSTALL_SERVER = "pip install xllamacpp==2026.10.11549 (or: pip install 'article-assistant[llm]')"


class ServerUnavailable(AssistantError):
    """The model server cannot start: its wheel is missing, or the address or model is unusable."""

    http_status: ClassVar[int] = 503


@dataclass(frozen=True)
class ServerOptions:
    """How to run the server; ``port=0`` picks a free one (the chosen URL is in ``base_url``)."""

    host: str = "127.0.0.1"  # loopback: the server has no API key
    port: int = 8080  # llama.cpp's own default
    threads: int | None = None  # None: half the cores (see ``default_threads``)
    ctx_size: int = 4096  # tokens; the models' own (8k, 32k) would reserve far more memory
    prompt_cache: bool = True
    """llama.cpp keeps earlier prompts' state in memory and restores the best match for a new one;
    off, each prompt is read afresh but for its prefix shared with the one before (benchmarks)."""


@dataclass
class RunningServer:
    """A live server: ``base_url`` is what ASSISTANT_LLM_BASE_URL takes, ``model`` ASSISTANT_LLM_MODEL."""

    base_url: str
    model: str
    gguf: Path
    load_seconds: float
    _server: Any = field(repr=False)  # llama.cpp stops when this is released


def default_threads() -> int:
    """Half the cores, at least one: the assistant's own embedder and reranker run beside the server, and
    llama.cpp's threads spin-wait, so oversubscribed cores collapse generation (SmolLM2 on 2 busy cores:
    3-8 tokens/s with 2 threads, 57-74 with 1)."""
    return max(1, (os.cpu_count() or 2) // 2)


def start(
    model: PackagedModel,
    options: ServerOptions,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> RunningServer:
    """Loads the model and starts listening; returns once requests are answered."""
    try:
        import xllamacpp
    except ImportError:
        msg = f"the model server needs the xllamacpp wheel, which is not installed; run: {INSTALL_SERVER}"
        raise ServerUnavailable(msg) from None
    path = gguf_path(model, cache_dir, progress)
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {model.name}
    params.hostnames = [options.host]
    params.port = options.port
    params.n_ctx = options.ctx_size
    params.offline = True  # never fetch a model or a template from a hub
    params.cors_origins = ""  # no web page on another origin may call a loopback model server
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = options.threads or default_threads()
    if not options.prompt_cache:
        params.cache_ram_mib = 0
    if progress:
        progress(f"Loading {model.name} from {path}")
    began = time.perf_counter()
    try:
        server = xllamacpp.Server(params)
    except Exception as error:  # llama.cpp reports a bad address or model as a plain RuntimeError
        msg = (
            f"llama.cpp could not serve {model.name} on {options.host}:{options.port} ({error});"
            f" check that the port is free (or pass --port 0) and that {path} is a GGUF model"
        )
        raise ServerUnavailable(msg) from None
    loaded = time.perf_counter() - began
    return RunningServer(f"{server.listening_address}/v1", model.name, path, loaded, server)


def serve_forever(running: RunningServer) -> None:
    """Blocks until Ctrl-C or SIGTERM, then lets llama.cpp finish and close its port."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        running._server = None
