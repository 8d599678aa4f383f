"""Where the library lives: a folder on this host, or records on the Chroma server every host shares.

``Catalog`` is what ``Library`` and the ``Shelf`` ask of either (``catalog.LibraryCatalog``, the folder;
``server_catalog.ServerLibraryCatalog``, the server); ``library_catalog`` picks one from the settings,
as ``index.stores.factory.chroma_store`` picks where the index builds live: with
``ASSISTANT_CHROMA_URL`` both are on the server, so no host's disk holds anything another host needs.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.library.catalog import LibraryCatalog, Progress
from assistant.library.claims import Claim
from assistant.library.entry import LibraryEntry

if TYPE_CHECKING:
    from assistant.settings import Settings


class Catalog(Protocol):
    """The library's entries and texts, and the lock every change holds."""

    where: str  # named in messages

    def ids(self) -> list[str]: ...

    def entry(self, article_id: str) -> LibraryEntry | None: ...

    def entries(self) -> list[LibraryEntry]: ...

    def by_source(self, source_path: str) -> LibraryEntry | None: ...

    def page(self, offset: int, limit: int) -> list[LibraryEntry]: ...

    def article_path(self, article_id: str) -> Path:
        """A file holding the article's current text (the one its citations' offsets index)."""
        ...

    def stamp(self) -> object:
        """Compares equal until the library changes; cheap enough to ask per question."""
        ...

    def changed_at(self) -> datetime | None:
        """When the library last changed (UTC), None if it never did; cheap (``/healthz`` polls it)."""
        ...

    def claims(self) -> dict[str, Claim]:
        """The live claims (``claims.py``) by article id; dead ones are deleted. Hold ``locked()``."""
        ...

    def claim(self, claim: Claim) -> None: ...

    def release(self, claim: Claim) -> None: ...

    def locked(self, wait_seconds: float, progress: Progress) -> contextlib.AbstractContextManager[None]: ...

    def write_version(self, article_id: str, text: str) -> Any:
        """A new version of the article's text, invisible until ``publish``."""
        ...

    def text_path(self, version: Any) -> Path: ...

    def write_entry(self, version: Any, entry: LibraryEntry) -> None: ...

    def publish(self, article_id: str, version: Any) -> None:
        """Make ``version`` the article's current one in one atomic step."""
        ...

    def discard(self, version: Any) -> None: ...

    def remove(self, article_id: str) -> None: ...


def library_catalog(settings: Settings, folder: Path) -> Catalog:
    """On the Chroma server when ``ASSISTANT_CHROMA_URL`` is set, else the folder ``folder``."""
    if not settings.chroma_url:
        return LibraryCatalog(folder)
    from assistant.index.stores.factory import server_records
    from assistant.library.server_catalog import COLLECTION, ServerLibraryCatalog, cache_candidates

    records = server_records(settings.chroma_url, COLLECTION)
    return ServerLibraryCatalog(records, cache_candidates(settings.index_dir, settings.chroma_url))
