"""``assistant serve --workers N``: N processes answering on one listening socket.

uvicorn's own worker mode wants the app as an import string and pickles its ``Config`` into every
spawned worker; ours carries a protocol class made at start-up with the connection limits
(``serving.server_config``), which does not pickle. So the supervisor binds the socket once and
spawns N processes (``spawn``, not ``fork``: no model, thread or lock state is copied), each of which
loads the assistant and runs uvicorn on the inherited socket; the kernel hands every new connection
to one of them. Workers share nothing but the Chroma server: API answers are stateless (the chat
history travels with each request), so no request needs the worker that answered the one before, and
the connection limits (``ASSISTANT_MAX_CONNECTIONS``, …) hold per worker.

The workers serve the APIs, ``/healthz`` and the docs, not the chat page: Gradio keeps each browser
tab's state and its event stream in the process that took the tab's first request (its queue's
``/queue/join`` and ``/queue/data`` must reach the same process), and a shared socket spreads one
tab's connections over all workers. The page is served by single-process ``assistant serve``
instances, which a proxy can pin each client to (README, Production layout).

A worker that dies after it was serving (killed, out of memory) is started again; one that fails
to start stops them all, since its siblings would fail the same way (its ``Error:`` line says why).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

from assistant.web.serving import Listener

logger = logging.getLogger("assistant.web.workers")

# A worker exiting within this many seconds of its previous restart is not started again at once.
RESTART_PAUSE = 1.0
STOP_WAIT = 15.0


def bind(listener: Listener) -> socket.socket:
    """The one listening socket every worker accepts on (as uvicorn binds it)."""
    infos = socket.getaddrinfo(listener.host, listener.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _worker(sock: socket.socket, listener: Listener, ready: Event) -> None:
    """One worker: the assistant as ``assistant serve`` opens it, then uvicorn on the shared socket."""
    import uvicorn

    from assistant.errors import AssistantError
    from assistant.pipeline import Assistant
    from assistant.settings import load_settings
    from assistant.web.app import create_app
    from assistant.web.serving import as_served, server_config

    try:
        assistant = Assistant(load_settings())
        assistant.open()
    except AssistantError as error:
        _say(f"Error: {' '.join(str(error).split())}")
        sys.exit(1)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            ready.set()  # listening: the supervisor may say the service is up

    # See the module docstring: the page needs one process.
    app = create_app(assistant, as_served(assistant.settings, listener), with_ui=False)
    config = server_config(app, assistant.settings, listener)
    Server(config).run(sockets=[sock])


@dataclass
class _Slot:
    """One worker's place: its process now, and whether any process in it got as far as serving."""

    number: int
    process: BaseProcess | None = None
    ready: Event | None = None
    served: bool = False
    started_at: float = field(default=0.0)


class Supervisor:
    """Starts ``count`` workers on ``listener`` and keeps them running until SIGINT or SIGTERM."""

    def __init__(self, count: int, listener: Listener) -> None:
        self.count = count
        self.listener = listener
        self.context = multiprocessing.get_context("spawn")
        self.stopping = False

    def _start(self, slot: _Slot, sock: socket.socket) -> None:
        slot.ready = self.context.Event()
        slot.process = self.context.Process(
            target=_worker, args=(sock, self.listener, slot.ready), name=f"assistant-worker-{slot.number}"
        )
        slot.process.start()
        slot.started_at = time.monotonic()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        """Serve until stopped; the exit status: 0, or 1 when a worker could not start."""
        sock = bind(self.listener)
        slots = [_Slot(n) for n in range(1, self.count + 1)]
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        status = 0
        try:
            for slot in slots:
                self._start(slot, sock)
            announced = False
            while not self.stopping:
                wait([s.process.sentinel for s in slots if s.process is not None], timeout=0.5)
                for slot in slots:
                    slot.served = slot.served or bool(slot.ready and slot.ready.is_set())
                if not announced and all(s.served for s in slots):
                    pids = ", ".join(str(s.process.pid) for s in slots if s.process is not None)
                    url = f"http://{self.listener.host}:{self.listener.port}"
                    _say(
                        f"Serving the APIs at {url} with {self.count} workers (pids {pids}); Ctrl-C stops "
                        "them. The chat page needs one process per browser: serve it without --workers."
                    )
                    announced = True
                if self.stopping:
                    break
                if (outcome := self._replace_exited(slots, sock)) is not None:
                    status = outcome
                    break
        finally:
            self._stop_all(slots)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            sock.close()
        return status

    def _replace_exited(self, slots: list[_Slot], sock: socket.socket) -> int | None:
        """Start workers again in the places of those that died; an exit status when all must stop:
        a worker that never served (it cannot start), or one that stopped cleanly (Ctrl-C reached it)."""
        for slot in slots:
            process = slot.process
            if process is None or process.is_alive():
                continue
            code = process.exitcode
            if not slot.served or code == 0:
                if code != 0:
                    _say(f"Worker {slot.number} could not start (exit code {code}); stopping the others.")
                return 0 if code == 0 else 1
            _say(f"Worker {slot.number} (pid {process.pid}) exited with code {code}; starting another.")
            time.sleep(max(0.0, RESTART_PAUSE - (time.monotonic() - slot.started_at)))
            self._start(slot, sock)
        return None

    def _stop_all(self, slots: list[_Slot]) -> None:
        """SIGTERM (uvicorn finishes what is in flight), then SIGKILL whatever outlives ``STOP_WAIT``."""
        running = [s.process for s in slots if s.process is not None and s.process.is_alive()]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_WAIT
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve_workers(count: int, listener: Listener) -> int:
    """Run ``count`` workers on ``listener`` (checked by ``serving.prepare``); the exit status."""
    return Supervisor(count, listener).run()
