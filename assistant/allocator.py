"""glibc's malloc, told to give large blocks back: otherwise a server's memory grows with every new question.

glibc serves a block of 128 KiB or more with its own ``mmap``, but each time such a block is freed it
raises that threshold to the block's size (up to 32 MiB), and it returns the free memory at the top of
an arena only beyond twice the threshold. The encoder's activations change size with every question's
length and every batch (a 40-token question's feed-forward output alone is 240 KiB), so after a few
hundred questions they all come from the arenas, and what is freed there stays resident: measured
742 → 879 MB over 12,000 distinct questions on ``/api/ask``, still growing (``memory_growth.py``).

Setting the thresholds turns that adaptation off: blocks of 128 KiB and more are mapped and unmapped
(a short question's tensors are all smaller, so its latency does not change) and arenas give back
free memory beyond 128 KiB. Other C libraries (musl, macOS) do not adapt this way; there it does nothing.
"""

from __future__ import annotations

import ctypes
import threading

# mallopt's parameter numbers (glibc's malloc.h) and the values glibc starts from before adapting them.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024
TRIM_THRESHOLD_BYTES = 128 * 1024

_lock = threading.Lock()
_pinned = False


def _glibc() -> ctypes.CDLL | None:
    process = ctypes.CDLL(None)
    return process if hasattr(process, "gnu_get_libc_version") and hasattr(process, "mallopt") else None


def pin_malloc_thresholds() -> bool:
    """Fix glibc's mmap and trim thresholds for this process (idempotent); False if not on glibc."""
    global _pinned
    with _lock:
        if not _pinned and (libc := _glibc()) is not None:
            _pinned = bool(
                libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
            )
        return _pinned


def malloc_thresholds_pinned() -> bool:
    return _pinned
