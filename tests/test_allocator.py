"""Memory glibc keeps after freeing the encoder's activations goes back once it adds up (the growth fix)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from assistant.allocator import MemoryReleaser

MB = 1024 * 1024

# In a fresh interpreter, the pattern the encoder leaves behind: a large block freed (glibc then
# raises its mmap threshold), then 1 MiB activations, touched and freed, with long-lived 4 KiB blocks
# between them (too big for the small free chunks the interpreter's start leaves), so that nothing can
# be trimmed from the top. Prints the resident growth, in MiB, after the frees and after the
# releaser's turn, and how many releases it made.
FRAGMENT_THEN_RELEASE = """
import ctypes
from assistant.allocator import MemoryReleaser, resident_bytes
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
releaser = MemoryReleaser(margin=32 << 20)
floor = resident_bytes()
libc.free(libc.malloc(16 << 20))
blocks, pins = [], []
for _ in range(100):
    blocks.append(libc.malloc(1 << 20))
    ctypes.memset(blocks[-1], 1, 1 << 20)
    pins.append(libc.malloc(4096))
for block in blocks:
    libc.free(block)
kept = resident_bytes() - floor
releaser.after_work()
print(kept >> 20, (resident_bytes() - floor) >> 20, releaser.releases)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_freed_activations_stay_resident_until_the_releaser_hands_them_back():
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENT_THEN_RELEASE], capture_output=True, text=True, check=True, timeout=60
    )
    kept_mb, after_release_mb, releases = map(int, done.stdout.split())
    assert kept_mb >= 90  # the cause: glibc keeps the 100 MiB freed
    assert after_release_mb <= 16 and releases == 1


class FakeProcess:
    """A resident size the test sets, and a trim that records its calls."""

    def __init__(self) -> None:
        self.resident = 500 * MB
        self.trims = 0

    def trim(self) -> None:
        self.trims += 1
        self.resident = 510 * MB


def test_releases_only_after_growing_by_the_margin_then_measures_from_there():
    process = FakeProcess()
    releaser = MemoryReleaser(margin=64 * MB, resident=lambda: process.resident, trim=process.trim)
    process.resident = 563 * MB
    assert not releaser.after_work() and process.trims == 0
    process.resident = 564 * MB
    assert releaser.after_work() and process.trims == 1
    process.resident = 573 * MB  # 63 MB above the 510 MB left after the release
    assert not releaser.after_work() and process.trims == 1


def test_a_failing_resident_size_turns_the_releaser_off_instead_of_raising():
    readings = iter([500 * MB])

    def resident() -> int:
        try:
            return next(readings)
        except StopIteration:
            raise OSError("no /proc") from None

    releaser = MemoryReleaser(resident=resident, trim=lambda: None)
    assert releaser.after_work() is False and not releaser.enabled
