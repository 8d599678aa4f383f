"""Every build as collections of one shared Chroma client: a server's, or one the caller passes in.

With one shared client every build is its own pair of collections, named after the build, and
collections that vanished (a restarted in-memory client, a wiped server) make the build stale rather
than "up to date". A Chroma server (``ASSISTANT_CHROMA_URL``), which workers on several hosts share,
also keeps which build is current and the build lock (``ServerCatalog``); a given client
(``chromadb.EphemeralClient()`` keeps the fast tests in memory) serves one process, whose index
directory keeps them (``FileCatalog``).

A server that stops answering is an ``IndexUnavailable`` naming it (a 503, ``/healthz`` degraded).
``chromadb.HttpClient`` holds no connection state worth keeping: each call is a new request, so once
the server is back the same client and collections answer again, and nothing has to be restarted.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.chroma_address import server_address
from assistant.errors import IndexUnavailable, InvalidConfiguration
from assistant.index.stores.base import Catalog, Gate, StoreProblem, chroma_settings
from assistant.index.stores.build_collections import BuildCollections
from assistant.index.stores.file_catalog import FileCatalog
from assistant.index.stores.server_catalog import ServerCatalog

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

logger = logging.getLogger(__name__)

# Seconds a call to a Chroma server may take: to connect, and in all (a build's largest upsert takes a
# second or two). chromadb's own client waits without a limit, so a hung server (stopped, or cut off
# without a reset) would hold every request thread for ever; past these a call fails, as an outage.
SERVER_CONNECT_SECONDS = 5.0
SERVER_CALL_SECONDS = 30.0


def http_client(url: str) -> ClientAPI:
    """A client of the Chroma server at ``url``; ``IndexUnavailable`` when it does not answer."""
    try:
        host, port, ssl = server_address(url)
    except ValueError as error:
        raise InvalidConfiguration(f"ASSISTANT_CHROMA_URL: {error}") from None
    settings = chroma_settings()
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


def is_outage(error: BaseException) -> bool:
    """A transport failure (refused, reset, timed out) or a server that says it is unavailable."""
    import httpx

    if isinstance(error, httpx.TransportError | IndexUnavailable):
        return True
    return isinstance(error, httpx.HTTPStatusError) and error.response.status_code in {502, 503, 504}


class SharedClientStore:
    """Every build as collections of one client: a Chroma server, or one the caller passed in.

    The client is made on first use, so constructing an ``Assistant`` never waits for a server.
    """

    client_per_build = False  # shared by every build, and not ours to close when it is given

    def __init__(self, connect: Callable[[], ClientAPI], where: str, catalog_on_server: bool) -> None:
        """``catalog_on_server``: the server also keeps which build is current and the build lock."""
        self._connect = connect
        self._client: ClientAPI | None = None
        self.where = where
        self.catalog_on_server = catalog_on_server

    def client(self, build_dir: Path | None) -> ClientAPI:
        """The client, made on first use; a server down at that moment is tried again next time."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def collections(self, build_dir: Path) -> BuildCollections:
        return BuildCollections(self.client(build_dir), closes=False)

    def catalog(self, root: Path, scope: str) -> Catalog:
        return ServerCatalog(self, scope) if self.catalog_on_server else FileCatalog(root, self)

    def failure(self, error: Exception) -> str:
        """What a failed call to the store means for the user: an outage, or a damaged index."""
        if is_outage(error):
            return (
                f"{self.where} does not answer ({type(error).__name__}); start it again (answers resume "
                "by themselves once it is back), or check ASSISTANT_CHROMA_URL"
            )
        return f"cannot read the index collections from {self.where}; if this persists, rebuild the index"

    def open_failure(self, build_dir: Path, error: Exception) -> str:
        return self.failure(error)

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

    def copy_build(self, source: Path, target: Path) -> bool:
        """No cheap copy: collections on a server are copied only by reading and writing their rows."""
        return False

    def remove(self, build_dir: Path, collections: Sequence[str]) -> None:
        for name in collections:
            try:
                self.client(build_dir).delete_collection(name)
            except Exception as error:  # noqa: BLE001 - an old build left behind costs space, not answers
                logger.info("could not delete the old collection %r from %s: %r", name, self.where, error)


class ClientGate:
    """The gate of a build in a shared client: no file to lock, so only the full check has work."""

    def __init__(
        self, store: SharedClientStore, build_dir: Path, expected_rows: Mapping[str, int], wait: float
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
