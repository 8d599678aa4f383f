"""Hand glibc's retained free memory back, so a server's memory stops growing with every new question.

glibc serves a block of 128 KiB or more with its own ``mmap`` at first, but each time such a block is
freed it raises that threshold to the block's size (up to 32 MiB) and keeps free memory at the top of
an arena up to twice that. The encoder's activations change size with every question's length and
every batch, so after a few hundred questions they all come from the arenas, and what is freed there
stays resident: 824 → 1,278 MB over 24,000 distinct questions on ``/api/ask``, still growing
(``benchmarks/memory_growth.py``).

Pinning the thresholds (``mallopt``) bounds that too, but then every large activation is mapped and
unmapped: 8 ms more system time per answer under 16 concurrent clients, 28% of the throughput.
Instead the query thread checks the resident size after each batch and, once it has grown by
``RELEASE_AFTER_GROWTH_BYTES`` since the last release, asks glibc to return its free pages
(``malloc_trim``: a few milliseconds). Memory then stays within that margin of what is in use.
Without glibc or ``/proc`` (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

# Growth tolerated between releases: each release costs a few ms plus re-touching what it returned.
RELEASE_AFTER_GROWTH_BYTES = 64 * 1024 * 1024
_STATM = "/proc/self/statm"


def resident_bytes() -> int:
    """This process's resident set size (Linux)."""
    with open(_STATM, "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _glibc_malloc_trim() -> Callable[[], object] | None:
    process = ctypes.CDLL(None)
    if not hasattr(process, "gnu_get_libc_version") or not hasattr(process, "malloc_trim"):
        return None
    trim = process.malloc_trim
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)


class MemoryReleaser:
    """Calls ``malloc_trim`` whenever the resident size has grown by ``margin`` since the last call.

    Called from one thread (the query embedder's), after each batch; not thread-safe by itself.
    """

    def __init__(
        self,
        margin: int = RELEASE_AFTER_GROWTH_BYTES,
        resident: Callable[[], int] | None = None,
        trim: Callable[[], object] | None = None,
    ) -> None:
        self.margin = margin
        self._resident = resident or (resident_bytes if os.path.exists(_STATM) else None)
        self._trim = trim or _glibc_malloc_trim()
        self.enabled = self._resident is not None and self._trim is not None
        self._floor = self._resident() if self.enabled else 0
        self.releases = 0

    def after_work(self) -> bool:
        """Release retained free memory if the process has grown enough; True when it did.

        Never raises: it runs on the query thread, which must outlive any housekeeping failure.
        """
        if not self.enabled:
            return False
        try:
            if self._resident() - self._floor < self.margin:
                return False
            self._trim()
            self._floor = self._resident()
        except OSError:
            self.enabled = False
            return False
        self.releases += 1
        return True
