"""Debian's nginx with deploy/nginx.conf, run on loopback as a child process we own.

Each nginx runs from a copy of the shipped file in which only the ports, the password file and (if
asked) the client timeouts are changed; every other directive is the one deploying teams copy. Shared by
the proxy's tests (tests/web/test_nginx_proxy.py) and the red-team run (benchmarks/redteam.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

NGINX = Path("/usr/sbin/nginx")
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
HOST = "assistant.example.com"
USER, PASSWORD = "alice", "correct-horse-battery"


def _replace(text: str, pattern: str, replacement: str, count: int) -> str:
    """One substitution into the shipped config; it must match exactly ``count`` times, or the copy
    would silently test something else."""
    lines, found = [], 0
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # comments show directives too: leave them be
            line, n = re.subn(pattern, replacement, line)
            found += n
        lines.append(line)
    if found != count:
        msg = f"deploy/nginx.conf: expected {count} × {pattern!r}, found {found}"
        raise ValueError(msg)
    return "".join(lines)


def site_config(
    listen_port: int,
    upstream_port: int,
    htpasswd: Path,
    open_requests: dict[str, int] | None = None,
    client_timeout: int | None = None,
) -> str:
    """deploy/nginx.conf with our ports and password file; ``open_requests`` scales ``limit_conn``
    zones down ({zone: limit}, every occurrence), for tests that fill them; ``client_timeout`` (seconds)
    replaces the client header, body, send and keep-alive timeouts, so slow clients are cut off quickly."""
    text = CONFIG.read_text(encoding="utf-8")
    for zone, limit in (open_requests or {}).items():
        count = len(re.findall(rf"^\s*limit_conn {zone} \d+;", text, re.MULTILINE))
        text = _replace(text, rf"limit_conn {zone} \d+;", f"limit_conn {zone} {limit};", count)
    text = _replace(text, r"listen 80( default_server)?;", rf"listen 127.0.0.1:{listen_port}\1;", 2)
    text = _replace(text, r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{upstream_port};", 1)
    text = _replace(text, r"auth_basic_user_file \S+;", f"auth_basic_user_file {htpasswd};", 1)
    if client_timeout is None:
        return text
    for directive, count in {"client_header_timeout": 2, "client_body_timeout": 1, "send_timeout": 1}.items():
        text = _replace(text, rf"{directive} \d+s;", f"{directive} {client_timeout}s;", count)
    return _replace(text, r"keepalive_timeout 15s;", f"keepalive_timeout {client_timeout}s;", 1)


def main_config(site: Path, work: Path, *, workers: str = "1", worker_connections: int = 512) -> str:
    """A main nginx.conf like Debian's, with everything under ``work``, compressing event streams too
    (as a site that compresses everything might): the streaming locations must still stream. Debian's
    own has ``workers="auto"`` and 768 connections each."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # the worker must read the password file in tmp
    temp_paths = "".join(f"    {kind}_temp_path {work / kind};\n" for kind in ("client_body", "proxy"))
    temp_paths += "".join(f"    {kind}_temp_path {work / kind};\n" for kind in ("fastcgi", "uwsgi", "scgi"))
    return (
        f"{user}worker_processes {workers};\ndaemon off;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} info;\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        "http {\n"
        f"    access_log {work / 'access.log'};\n"
        "    gzip on;\n    gzip_types text/event-stream application/json;\n"
        f"{temp_paths}"
        f"    include {site};\n"
        "}\n"
    )


def write_htpasswd(path: Path) -> None:
    """An Apache MD5 (apr1) entry made with openssl, as the deploy notes suggest."""
    hashed = subprocess.run(
        ["openssl", "passwd", "-apr1", "-stdin"], input=PASSWORD, capture_output=True, text=True, check=True
    ).stdout.strip()
    path.write_text(f"{USER}:{hashed}\n", encoding="utf-8")


def missing() -> str | None:
    """What is missing to run the proxy here (nginx, openssl), with how to install it; None if nothing."""
    absent = [
        name
        for name, found in ((str(NGINX), NGINX.exists()), ("openssl", shutil.which("openssl")))
        if not found
    ]
    if not absent:
        return None
    return f"{' and '.join(absent)} missing: install Debian's nginx and openssl packages (`make setup` does)"


@contextlib.contextmanager
def running_nginx(
    work: Path,
    listen_port: int,
    upstream_port: int,
    *,
    open_requests: dict[str, int] | None = None,
    client_timeout: int | None = None,
    workers: str = "1",
    worker_connections: int = 512,
) -> Iterator[str]:
    """nginx in the foreground with its files in ``work`` (an empty folder), in front of
    ``upstream_port``; yields its URL once it accepts connections, and stops it (workers included)."""
    htpasswd = work / "htpasswd"
    write_htpasswd(htpasswd)
    site = work / "article-assistant.conf"
    site.write_text(
        site_config(listen_port, upstream_port, htpasswd, open_requests, client_timeout), encoding="utf-8"
    )
    main = work / "nginx.conf"
    main.write_text(
        main_config(site, work, workers=workers, worker_connections=worker_connections), encoding="utf-8"
    )
    log = work / "error.log"
    process = subprocess.Popen(
        [str(NGINX), "-p", str(work), "-c", str(main), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", listen_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    errors = log.read_text(errors="replace") if log.exists() else "(no error log)"
                    msg = f"nginx did not start on port {listen_port} (exit code {process.poll()}):\n{errors}"
                    raise RuntimeError(msg) from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{listen_port}"
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown, workers included
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
