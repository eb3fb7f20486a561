"""Timing shared by the benchmark scripts: seconds per call, and interleaved medians."""
import os
import statistics
import time


def time_per_call(step, n, clock=time.perf_counter):
    """Seconds per call of ``step()`` over ``n`` calls, read on ``clock``."""
    t0 = clock()
    for _ in range(n):
        step()
    return (clock() - t0) / n


def torch_or_none():
    """PyTorch with as many threads as ``OPENBLAS_NUM_THREADS`` (default 2), or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", 2)))
    return torch


def median_us_interleaved(steps, n, rounds):
    """``{name: median microseconds per call}`` for a dict of step functions.

    Each step is warmed up with ``min(n, 50)`` calls, then the steps run in
    turn, ``n`` calls each, for ``rounds`` rounds.
    """
    for step in steps.values():
        for _ in range(min(n, 50)):
            step()
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            times[k].append(time_per_call(step, n) * 1e6)
    return {k: statistics.median(v) for k, v in times.items()}
