"""The one place that decides where builds live, and so where the truth about them does."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from assistant.errors import InvalidConfiguration
from assistant.index.stores.base import BuildStore
from assistant.index.stores.embedded import EmbeddedStore
from assistant.index.stores.server_records import ServerRecords
from assistant.index.stores.shared_client import SharedClientStore, http_client

_SERVERS: dict[str, SharedClientStore] = {}
_SERVERS_LOCK = threading.Lock()

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


def chroma_store(url: str | None = None, client: ClientAPI | None = None) -> BuildStore:
    """``client`` if given, the server at ``url`` if set, else a store in each build's folder (langchain-
    chroma style). Giving both is refused: either would silently lose.

    Its catalog (``BuildStore.catalog``) follows: a server, shared by workers on several hosts, keeps
    which build is current and the build lock itself; otherwise the index directory's files do.
    """
    if client is not None and url:
        msg = (
            "Only one of an injected Chroma client and ASSISTANT_CHROMA_URL can be used; got both "
            f"(a {type(client).__name__} and {url!r}); unset ASSISTANT_CHROMA_URL or pass no client"
        )
        raise InvalidConfiguration(msg)
    if client is not None:
        where = f"the given Chroma client ({type(client).__name__})"
        return SharedClientStore(lambda: client, where, catalog_on_server=False)
    if url:
        return _server_store(url)
    return EmbeddedStore()


def _server_store(url: str) -> SharedClientStore:
    """One store, so one client, per server and process: a chromadb ``HttpClient`` is never freed
    (about 1.6 MB each), and adding an archive asks for the store several times per article."""
    with _SERVERS_LOCK:
        store = _SERVERS.get(url)
        if store is None:
            where = f"the Chroma server at {url}"
            store = _SERVERS[url] = SharedClientStore(lambda: http_client(url), where, catalog_on_server=True)
        return store


def server_records(url: str, name: str) -> ServerRecords:
    """The records of the collection ``name`` on the Chroma server at ``url`` (what hosts share besides
    the index builds: the library)."""
    return ServerRecords(_server_store(url), name)
