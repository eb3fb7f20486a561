"""MultiheadAttention (seed 000 §7): PyTorch parity of outputs, weights and every gradient; errors."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn


def _pair(torch, E, h, **kw):
    tm = torch.nn.MultiheadAttention(E, h, **kw)
    gm = nn.MultiheadAttention(E, h, **kw)
    sd = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    assert list(sd) == list(gm.state_dict())
    gm.load_state_dict(sd)
    return tm, gm


CASES = {
    "self": dict(),
    "self_batch_first": dict(batch_first=True),
    "cross": dict(self_attn=False),
    "cross_kdim_vdim": dict(self_attn=False, kdim=5, vdim=7),
    "no_bias": dict(self_attn=False, bias=False),
    "bias_kv_zero_attn": dict(self_attn=False, add_bias_kv=True, add_zero_attn=True),
    "causal_bool": dict(am="causal"),
    "causal_and_padding_per_head": dict(am="causal", kpm=True, avg=False),
    "float_3d_mask_and_padding": dict(self_attn=False, am="float3d", kpm=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mha_matches_torch(case):
    torch = pytest.importorskip("torch")
    c = dict(CASES[case])
    rng = np.random.default_rng(0)
    E, h, L, S, N = 8, 2, 5, 6, 3
    self_attn = c.pop("self_attn", True)
    am, kpm, avg = c.pop("am", None), c.pop("kpm", False), c.pop("avg", True)
    if self_attn:
        S = L
    tm, gm = _pair(torch, E, h, **c)
    bf = c.get("batch_first", False)
    shp = (lambda n, l, e: (n, l, e)) if bf else (lambda n, l, e: (l, n, e))
    xs = [rng.standard_normal(shp(N, L, E)).astype(np.float32)]
    if not self_attn:
        xs += [rng.standard_normal(shp(N, S, c.get("kdim") or E)).astype(np.float32),
               rng.standard_normal(shp(N, S, c.get("vdim") or E)).astype(np.float32)]
    if am == "causal":
        am = np.triu(np.ones((L, S), bool), 1)
    elif am == "float3d":
        am = rng.standard_normal((N * h, L, S)).astype(np.float32)
    kpm = np.zeros((N, S), bool) if kpm else None
    if kpm is not None:
        kpm[0, -2:] = True
        kpm[2, -1] = True
    gt = [g.tensor(a, requires_grad=True) for a in xs]
    tt = [torch.tensor(a, requires_grad=True) for a in xs]
    gargs = gt * 3 if self_attn else gt
    targs = tt * 3 if self_attn else tt
    go, gw = gm(*gargs, key_padding_mask=kpm, attn_mask=am, average_attn_weights=avg)
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        to, tw = tm(*targs, key_padding_mask=None if kpm is None else torch.tensor(kpm),
                    attn_mask=None if am is None else torch.tensor(am), average_attn_weights=avg)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-5)
    w1 = rng.standard_normal(go.shape).astype(np.float32)
    w2 = rng.standard_normal(gw.shape).astype(np.float32)
    ((go * g.tensor(w1)).sum() + (gw * g.tensor(w2)).sum()).backward()
    ((to * torch.tensor(w1)).sum() + (tw * torch.tensor(w2)).sum()).backward()
    for a, b in zip(gt, tt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)
    gp = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(gp[name].grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


def test_mha_unbatched_and_need_weights_false():
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, 6, 3)
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    go, gw = gm(g.tensor(x), g.tensor(x), g.tensor(x), need_weights=False)
    to, _ = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x), need_weights=False)
    assert gw is None and go.shape == (4, 6)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_mha_init_and_parameter_shapes():
    m = nn.MultiheadAttention(16, 4)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {"in_proj_weight": (48, 16), "in_proj_bias": (48,), "out_proj.weight": (16, 16),
                      "out_proj.bias": (16,)}
    np.testing.assert_array_equal(m.in_proj_bias.numpy(), 0)
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform over the stacked (3E, E) matrix, as PyTorch
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound
    m2 = nn.MultiheadAttention(16, 4, kdim=8, vdim=4)
    assert {k: tuple(v.shape) for k, v in m2.state_dict().items()}["k_proj_weight"] == (16, 8)


def test_mha_float64_gradcheck():
    g.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = g.randn(2, 3, 4, dtype=g.float64, requires_grad=True)
    mem = g.randn(2, 4, 4, dtype=g.float64, requires_grad=True)
    kpm = np.array([[False, False, True, False], [False] * 4])
    assert g.gradcheck(lambda a, b: m(a, b, b, key_padding_mask=kpm)[0], (x, mem))


def test_mha_dropout_only_in_training():
    g.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = g.randn(2, 5, 8)
    m.eval()
    a, _ = m(x, x, x)
    b, _ = m(x, x, x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    m.train()
    c, _ = m(x, x, x)
    assert not np.allclose(a.numpy(), c.numpy())


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    x = g.randn(2, 5, 8)
    with pytest.raises(ValueError, match="MultiheadAttention.*last dimension 8.*got shape"):
        m(g.randn(2, 5, 7), x, x)
    with pytest.raises(ValueError, match="key_padding_mask of shape"):
        m(x, x, x, key_padding_mask=np.zeros((2, 4), bool))
    with pytest.raises(ValueError, match="2D attn_mask"):
        m(x, x, x, attn_mask=np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="different batch sizes"):
        m(x, g.randn(3, 5, 8), g.randn(3, 5, 8))
    with pytest.raises(TypeError, match="key_padding_mask must be a bool or float"):
        m(x, x, x, key_padding_mask=np.zeros((2, 5), int))
