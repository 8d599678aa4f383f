"""Where a build's Chroma collections live: the client factory, and the check that they are whole.

Three places, picked in one spot (``chroma_store``), langchain-chroma style:

- by default an embedded ``PersistentClient`` inside each build's folder, guarded by the SQLite
  checks of ``assistant.index.store`` (no Chroma import needed to tell a fresh build);
- a Chroma server, when ``ASSISTANT_CHROMA_URL`` is set (``chromadb.HttpClient``);
- a client the caller passes in (``chromadb.EphemeralClient()`` keeps the fast tests in memory).

With one shared client every build is its own pair of collections, named after the build, and
collections that vanished (a restarted in-memory client, a wiped server) make the build stale rather
than "up to date". Which build is current, and the build lock, live in the index directory for the
embedded store and an injected client (one process, or one host), and on the server for a Chroma
server, which workers on several hosts share (``assistant.index.server_catalog``).

A server that stops answering is an ``IndexUnavailable`` naming it (a 503, ``/healthz`` degraded).
``chromadb.HttpClient`` holds no connection state worth keeping: each call is a new request, so once
the server is back the same client and collections answer again, and nothing has to be restarted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.chroma_address import server_address
from assistant.errors import IndexUnavailable, InvalidConfiguration
from assistant.index.store import Gate, StoreGate, StoreProblem, store_file, store_problem
from assistant.offline import enforce_offline

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

logger = logging.getLogger(__name__)

WRITABLE_FIX = "make it writable, or point ASSISTANT_INDEX_DIR at a writable directory"
# Seconds a call to a Chroma server may take: to connect, and in all (a build's largest upsert takes a
# second or two). chromadb's own client waits without a limit, so a hung server (stopped, or cut off
# without a reset) would hold every request thread for ever; past these a call fails, as an outage.
SERVER_CONNECT_SECONDS = 5.0
SERVER_CALL_SECONDS = 30.0


def _chroma_settings() -> Any:
    """Offline by default: Chroma's telemetry stays off, and nothing may reset a store."""
    enforce_offline()
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def persistent_client(path: Path) -> ClientAPI:
    """An embedded store in ``path`` (one per build folder)."""
    settings = _chroma_settings()
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=settings)


def http_client(url: str) -> ClientAPI:
    """A client of the Chroma server at ``url``; ``IndexUnavailable`` when it does not answer."""
    try:
        host, port, ssl = server_address(url)
    except ValueError as error:
        raise InvalidConfiguration(f"ASSISTANT_CHROMA_URL: {error}") from None
    settings = _chroma_settings()
    import chromadb

    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
    except Exception as error:
        msg = (
            f"cannot reach the Chroma server at ASSISTANT_CHROMA_URL={url!r} ({error}); start it "
            "(`chroma run --path <dir> --port <port>`), or unset ASSISTANT_CHROMA_URL to keep the index "
            "in ASSISTANT_INDEX_DIR"
        )
        raise IndexUnavailable(msg) from None
    _bound_waits(client)
    return client


