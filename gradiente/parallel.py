"""Run a kernel's independent ranges on several CPU cores, as PyTorch's intra-op threads do.

NumPy releases the GIL inside its ufunc and reduction loops, so Python threads
that each process their own slice of a large array run at the same time. The
elementwise kernels that make many passes (GELU, layer norm, softmax) split their
work with :func:`parallel_for`; matrix products already run on OpenBLAS's own
threads.

The thread count is 1 (everything on the calling thread) unless
``GRADIENTE_NUM_THREADS`` or :func:`set_num_threads` says otherwise. Measured on
2 cores, extra threads did not pay next to NumPy's BLAS: after each matrix
product OpenBLAS's idle worker keeps spinning on the other core for a while, and
a kernel thread sharing that core finishes last (LeNet-5 inference took 9.4-10.1
ms with 2 threads against 7.1-7.4 ms with 1; the Transformer benchmarks did not
change). They can help where the BLAS runs single-threaded
(``OPENBLAS_NUM_THREADS=1``) or the machine has cores to spare.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor



def _default_num_threads():
    env = os.environ.get("GRADIENTE_NUM_THREADS")
    if not env:
        return 1
    try:
        return max(1, int(env))
    except ValueError:
        raise ValueError(f"GRADIENTE_NUM_THREADS must be a positive integer, got {env!r}") from None


_num_threads = _default_num_threads()
_pool = None
_pool_lock = threading.Lock()
_inside = threading.local()  # set in pool threads: nested parallel_for calls run inline


def get_num_threads():
    """The number of threads elementwise kernels use (as ``torch.get_num_threads``)."""
    return _num_threads


def set_num_threads(n):
    """Use ``n`` threads in elementwise kernels (as ``torch.set_num_threads``); 1 runs them inline."""
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _num_threads = n
    _shutdown()


def _shutdown():
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)


def _forget_pool():
    # after fork the child has the parent's pool object but none of its threads (and maybe a held lock)
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _mark_inside():
    _inside.active = True


def _get_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_num_threads - 1, thread_name_prefix="gradiente",
                                       initializer=_mark_inside)
        return _pool


def parallel_for(n, work, grain=1 << 16):
    """Call ``work(start, stop)`` on contiguous ranges that cover ``range(n)``, in parallel.

    Each range gets at least ``grain`` items (below that the thread hand-off costs more than
    it saves); the calling thread takes the first range itself. Exceptions propagate.
    """
    parts = min(_num_threads, n // grain) if not getattr(_inside, "active", False) else 1
    if parts <= 1:
        work(0, n)
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    futures = [_get_pool().submit(work, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        work(bounds[0], bounds[1])
    finally:
        errors = [f.exception() for f in futures]  # waits for every range, even after an error here
    for error in errors:
        if error is not None:
            raise error


def parallel_blocks(n, block, work, grain=1 << 16):
    """Call ``work(slice)`` on consecutive blocks of ``block`` items covering ``range(n)``.

    Each thread of :func:`parallel_for` (at least ``grain`` items, and never less than a block)
    walks its own range block by block, so a block's temporaries stay in cache.
    """
    def run(first, last):
        for i in range(first, last, block):
            work(slice(i, min(i + block, last)))
    parallel_for(n, run, grain=max(block, grain))
