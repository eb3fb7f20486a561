"""LayerNorm(x + residual) in one kernel, the post-norm sublayer output (gradiente/ops/norm.py, seed 002 §4.8):
PyTorch parity of the output and of all four gradients, float64 gradcheck, and the no-gradient path."""
import numpy as np
import pytest

import gradiente as g
from gradiente.ops.norm import LayerNorm


def test_layer_norm_with_residual_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, r = (rng.standard_normal((3, 700, 48)).astype(np.float32) for _ in range(2))  # several row blocks
    w, b = (rng.standard_normal(48).astype(np.float32) for _ in range(2))
    gx, gr, gw, gb = (g.tensor(a, requires_grad=True) for a in (x, r, w, b))
    tx, tr, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, r, w, b))
    out = LayerNorm.apply(gx, gw, gb, gr, eps=1e-12)
    ref = torch.nn.functional.layer_norm(tx + tr, (48,), tw, tb, 1e-12)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    u = rng.standard_normal(x.shape).astype(np.float32)
    (out * g.tensor(u)).sum().backward()
    (ref * torch.tensor(u)).sum().backward()
    for a, t in ((gx, tx), (gr, tr)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)
    for a, t in ((gw, tw), (gb, tb)):  # float32 sums over 2,100 rows, in another order than PyTorch's
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-4)
    with g.no_grad():
        np.testing.assert_array_equal(LayerNorm.apply(g.tensor(x), g.tensor(w), g.tensor(b), g.tensor(r),
                                                      eps=1e-12).numpy(), out.numpy())


def test_layer_norm_with_residual_gradcheck_float64():
    rng = np.random.default_rng(4)
    x, r = (g.tensor(rng.standard_normal((2, 5, 6)), requires_grad=True) for _ in range(2))
    w, b = (g.tensor(rng.standard_normal(6), requires_grad=True) for _ in range(2))
    assert g.gradcheck(lambda x, r, w, b: LayerNorm.apply(x, w, b, r), (x, r, w, b))


def test_only_the_residual_needs_a_gradient():
    rng = np.random.default_rng(5)
    x = g.tensor(rng.standard_normal((4, 8)).astype(np.float32))
    r = g.tensor(rng.standard_normal((4, 8)).astype(np.float32), requires_grad=True)
    LayerNorm.apply(x, None, None, r).sum().backward()
    assert x.grad is None and r.grad.shape == (4, 8)
