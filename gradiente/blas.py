"""One BLAS thread for small convolutions.

NumPy's OpenBLAS splits every product of more than about 262,000 multiply-adds over all its threads.
On products of a few million that split costs more than it saves: the threads are woken, split a
short loop, synchronise, and then spin while Python prepares the next call, on the core the caller
needs. The MNIST-1D CNN's 6,000 training steps (convolutions of 0.3-1.8 million multiply-adds) took
7.1-8.4 s with one thread for them and 9.8-11.8 s with two, at twice the CPU time, in alternating
runs on 2 cores.

The convolution kernels therefore run an operation whose work is below :data:`SMALL_WORK`
multiply-adds (4 million) on one BLAS thread (:func:`small_work`), and leave larger ones to
OpenBLAS, whose threads pay off there. Alternating thresholds within one process, the MNIST-1D
step took 0.65-0.86x the time with any threshold from 2 to 16 million (its convolutions stay below
1.8 million), while LeNet-5's convolutions (7.5 and 30 million) keep both threads (its step moved
by less than 2% over those thresholds). The thread count comes back to what it was after each
operation, so products outside gradiente keep NumPy's setting. Other products keep OpenBLAS's
choice: the same rule made dense-layer steps 1-7% slower (MLPs with layers of 0.5-4 million
multiply-adds) and the LSTM step, whose per-step products have 4H rows and B columns, 1.43x slower
on one thread.

The BLAS is reached through ``threadpoolctl`` (the ``lab`` and ``test`` extras install it); without
it, or with a BLAS other than OpenBLAS, every product keeps the BLAS's own choice.
``GRADIENTE_BLAS_SMALL_WORK`` sets the threshold (0 turns the rule off).
"""
import ctypes
import os


def _threshold():
    env = os.environ.get("GRADIENTE_BLAS_SMALL_WORK")
    if not env:
        return 4_000_000
    try:
        value = int(float(env))
    except ValueError:
        raise ValueError(f"GRADIENTE_BLAS_SMALL_WORK must be a number of multiply-adds, got {env!r}") from None
    if value < 0:
        raise ValueError(f"GRADIENTE_BLAS_SMALL_WORK must be >= 0, got {value}")
    return value


SMALL_WORK = _threshold()


def _openblas_thread_functions():
    """``(get, set)``: ctypes functions of the OpenBLAS NumPy uses, or None when there is none to find."""
    try:
        import numpy  # noqa: F401  (threadpoolctl lists the libraries loaded so far)
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        for prefix in ("scipy_", ""):
            for suffix in ("64_", ""):
                get = getattr(lib.dynlib, f"{prefix}openblas_get_num_threads{suffix}", None)
                set_ = getattr(lib.dynlib, f"{prefix}openblas_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    set_.restype, set_.argtypes = None, [ctypes.c_int]
                    return get, set_
    return None


_functions = _openblas_thread_functions() if SMALL_WORK else None


class _OneThread:
    """Context manager: one OpenBLAS thread inside, the previous count restored on exit."""

    __slots__ = ("previous",)

    def __enter__(self):
        get, set_ = _functions
        self.previous = get()
        if self.previous > 1:
            set_(1)
        return self

    def __exit__(self, *exc):
        if self.previous > 1:
            _functions[1](self.previous)
        return False


class _Unchanged:
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_UNCHANGED = _Unchanged()


def small_work(multiply_adds):
    """A context manager that runs the products inside on one BLAS thread when ``multiply_adds``, the
    operation's work, is below :data:`SMALL_WORK` (and the BLAS's thread count can be set)."""
    if _functions is None or multiply_adds >= SMALL_WORK:
        return _UNCHANGED
    return _OneThread()
