"""Fused scaled dot-product attention (seed 000 §7): PyTorch parity, float64 gradcheck, masks, errors."""
import numpy as np
import pytest

import gradiente as g
from gradiente.nn import functional as F
from gradiente.ops.attention import ScaledDotProductAttention


def _qkv(rng, batch=(2, 3), L=5, S=6, E=4, Ev=7, dtype=np.float32):
    return (rng.standard_normal(batch + (L, E)).astype(dtype),
            rng.standard_normal(batch + (S, E)).astype(dtype),
            rng.standard_normal(batch + (S, Ev)).astype(dtype))


MASKS = {
    "none": lambda rng: None,
    "bool": lambda rng: rng.random((5, 6)) > 0.3,
    "float": lambda rng: rng.standard_normal((2, 1, 5, 6)).astype(np.float32),
}


@pytest.mark.parametrize("mask_kind,is_causal", [(m, False) for m in MASKS] + [("none", True)])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(mask_kind, is_causal, scale):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng)
    mask = MASKS[mask_kind](rng)
    assert_sdpa_matches_torch(torch, rng, q, k, v, mask, is_causal=is_causal, scale=scale)


def assert_sdpa_matches_torch(torch, rng, q, k, v, mask=None, **kw):
    """Outputs and the gradients of q, k, v (for a random output weighting) equal PyTorch's in float32."""
    gq, gk, gv = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
    tq, tk, tv = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(gq, gk, gv, attn_mask=mask, **kw)
    ref = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.tensor(mask), **kw)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = rng.standard_normal(out.shape).astype(np.float32)
    (out * g.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in ((gq, tq), (gk, tk), (gv, tv)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mask_kind", list(MASKS))
def test_sdpa_gradcheck_float64(mask_kind):
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, batch=(2,), L=3, S=4, E=3, Ev=2, dtype=np.float64)
    mask = MASKS[mask_kind](rng)
    if mask is not None:
        mask = mask[..., :3, :4] if mask.ndim == 2 else mask[:, 0, :3, :4].astype(np.float64)
    inputs = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
    assert g.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask), inputs)
    assert g.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), inputs)


def test_sdpa_gradcheck_with_weights_output():
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, batch=(1,), L=2, S=3, E=2, Ev=2, dtype=np.float64)
    inputs = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
    assert g.gradcheck(lambda a, b, c: ScaledDotProductAttention.apply(a, b, c, return_weights=True), inputs)


def test_sdpa_matches_composition_of_primitives():
    rng = np.random.default_rng(4)
    q, k, v = _qkv(rng, dtype=np.float64)
    gq, gk, gv = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(gq, gk, gv)
    out.sum().backward()
    grads = [t.grad.numpy().copy() for t in (gq, gk, gv)]
    for t in (gq, gk, gv):
        t.grad = None
    s = gq @ gk.transpose(-1, -2) / 2.0
    e = (s - g.tensor(s.numpy().max(-1, keepdims=True))).exp()
    ref = (e / e.sum(-1, keepdim=True)) @ gv
    ref.sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(grads, (gq, gk, gv)):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros_not_nan():
    rng = np.random.default_rng(5)
    q, k, v = _qkv(rng, batch=(1,), L=2, S=3)
    mask = np.array([[True, True, False], [False, False, False]])
    gq, gk, gv = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(gq, gk, gv, attn_mask=mask)
    assert np.isfinite(out.numpy()).all()
    np.testing.assert_array_equal(out.numpy()[0, 1], 0.0)
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (gq, gk, gv))


def test_sdpa_dropout_scales_kept_weights_and_is_seeded():
    rng = np.random.default_rng(6)
    q, k, v = _qkv(rng, batch=(4,), L=8, S=8, E=4, Ev=8)
    v = np.broadcast_to(np.eye(8, dtype=np.float32), (4, 8, 8)).copy()  # output = dropped weights
    gq, gk, gv = g.tensor(q), g.tensor(k), g.tensor(v)
    g.manual_seed(7)
    a = F.scaled_dot_product_attention(gq, gk, gv, dropout_p=0.5).numpy()
    g.manual_seed(7)
    b = F.scaled_dot_product_attention(gq, gk, gv, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    p = F.scaled_dot_product_attention(gq, gk, gv).numpy()
    kept = a != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(a[kept], 2 * p[kept], rtol=1e-6)


def test_sdpa_dropout_gradcheck_with_fixed_mask():
    rng = np.random.default_rng(8)
    q, k, v = _qkv(rng, batch=(1,), L=3, S=3, E=2, Ev=2, dtype=np.float64)
    inputs = [g.tensor(a, requires_grad=True) for a in (q, k, v)]

    def f(a, b, c):
        g.manual_seed(3)  # the same dropout mask for every evaluation
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4)
    assert g.gradcheck(f, inputs)


def test_sdpa_errors_name_the_function():
    rng = np.random.default_rng(9)
    q, k, v = [g.tensor(a) for a in _qkv(rng)]
    with pytest.raises(ValueError, match="scaled_dot_product_attention.*same last dimension"):
        F.scaled_dot_product_attention(q, g.randn(2, 3, 6, 5), v)
    with pytest.raises(ValueError, match="key and value must have the same length"):
        F.scaled_dot_product_attention(q, k, g.randn(2, 3, 4, 7))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((5, 4), bool))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((5, 6), bool), is_causal=True)
    with pytest.raises(TypeError, match="attn_mask must be bool or floating"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((5, 6), int))
    with pytest.raises(TypeError, match="query must be a Tensor"):
        F.scaled_dot_product_attention(q.numpy(), k, v)


def _reference_attention(q, k, v, allowed):
    """softmax(Q K^T / sqrt(E)) V in float64 NumPy, fully blocked rows giving 0."""
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(allowed, s, -np.inf)
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    d = e.sum(-1, keepdims=True)
    return (e / np.where(d == 0, 1, d)) @ v


@pytest.mark.parametrize("mask_batch", [40, 1])
def test_blocked_threaded_attention_matches_float64_reference(mask_batch):
    """A batch large enough for many cache blocks spread over two threads, with a per-sample mask and dead rows."""
    from gradiente import parallel
    rng = np.random.default_rng(7)
    q, k, v = _qkv(rng, batch=(40, 2), L=64, S=64, E=8, Ev=8)
    allowed = rng.random((mask_batch, 1, 64, 64)) > 0.2
    allowed[0, :, 3, :] = False  # a query that may attend nothing
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        gq, gk, gv = [g.tensor(a, requires_grad=True) for a in (q, k, v)]
        out = F.scaled_dot_product_attention(gq, gk, gv, attn_mask=allowed)
        w = rng.standard_normal(out.shape).astype(np.float32)
        (out * g.tensor(w)).sum().backward()
    finally:
        parallel.set_num_threads(before)
    q64, k64, v64 = (a.astype(np.float64) for a in (q, k, v))
    np.testing.assert_allclose(out.numpy(), _reference_attention(q64, k64, v64, allowed), rtol=1e-4, atol=1e-5)
    assert (out.numpy()[0, :, 3] == 0).all() and (gq.grad.numpy()[0, :, 3] == 0).all()
    dq, dk, dv = [g.tensor(a, requires_grad=True) for a in (q64, k64, v64)]
    F.scaled_dot_product_attention(dq, dk, dv, attn_mask=allowed).mul(g.tensor(w.astype(np.float64))).sum().backward()
    for ours, exact in ((gq, dq), (gk, dk), (gv, dv)):
        np.testing.assert_allclose(ours.grad.numpy(), exact.grad.numpy(), rtol=1e-4, atol=1e-5)
