"""How ``assistant serve`` runs uvicorn: bounded connections, checked address, logs that say why.

uvicorn's defaults leave a connection that never completes its request open for ever and trust
``X-Forwarded-*`` from 127.0.0.1. Here the h11 protocol is forced, with the deadlines and caps of
``assistant.web.connections``; proxy headers are left to the app (``assistant.web.proxies``), which trusts
only ``ASSISTANT_TRUSTED_PROXIES``; and the open-files limit is raised so the connection cap, not the
file descriptor table, is what refuses a flood.
"""

from __future__ import annotations

import errno
import logging
import resource
import socket
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn

from assistant.errors import InvalidConfiguration
from assistant.settings import Settings
from assistant.web.connections import ConnectionLimits, GuardedH11Protocol
from assistant.web.log_lines import log_config as bounded_log_config

logger = logging.getLogger(__name__)

# File descriptors the process needs besides client connections: the model files, Chroma's SQLite and
# its segment files, Gradio, thread pipes, the listening socket (measured: 46 while serving).
RESERVED_FILE_DESCRIPTORS = 256
# Below this many connections the server is not worth starting: the limit is a misconfiguration.
MIN_CONNECTIONS = 16


@dataclass(frozen=True)
class Listener:
    """Where and how to listen, checked before the model loads (see ``prepare``)."""

    host: str
    port: int
    limits: ConnectionLimits


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (no privilege needed); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit; the connection cap below adapts to it
    return soft


def connection_limits(settings: Settings, open_files: int) -> ConnectionLimits:
    """The settings' limits, with the connection cap kept below the open-files limit."""
    max_connections = min(settings.max_connections, open_files - RESERVED_FILE_DESCRIPTORS)
    if max_connections < MIN_CONNECTIONS:
        msg = (
            f"the open-files limit is {open_files}, too low to serve: {RESERVED_FILE_DESCRIPTORS} are "
            f"needed besides connections; raise it (ulimit -n {RESERVED_FILE_DESCRIPTORS + 1024})"
        )
        raise InvalidConfiguration(msg)
    if settings.max_streams is not None and settings.max_streams >= max_connections:
        msg = (
            f"the open-files limit is {open_files}, which leaves {max_connections} connections, and "
            f"ASSISTANT_MAX_STREAMS={settings.max_streams} would let event streams take all of them; set "
            f"it below {max_connections}, unset it (half of the connections), or raise the limit "
            f"(ulimit -n {RESERVED_FILE_DESCRIPTORS + 1024})"
        )
        raise InvalidConfiguration(msg)
    if max_connections < settings.max_connections:
        logger.warning(
            "accepting at most %d connections (ASSISTANT_MAX_CONNECTIONS is %d) because the open-files "
            "limit is %d; raise it with ulimit -n",
            max_connections,
            settings.max_connections,
            open_files,
        )
    return ConnectionLimits(
        header_timeout=settings.header_timeout,
        max_header_bytes=settings.max_header_bytes,
        max_connections=max_connections,
    )


def as_served(settings: Settings, listener: Listener) -> Settings:
    """``settings`` with the connection cap the listener can keep, for the app's own budgets: event
    streams default to half of the connections there really are."""
    if listener.limits.max_connections >= settings.max_connections:
        return settings
    return settings.model_copy(update={"max_connections": listener.limits.max_connections})


def check_listen_address(host: str, port: int, source: str = "ASSISTANT_HOST") -> None:
    """Fail fast, before the model loads, on a host that does not resolve or an address we cannot bind.

    ``source`` names where the host came from (the variable, or ``--host``) for the message.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        msg = (
            f"{source} {host!r} does not resolve ({reason}): give an IP address such as 127.0.0.1 "
            "(this machine only) or 0.0.0.0 (every interface), or a host name this machine can resolve"
        )
        raise InvalidConfiguration(msg) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                hint = "another process listens there: stop it or choose another ASSISTANT_PORT / --port"
            elif error.errno == errno.EADDRNOTAVAIL:
                hint = f"{host!r} is not an address of this machine: use one of its addresses or 0.0.0.0"
            else:
                hint = "choose another address or port"
            msg = f"cannot listen on {host}:{port} ({error.strerror}): {hint}"
            raise InvalidConfiguration(msg) from None


def prepare(settings: Settings, host: str | None = None, port: int | None = None) -> Listener:
    """Everything that can stop ``assistant serve`` before it loads the model: address and file limits.

    ``host``/``port`` (the command's options) override the settings.
    """
    source = "--host" if host else "ASSISTANT_HOST"
    host, port = host or settings.host, port or settings.port
    check_listen_address(host, port, source)
    return Listener(host, port, connection_limits(settings, raise_open_files_limit()))


def server_config(
    app: Any,
    settings: Settings,
    listener: Listener,
    *,
    log_config: dict[str, Any] | Literal["bounded"] | None = "bounded",
) -> uvicorn.Config:
    """The uvicorn configuration ``assistant serve`` runs with (tests start servers from it too).

    ``log_config``: ``"bounded"``, uvicorn's format with every line cut to ``ASSISTANT_MAX_LOG_LINE_CHARS``
    (``assistant.web.log_lines``); None leaves logging as it is (tests read records with caplog)."""
    if log_config == "bounded":
        log_config = bounded_log_config(settings.max_log_line_chars)
    return uvicorn.Config(
        app,
        host=listener.host,
        port=listener.port,
        http=GuardedH11Protocol.with_limits(listener.limits),
        timeout_keep_alive=settings.keep_alive_timeout,  # type: ignore[arg-type]  (a float works)
        # Forwarded headers are the app's business (assistant.web.proxies), for the configured proxies only.
        proxy_headers=False,
        forwarded_allow_ips=[],
        server_header=False,
        log_config=log_config,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


def serve(app: Any, settings: Settings, listener: Listener) -> None:
    """Run ``app`` until interrupted, on the listener ``prepare`` checked."""
    uvicorn.Server(server_config(app, settings, listener)).run()