def _bound_waits(client: ClientAPI) -> None:
    """Give chromadb's HTTP session time limits (it has none): its ``httpx.Client`` is not public API,
    so a chromadb that moves it only loses the limits, which ``tests/index/test_chroma_server.py`` sees."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(SERVER_CALL_SECONDS, connect=SERVER_CONNECT_SECONDS)
    else:
        logger.warning("cannot bound the Chroma client's waits: a hung Chroma server will hold requests")


class BuildStore(Protocol):
    """Where ``IndexDirectory`` keeps each build's collections, and how it tells they are whole."""

    def client(self, build_dir: Path) -> ClientAPI:
        """The Chroma client holding (or about to hold) the build's collections."""
        ...

    def problem(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
        """Why the build's collections are not what its manifest says (locked, missing, short), or None."""
        ...

    def open_gate(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> Gate:
        """Check the build before Chroma reads it (raising what is wrong); the gate checks each search."""
        ...

    def remove(self, build_dir: Path, collections: list[str]) -> None:
        """Delete an old build: its folder, and its collections wherever they live."""
        ...


class FolderStores:
    """An embedded Chroma store in each build's folder: the default, and the layout before servers."""

    def client(self, build_dir: Path) -> ClientAPI:
        return persistent_client(build_dir)

    def problem(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
        return store_problem(build_dir, expected_rows, wait)

    def open_gate(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> Gate:
        gate = StoreGate(build_dir, expected_rows, wait)
        gate.check(wait)
        if not os.access(build_dir, os.W_OK) or not os.access(store_file(build_dir), os.W_OK):
            # Chroma's embedded store writes when it opens, even to read: say so, not "rebuild".
            msg = f"the index in {str(build_dir)!r} is read-only, but Chroma writes to open it: "
            raise IndexUnavailable(msg + WRITABLE_FIX)
        return gate

    def remove(self, build_dir: Path, collections: list[str]) -> None:
        shutil.rmtree(build_dir, ignore_errors=True)


class SharedClient:
    """Every build as collections of one client: a Chroma server, or one the caller passed in.

    The client is made on first use, so constructing an ``Assistant`` never waits for a server.
    """

    def __init__(self, connect: Callable[[], ClientAPI], where: str, url: str | None = None) -> None:
        self._connect = connect
        self._client: ClientAPI | None = None
        self.where = where
        self.url = url  # a Chroma server's: then the server also keeps which build is current

    def client(self, build_dir: Path | None) -> ClientAPI:
        """The client, made on first use; a server down at that moment is tried again next time."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def failure(self, error: Exception) -> str:
        """What a failed call to the store means for the user: an outage, or a damaged index."""
        if _is_outage(error):
            return (
                f"{self.where} does not answer ({type(error).__name__}); start it again (answers resume "
                "by themselves once it is back), or check ASSISTANT_CHROMA_URL"
            )
        return f"cannot read the index collections from {self.where}; if this persists, rebuild the index"

    def problem(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> StoreProblem | None:
        from chromadb.errors import NotFoundError

        client = self.client(build_dir)
        counts = {}
        try:
            for name in expected_rows:  # by name: a server holding many collections is not listed
                with contextlib.suppress(NotFoundError):
                    counts[name] = client.get_collection(name).count()
        except Exception as error:
            logger.info("reading the collections of %s from %s failed: %r", build_dir, self.where, error)
            raise IndexUnavailable(self.failure(error)) from None
        for name, count in expected_rows.items():
            if name not in counts:
                return self._damaged(build_dir, f"the collection {name!r} is missing")
            if counts[name] != count:
                reason = f"the collection {name!r} holds {counts[name]} entries, the manifest {count}"
                return self._damaged(build_dir, reason)
        return None

    def _damaged(self, build_dir: Path, reason: str) -> StoreProblem:
        return StoreProblem(build_dir, locked=False, text=f"the index in {self.where} is damaged ({reason})")

    def open_gate(self, build_dir: Path, expected_rows: Mapping[str, int], wait: float) -> Gate:
        gate = ClientGate(self, build_dir, expected_rows, wait)
        gate.check(wait)
        return gate

    def remove(self, build_dir: Path, collections: list[str]) -> None:
        for name in collections:
            try:
                self.client(build_dir).delete_collection(name)
            except Exception as error:  # noqa: BLE001 - an old build left behind costs space, not answers
                logger.info("could not delete the old collection %r from %s: %r", name, self.where, error)
        if self.url is None:  # a build folder holds the manifest; a server's builds are bare names
            shutil.rmtree(build_dir, ignore_errors=True)


class ClientGate:
    """The gate of a build in a shared client: no file to lock, so only the full check has work."""

    def __init__(
        self, store: SharedClient, build_dir: Path, expected_rows: Mapping[str, int], wait: float
    ) -> None:
        self.store = store
        self.build_dir = build_dir
        self.expected_rows = dict(expected_rows)
        self.wait = wait
        self.path = store.where

    def ensure_readable(self) -> None:
        """Chroma's client reports its own failures; ``GuardedCollection`` turns them into a 503."""

    def check(self, wait: float) -> None:
        if problem := self.store.problem(self.build_dir, self.expected_rows, wait):
            raise problem.error()


def chroma_store(url: str | None = None, client: ClientAPI | None = None) -> BuildStore:
    """The one place that decides where builds live: ``client`` if given, the server at ``url`` if set,
    else a store in each build's folder. Giving both is refused: either would silently lose."""
    if client is not None and url:
        msg = (
            "Only one of an injected Chroma client and ASSISTANT_CHROMA_URL can be used; got both "
            f"(a {type(client).__name__} and {url!r}); unset ASSISTANT_CHROMA_URL or pass no client"
        )
        raise InvalidConfiguration(msg)
    if client is not None:
        return SharedClient(lambda: client, f"the given Chroma client ({type(client).__name__})")
    if url:
        return SharedClient(lambda: http_client(url), f"the Chroma server at {url}", url=url)
    return FolderStores()


def _is_outage(error: BaseException) -> bool:
    """A transport failure (refused, reset, timed out) or a server that says it is unavailable."""
    import httpx

    if isinstance(error, httpx.TransportError | IndexUnavailable):
        return True
    return isinstance(error, httpx.HTTPStatusError) and error.response.status_code in {502, 503, 504}
