"""Hand freed heap memory back to the system.

glibc keeps what threads free in per-thread arenas: after model loading, warm-up and a
turn (ONNX Runtime, CTranslate2, numpy and Qt allocate on several threads) about 90 MB
of freed memory stayed resident. `malloc_trim` returns it. Elsewhere (musl, macOS,
Windows) this does nothing."""

from __future__ import annotations

import ctypes
import functools
import logging
import platform

log = logging.getLogger(__name__)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return freed heap pages to the system; False where that is not possible."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
