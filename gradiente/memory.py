"""Keep freed array memory in the process, so the next training step reuses it (glibc only).

A training step allocates the same large arrays every time (activations, their
gradients, temporaries) and frees them when the graph is released. With glibc's
default settings, blocks over 128 KiB are mapped and unmapped one by one, and the
top of the heap is given back to the operating system as soon as 128 KiB are
free: every step then pays for unmapping and for the page faults of mapping the
memory again, which on a virtual machine can cost a third of a small network's
step. Raising the two thresholds keeps that memory in the process, as PyTorch's
caching allocators do for accelerators.

:func:`keep_freed_memory` runs at import; set ``GRADIENTE_KEEP_FREED_MEMORY=0``
before importing gradiente to keep the C library's defaults.
"""
import ctypes
import os

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 64 << 20  # arrays below 64 MiB come from the heap, not from their own mapping
TRIM_THRESHOLD = 256 << 20  # up to 256 MiB of free heap stays in the process


def _is_glibc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not a POSIX C library that knows the name
        return False


def keep_freed_memory(mmap_threshold=MMAP_THRESHOLD, trim_threshold=TRIM_THRESHOLD):
    """Raise glibc's mmap and trim thresholds; return True if they were set (False on other C libraries)."""
    if not _is_glibc():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))


ENABLED = os.environ.get("GRADIENTE_KEEP_FREED_MEMORY", "1") != "0" and keep_freed_memory()
