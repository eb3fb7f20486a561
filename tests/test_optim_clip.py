"""Gradient clipping by norm and by value (seed 002 §3.7): against PyTorch and by hand, errors."""
import math

import numpy as np
import pytest

import gradiente as g

SHAPES = [(4, 3), (3,), (2, 2, 2)]


def _params(m, dtype=np.float32, seed=0, scale=1.0, none_at=1):
    rng = np.random.default_rng(seed)
    params = []
    for i, s in enumerate(SHAPES):
        p = m.nn.Parameter(m.zeros(*s, dtype=getattr(m, np.dtype(dtype).name)))
        if i != none_at:
            p.grad = m.tensor((rng.standard_normal(s) * scale).astype(dtype))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours, ref = _params(g), _params(torch)
    n_ours = g.nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    n_ref = torch.nn.utils.clip_grad_norm_(ref, max_norm, float(norm_type))
    assert n_ours.dtype == np.float32 and n_ours.shape == ()
    np.testing.assert_allclose(n_ours.item(), n_ref.item(), rtol=1e-5)
    for p, q in zip(ours, ref):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 5.0])
def test_clip_grad_value_matches_torch(clip_value):
    torch = pytest.importorskip("torch")
    ours, ref = _params(g), _params(torch)
    assert g.nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(ref, clip_value)
    for p, q in zip(ours, ref):
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_clip_grad_norm_by_hand():
    a, b = g.nn.Parameter(g.zeros(2)), g.nn.Parameter(g.zeros(1))
    a.grad, b.grad = g.tensor([3.0, 0.0]), g.tensor([4.0])
    total = g.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [3.0 * coef, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [4.0 * coef], rtol=1e-6)
    # under the bound: untouched; a single tensor is accepted
    total = g.nn.utils.clip_grad_norm_(b, max_norm=10.0)
    assert total.item() == pytest.approx(4.0 * coef, rel=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [4.0 * coef], rtol=1e-6)


def test_clip_keeps_float64_and_handles_no_grads():
    ps = _params(g, dtype=np.float64)
    total = g.nn.utils.clip_grad_norm_(ps, 0.1)
    assert total.dtype == np.float64 and ps[0].grad.dtype == np.float64
    assert g.nn.utils.clip_grad_norm_([g.nn.Parameter(g.zeros(2))], 1.0).item() == 0.0


def test_get_total_norm_and_clip_grads_with_norm():
    ps = _params(g)
    grads = [p.grad for p in ps if p.grad is not None]
    total = g.nn.utils.get_total_norm(grads)
    expected = np.sqrt(sum(float((gr.numpy().astype(np.float64) ** 2).sum()) for gr in grads))
    assert total.item() == pytest.approx(expected, rel=1e-6)
    g.nn.utils.clip_grads_with_norm_(ps, 1.0, total)
    assert g.nn.utils.get_total_norm([p.grad for p in ps if p.grad is not None]).item() == pytest.approx(1.0, rel=1e-5)


def test_clip_errors():
    ps = _params(g)
    ps[0].grad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        g.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        g.nn.utils.clip_grad_norm_(ps, -1.0)
    with pytest.raises(ValueError, match="norm_type must be >= 0"):
        g.nn.utils.clip_grad_norm_(ps, 1.0, norm_type=-2)
    with pytest.raises(TypeError, match="norm_type must be a number"):
        g.nn.utils.clip_grad_norm_(ps, 1.0, norm_type="fro")
    with pytest.raises(TypeError, match="item 1 is a ndarray"):
        g.nn.utils.clip_grad_norm_([ps[0], np.ones(2)], 1.0)
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        g.nn.utils.clip_grad_value_(ps, -0.5)
    with pytest.raises(TypeError, match="clip_value must be a number"):
        g.nn.utils.clip_grad_value_(ps, "big")
