"""Which articles are being added right now, and by whom: so several indexers can share one archive.

Adding an article takes seconds (its index is embedded and written); the library's lock is held only
to decide and to publish, not meanwhile, so that other processes — on this host or, against a Chroma
server, on others — add other articles at the same time. What keeps them apart is a claim, taken under
the lock for each article to be added: its id (so two new files with the same name get two ids), the
file it comes from (so two indexers given one archive do not both index the same file; the second
skips it and comes back to it), and its owner. The work of a claimed article — its unpublished version,
its index's new build — is left alone by the tidying of other processes.

A claim ends when its article is published or abandoned. One whose process died is dead: on its own
host when that pid is gone, on another host once its ``expires`` passed (``CLAIM_SECONDS``, far more
than one article takes; the hosts' clocks must agree to well within it).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from assistant.library.entry import LibraryEntry

CLAIM_SECONDS = 600.0
HOST = socket.gethostname()


class Claim(BaseModel):
    """One article being added: stored as JSON (a file, or a record on the server)."""

    model_config = ConfigDict(frozen=True)

    article_id: str
    source_path: str
    host: str
    pid: int
    expires: float

    @classmethod
    def mine(cls, article_id: str, source_path: str) -> Claim:
        return cls(
            article_id=article_id,
            source_path=source_path,
            host=HOST,
            pid=os.getpid(),
            expires=time.time() + CLAIM_SECONDS,
        )

    def alive(self) -> bool:
        """Its process may still be adding: on this host, the pid lives; elsewhere, not expired."""
        if self.host == HOST:
            if self.pid == os.getpid():
                return True
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return time.time() < self.expires


@dataclass(frozen=True)
class Claimed:
    """A claim this process holds, with the entry the article had when it was taken (None: new)."""

    claim: Claim
    existing: LibraryEntry | None
