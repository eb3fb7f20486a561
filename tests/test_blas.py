"""blas.small_work: small products on one OpenBLAS thread, the count restored after; the threshold's checks."""
import numpy as np
import pytest

import gradiente as g
from gradiente import blas

needs_openblas = pytest.mark.skipif(blas._functions is None, reason="no OpenBLAS reachable through threadpoolctl")


@pytest.fixture
def two_blas_threads():
    get, set_ = blas._functions
    before = get()
    set_(2)
    yield get
    set_(before)


@needs_openblas
def test_small_work_runs_on_one_thread_and_restores_the_count(two_blas_threads):
    get = two_blas_threads
    with blas.small_work(blas.SMALL_WORK - 1):
        assert get() == 1
    assert get() == 2


@needs_openblas
def test_large_work_keeps_the_threads(two_blas_threads):
    get = two_blas_threads
    with blas.small_work(blas.SMALL_WORK):
        assert get() == 2
    assert get() == 2


@needs_openblas
def test_the_count_comes_back_after_an_error(two_blas_threads):
    get = two_blas_threads
    with pytest.raises(ZeroDivisionError):
        with blas.small_work(10):
            1 / 0
    assert get() == 2


@needs_openblas
def test_a_network_leaves_the_thread_count_as_it_found_it(two_blas_threads):
    get = two_blas_threads
    x = g.tensor(np.random.default_rng(0).standard_normal((4, 3, 9, 9)).astype(np.float32), requires_grad=True)
    model = g.nn.Sequential(g.nn.Conv2d(3, 4, 3), g.nn.ConvTranspose2d(4, 2, 3), g.nn.Flatten(), g.nn.Linear(162, 5))
    model(x).sum().backward()
    assert get() == 2
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("value, message", [("abc", "must be a number"), ("-5", "must be >= 0")])
def test_a_bad_threshold_is_named(monkeypatch, value, message):
    monkeypatch.setenv("GRADIENTE_BLAS_SMALL_WORK", value)
    with pytest.raises(ValueError, match=f"GRADIENTE_BLAS_SMALL_WORK {message}"):
        blas._threshold()


def test_the_threshold_reads_the_environment(monkeypatch):
    monkeypatch.setenv("GRADIENTE_BLAS_SMALL_WORK", "2e6")
    assert blas._threshold() == 2_000_000
    monkeypatch.setenv("GRADIENTE_BLAS_SMALL_WORK", "0")
    assert blas._threshold() == 0
