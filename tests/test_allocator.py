"""glibc keeps large blocks out of its arenas once the thresholds are pinned (the memory-growth fix).

Each check runs in a fresh interpreter: glibc's thresholds are process-wide and, once pinned, stay so.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from assistant.allocator import malloc_thresholds_pinned

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

# Frees an 8 MiB block (mmapped: above the starting threshold), then reports whether a 256 KiB block
# allocated next is mmapped too (1) or comes from an arena (0), from mallinfo2's count of mmapped blocks.
PROBE = """
import ctypes, sys
from assistant.allocator import pin_malloc_thresholds
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "pin":
    assert pin_malloc_thresholds()
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(256 << 10)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def _mmapped_after_a_large_free(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return int(done.stdout)


def test_unpinned_glibc_serves_mid_sized_blocks_from_its_arenas_after_a_large_free():
    """The cause: the threshold follows the largest block freed, so activations stop being unmapped."""
    assert _mmapped_after_a_large_free("default") == 0


def test_pinned_thresholds_keep_mid_sized_blocks_mapped_after_a_large_free():
    assert _mmapped_after_a_large_free("pin") == 1


@pytest.mark.integration
def test_loading_the_model_pins_the_thresholds(embeddings):
    assert embeddings.model is not None
    assert malloc_thresholds_pinned()
