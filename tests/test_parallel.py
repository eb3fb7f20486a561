"""parallel_for: ranges cover the work exactly once, errors propagate, thread count is settable."""
import os
import threading

import numpy as np
import pytest

import gradiente as g
from gradiente import parallel


@pytest.fixture
def two_threads():
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(before)


@pytest.mark.parametrize("n", [0, 1, 5, 1000, 12345])
def test_ranges_cover_every_index_once(two_threads, n):
    seen = np.zeros(n, dtype=int)
    lock = threading.Lock()

    def work(a, b):
        with lock:
            seen[a:b] += 1
    parallel.parallel_for(n, work, grain=100)
    assert (seen == 1).all()


def test_large_work_runs_on_two_threads(two_threads):
    names = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(a, b):
        names.add(threading.current_thread().name)
        barrier.wait()  # both ranges must be running at the same time
    parallel.parallel_for(1000, work, grain=10)
    assert len(names) == 2


def test_error_in_a_range_propagates_after_all_ranges_finish(two_threads):
    done = []

    def work(a, b):
        if a > 0:
            raise RuntimeError(f"range {a}:{b} failed")
        done.append((a, b))
    with pytest.raises(RuntimeError, match="range 500:1000 failed"):
        parallel.parallel_for(1000, work, grain=10)
    assert done == [(0, 500)]


def test_nested_calls_run_inline(two_threads):
    inner_parts = []

    def inner(a, b):
        inner_parts.append((a, b))

    def outer(a, b):
        if a > 0:  # the range that runs in a pool thread
            parallel.parallel_for(100, inner, grain=1)
    parallel.parallel_for(100, outer, grain=1)
    assert inner_parts == [(0, 100)]


def test_one_thread_runs_inline():
    before = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        calls = []
        parallel.parallel_for(10 ** 6, lambda a, b: calls.append((a, b, threading.current_thread().name)))
        assert calls == [(0, 10 ** 6, threading.current_thread().name)]
    finally:
        parallel.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive int"):
        parallel.set_num_threads(bad)


def test_env_variable_sets_the_default(monkeypatch):
    monkeypatch.delenv("GRADIENTE_NUM_THREADS", raising=False)
    assert parallel._default_num_threads() == 1
    monkeypatch.setenv("GRADIENTE_NUM_THREADS", "3")
    assert parallel._default_num_threads() == 3
    monkeypatch.setenv("GRADIENTE_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="GRADIENTE_NUM_THREADS must be a positive integer, got 'many'"):
        parallel._default_num_threads()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_pool_works_in_a_forked_child(two_threads):
    parallel.parallel_for(100, lambda a, b: None, grain=1)  # the parent now has a pool
    pid = os.fork()
    if pid == 0:  # child: must not wait on the parent's threads
        ok = []
        parallel.parallel_for(100, lambda a, b: ok.append(b), grain=1)
        os._exit(0 if sorted(ok) == [50, 100] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_threaded_kernels_equal_single_threaded(two_threads):
    x = g.tensor(np.random.default_rng(0).standard_normal((300, 700)).astype(np.float32), requires_grad=True)
    ln = g.nn.LayerNorm(700)
    y2 = g.nn.functional.gelu(ln(x))
    y2.sum().backward()
    grad2 = x.grad.numpy().copy()
    parallel.set_num_threads(1)
    x.grad = None
    y1 = g.nn.functional.gelu(ln(x))
    y1.sum().backward()
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), grad2)
def test_package_exports(): import gradiente as g; assert g.set_num_threads is parallel.set_num_threads and g.get_num_threads() >= 1


@pytest.mark.parametrize("n,block", [(0, 4), (10, 4), (1000, 7), (1000, 1000)])
def test_parallel_blocks_cover_every_index_once_in_blocks(two_threads, n, block):
    seen = np.zeros(n, dtype=int)
    sizes = []
    lock = threading.Lock()

    def work(rows):
        with lock:
            seen[rows] += 1
            sizes.append(rows.stop - rows.start)
    parallel.parallel_blocks(n, block, work, grain=50)
    assert (seen == 1).all() and all(0 < s <= block for s in sizes)
