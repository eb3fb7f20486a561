"""Property-based shapes (hypothesis) for broadcasting binary ops and reductions (seed 002 §2.4).

The broadcasting gradients are checked against an independent NumPy reference: every element of
an operand receives the sum of the cotangent over the output positions it was broadcast to
(``np.bincount`` over a broadcast index map). Reductions are checked against NumPy forward and
against PyTorch gradients when torch is installed.
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import gradiente as g  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: np.ones_like(a), lambda a, b: np.ones_like(b)),
    "sub": (lambda a, b: a - b, lambda a, b: np.ones_like(a), lambda a, b: -np.ones_like(b)),
    "mul": (lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    "div": (lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b ** 2),
}


def _scatter_sum(local, shape, out_shape):
    """Sum ``local`` (an array of the output shape) onto the elements of an operand of ``shape``."""
    size = int(np.prod(shape, dtype=np.int64))
    idx = np.broadcast_to(np.arange(size).reshape(shape), out_shape)
    return np.bincount(idx.ravel(), weights=local.ravel(), minlength=size).reshape(shape)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3),
       op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2 ** 16))
def test_broadcasting_binary_ops(shapes, op, seed):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(sa)
    b = rng.uniform(0.5, 2.0, sb) * rng.choice([-1.0, 1.0], sb)
    f, da, db = BINARY[op]
    ta, tb = g.tensor(a, requires_grad=True), g.tensor(b, requires_grad=True)
    out = f(ta, tb)
    assert tuple(out.shape) == out_shape
    np.testing.assert_allclose(out.numpy(), f(a, b), rtol=1e-12)
    v = rng.standard_normal(out_shape)
    out.backward(g.tensor(v))
    ab, bb = np.broadcast_to(a, out_shape), np.broadcast_to(b, out_shape)
    np.testing.assert_allclose(ta.grad.numpy(), _scatter_sum(v * da(ab, bb), sa, out_shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), _scatter_sum(v * db(ab, bb), sb, out_shape), rtol=1e-10, atol=1e-12)
    assert ta.grad.shape == sa and tb.grad.shape == sb


@st.composite
def _reduction_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    nd = len(shape)
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    dims = tuple(ax - nd if draw(st.booleans()) else ax for ax in axes)
    dim = dims[0] if len(dims) == 1 and draw(st.booleans()) else dims
    return shape, dim, draw(st.booleans()), draw(st.integers(0, 2 ** 16))


REDUCTIONS = {
    "sum": (lambda t, d, k: t.sum(dim=d, keepdim=k), lambda a, d, k: a.sum(axis=d, keepdims=k)),
    "mean": (lambda t, d, k: t.mean(dim=d, keepdim=k), lambda a, d, k: a.mean(axis=d, keepdims=k)),
    "amax": (lambda t, d, k: t.amax(dim=d, keepdim=k), lambda a, d, k: a.max(axis=d, keepdims=k)),
    "amin": (lambda t, d, k: t.amin(dim=d, keepdim=k), lambda a, d, k: a.min(axis=d, keepdims=k)),
    "var": (lambda t, d, k: t.var(dim=d, keepdim=k, unbiased=False), lambda a, d, k: a.var(axis=d, keepdims=k)),
    "logsumexp": (lambda t, d, k: t.logsumexp(dim=d, keepdim=k),
                  lambda a, d, k: np.log(np.exp(a).sum(axis=d, keepdims=k))),
}


@SETTINGS
@given(args=_reduction_args(), op=st.sampled_from(sorted(REDUCTIONS)))
def test_reductions_forward_and_grad_shape(args, op):
    shape, dim, keepdim, seed = args
    a = np.random.default_rng(seed).standard_normal(shape)
    f, ref = REDUCTIONS[op]
    t = g.tensor(a, requires_grad=True)
    out = f(t, dim, keepdim)
    np.testing.assert_allclose(out.numpy(), ref(a, dim, keepdim), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert t.grad.shape == shape and np.isfinite(t.grad.numpy()).all()
    if op == "sum":
        np.testing.assert_array_equal(t.grad.numpy(), np.ones(shape))


@SETTINGS
@given(args=_reduction_args(), op=st.sampled_from(sorted(REDUCTIONS)))
def test_reductions_match_torch(args, op):
    torch = pytest.importorskip("torch")
    shape, dim, keepdim, seed = args
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32)
    f, _ = REDUCTIONS[op]
    ga, ta = g.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    gout, tout = f(ga, dim, keepdim), f(ta, dim, keepdim)
    np.testing.assert_allclose(gout.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    v = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    gout.backward(g.tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-6)


@st.composite
def _index_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    index, dim = [], 0
    used_array = False
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "none", "array", "full"] if not used_array
                                    else ["int", "slice", "none", "full"]))
        n = shape[dim]
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, n))
            index.append(slice(start, draw(st.integers(start, n)), draw(st.integers(1, 3))))
        elif kind == "array":
            index.append(np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6))))
            used_array = True
        elif kind == "none":
            index.append(None)
            continue
        else:
            index.append(slice(None))
        dim += 1
    if draw(st.booleans()) and index and not any(i is Ellipsis for i in index):
        index = [Ellipsis] + index[1:] if len(index) > 1 else index
    return shape, tuple(index), draw(st.integers(0, 2 ** 16))


@SETTINGS
@given(args=_index_args())
def test_indexing_matches_torch(args):
    torch = pytest.importorskip("torch")
    shape, index, seed = args
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32)
    ga, ta = g.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g_index = tuple(g.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    t_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    gout, tout = ga[g_index], ta[t_index]
    np.testing.assert_array_equal(gout.numpy(), tout.detach().numpy())
    v = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    gout.backward(g.tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-6, atol=1e-6)
