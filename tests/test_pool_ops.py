"""Pooling and upsampling kernels: parity with PyTorch, gradchecks, fixtures, errors."""
import os

import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F

CASES = [
    ("max_pool2d", (2, 3, 7, 8), (2,), {}),
    ("max_pool2d", (2, 3, 7, 8), (3, 2, 1), {}),
    ("max_pool2d", (2, 3, 7, 8), ((3, 2), (2, 1), (1, 0)), {"dilation": (1, 2), "ceil_mode": True}),
    ("max_pool2d", (1, 2, 5, 5), (2,), {"ceil_mode": True}),
    ("max_pool1d", (2, 3, 9), (3, 2, 1), {"ceil_mode": True}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1), {}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1), {"count_include_pad": False}),
    ("avg_pool2d", (2, 3, 7, 8), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", (2, 3, 7, 8), (2,), {"ceil_mode": True, "divisor_override": 3}),
    ("avg_pool1d", (2, 3, 9), (3, 2, 1), {"ceil_mode": True}),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), ((3, 5),), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), (1,), {}),
    ("adaptive_avg_pool1d", (2, 3, 7), (4,), {}),
    ("interpolate", (2, 3, 4, 5), (), {"scale_factor": 2}),
    ("interpolate", (2, 3, 4, 5), (), {"size": (7, 11)}),
    ("interpolate", (2, 3, 4, 5), (), {"scale_factor": (1.5, 2.5)}),
    ("interpolate", (2, 3, 5), (), {"size": 3}),
]


@pytest.mark.parametrize("name,shape,args,kw", CASES)
def test_pool_matches_torch(name, shape, args, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    xg = g.tensor(x, requires_grad=True)
    y = getattr(F, name)(xg, *args, **kw)
    gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(g.tensor(gy))
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, *args, **kw)
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("name,shape,args,kw", CASES[1::2])
def test_pool_gradcheck(name, shape, args, kw):
    rng = np.random.default_rng(1)
    x = g.tensor(rng.standard_normal(shape), requires_grad=True)
    assert g.gradcheck(lambda a: getattr(F, name)(a, *args, **kw), (x,), fast_mode=True)


def test_max_pool_gradcheck_full():
    x = g.tensor(np.random.default_rng(2).standard_normal((1, 2, 5, 4)), requires_grad=True)
    assert g.gradcheck(lambda a: F.max_pool2d(a, 2, 1, 1), (x,))


def test_max_pool_ties_go_to_first_index():
    x = g.tensor(np.ones((1, 1, 2, 2), dtype=np.float32), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 9, 16])
def test_max_pool_tournament_finds_first_maximum(k):
    from gradiente.ops.pool import _max_and_index
    rng = np.random.default_rng(k)
    x = rng.integers(0, 3, (4, 5, 6, k)).astype(np.float32)  # many ties
    best, idx = _max_and_index([x[..., i] for i in range(k)])
    np.testing.assert_array_equal(best, x.max(axis=-1))
    np.testing.assert_array_equal(idx, x.argmax(axis=-1))  # argmax: the first maximum


def test_max_pool_transposed_input_matches_torch():
    # a (C, N, H, W)-ordered input, as the im2col convolution returns: the gradient keeps that order
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 6, 8)).astype(np.float32)
    gy = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    xg = g.tensor(x, requires_grad=True)
    (F.max_pool2d(xg.transpose(0, 1), 2) * g.tensor(gy)).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.max_pool2d(xt.transpose(0, 1), 2) * torch.tensor(gy)).sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())


def test_max_pool_return_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8)).astype(np.float32)
    y, idx = F.max_pool2d(g.tensor(x), 3, 2, 1, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), it.numpy())


def test_pool_fixture_without_torch():
    data = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "conv_pool_reference.npz"))
    fns = {
        "max": lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True),
        "avg": lambda a: F.avg_pool2d(a, 3, 2, 1, count_include_pad=False),
        "adaptive": lambda a: F.adaptive_avg_pool2d(a, (3, 5)),
        "upsample": lambda a: F.interpolate(a, size=(11, 13)),
    }
    for name, fn in fns.items():
        x = g.tensor(data["x"], requires_grad=True)
        y = fn(x)
        np.testing.assert_allclose(y.numpy(), data[f"{name}_y"], rtol=1e-5, atol=1e-6)
        w = np.cos(np.arange(y.numel(), dtype=np.float32)).reshape(tuple(y.shape))
        (y * g.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), data[f"{name}_gx"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call,err,match", [
    (lambda x: F.max_pool2d(x, 2, padding=2), ValueError, "at most half"),
    (lambda x: F.max_pool2d(x, 0), ValueError, "must be positive"),
    (lambda x: F.max_pool2d(x, 9), ValueError, "smaller than the kernel"),
    (lambda x: F.avg_pool2d(x[0, 0, 0], 2), ValueError, "expected a 3-D or 4-D input"),
    (lambda x: F.max_pool1d(x, 2), ValueError, "expected a 2-D or 3-D input"),
    (lambda x: F.avg_pool2d(x, (2, 2, 2)), ValueError, "tuple of 2 ints"),
    (lambda x: F.adaptive_avg_pool2d(x, 0), ValueError, "positive"),
    (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), ValueError, "nearest"),
    (lambda x: F.interpolate(x), ValueError, "exactly one"),
    (lambda x: F.max_pool2d(x.long(), 2), TypeError, "floating point"),
])
def test_pool_errors(call, err, match):
    x = g.randn(2, 3, 6, 6)
    with pytest.raises(err, match=match):
        call(x)
