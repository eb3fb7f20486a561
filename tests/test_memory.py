"""gradiente.memory: freed arrays stay in the heap (glibc), unless GRADIENTE_KEEP_FREED_MEMORY=0."""
import os
import platform
import subprocess
import sys

import pytest

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="mallopt is glibc's")

PROBE = """
import ctypes, numpy as np, gradiente, gradiente.memory as m
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
a = np.ones(8 << 20, dtype=np.uint8)  # 8 MiB: above glibc's default mmap threshold, below gradiente's
print(m.ENABLED, libc.mallinfo2().hblkhd >= (8 << 20))
"""


def _probe(env_value):
    env = dict(os.environ)
    env.pop("GRADIENTE_KEEP_FREED_MEMORY", None)
    if env_value is not None:
        env["GRADIENTE_KEEP_FREED_MEMORY"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


@glibc
def test_large_arrays_come_from_the_heap_by_default():
    assert _probe(None) == ["True", "False"]  # enabled, and the 8 MiB array is not a separate mapping


@glibc
def test_environment_variable_keeps_the_c_library_defaults():
    assert _probe("0") == ["False", "True"]


def test_keep_freed_memory_reports_whether_it_applied():
    from gradiente.memory import keep_freed_memory
    assert keep_freed_memory() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
