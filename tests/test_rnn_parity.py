"""Parity of RNN / LSTM / GRU layers and cells with PyTorch: outputs, final states, every gradient."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.nn.utils import rnn as rnn_utils

CONFIGS = [  # (num_layers, bidirectional, batch_first, bias)
    (1, False, False, True),
    (2, True, True, True),
    (2, False, False, False),
    (3, True, False, True),
]
KINDS = [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)]


def _pair(torch, kind, nl, dtype, **kw):
    if nl is not None:
        kw["nonlinearity"] = nl
    tm = getattr(torch.nn, kind)(5, 4, **kw).to(torch.float64 if dtype == np.float64 else torch.float32)
    gm = getattr(nn, kind)(5, 4, **kw).to(dtype)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return tm, gm


def _check_grads(tm, gm, pairs, rtol, atol):
    for t, gg in pairs:
        np.testing.assert_allclose(gg.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    gp = dict(gm.named_parameters())
    assert list(gp) == [n for n, _ in tm.named_parameters()]
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(gp[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("kind,nl", KINDS)
@pytest.mark.parametrize("layers,bi,bf,bias", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(kind, nl, layers, bi, bf, bias, dtype):
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, kind, nl, dtype, num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias)
    rng = np.random.default_rng(1)
    T, B, D = 6, 3, 2 if bi else 1
    x = rng.standard_normal((B, T, 5) if bf else (T, B, 5)).astype(dtype)
    h0 = rng.standard_normal((layers * D, B, 4)).astype(dtype)
    c0 = rng.standard_normal((layers * D, B, 4)).astype(dtype)
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    gx, gh, gc = (g.tensor(a, requires_grad=True) for a in (x, h0, c0))
    wo = rng.standard_normal((B, T, 4 * D) if bf else (T, B, 4 * D)).astype(dtype)
    if kind == "LSTM":
        to, (thn, tcn) = tm(tx, (th, tc))
        go, (ghn, gcn) = gm(gx, (gh, gc))
        np.testing.assert_allclose(gcn.numpy(), tcn.detach().numpy(), rtol=1e-5, atol=1e-6)
        tl = (to * torch.tensor(wo)).sum() + (thn ** 2).sum() + (tcn * 0.5).sum()
        gl = (go * g.tensor(wo)).sum() + (ghn ** 2).sum() + (gcn * 0.5).sum()
        pairs = [(tx, gx), (th, gh), (tc, gc)]
    else:
        to, thn = tm(tx, th)
        go, ghn = gm(gx, gh)
        tl = (to * torch.tensor(wo)).sum() + (thn ** 2).sum()
        gl = (go * g.tensor(wo)).sum() + (ghn ** 2).sum()
        pairs = [(tx, gx), (th, gh)]
    assert go.dtype == dtype and go.shape == tuple(to.shape) and ghn.shape == tuple(thn.shape)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ghn.numpy(), thn.detach().numpy(), rtol=1e-5, atol=1e-6)
    tl.backward()
    gl.backward()
    tol = 1e-4 if dtype == np.float32 else 1e-9
    _check_grads(tm, gm, pairs, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_default_state_unbatched_and_init(kind):
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, kind, None, np.float32, num_layers=2)
    x = np.random.default_rng(2).standard_normal((7, 5)).astype(np.float32)  # unbatched (T, I)
    to, ts = tm(torch.tensor(x))
    go, gs = gm(g.tensor(x))
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    th = ts[0] if kind == "LSTM" else ts
    gh = gs[0] if kind == "LSTM" else gs
    assert gh.shape == tuple(th.shape) == (2, 4)
    np.testing.assert_allclose(gh.numpy(), th.detach().numpy(), rtol=1e-5, atol=1e-6)
    # default init: every parameter uniform within +-1/sqrt(hidden), shapes and names as torch
    fresh = getattr(nn, kind)(5, 16, num_layers=2, bidirectional=True)
    ref = getattr(torch.nn, kind)(5, 16, num_layers=2, bidirectional=True)
    assert [(n, tuple(p.shape)) for n, p in fresh.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    allp = np.concatenate([p.numpy().ravel() for p in fresh.parameters()])
    assert np.abs(allp).max() <= 0.25 and abs(allp.std() - 0.25 / np.sqrt(3)) < 0.01  # U(-1/4, 1/4)


@pytest.mark.parametrize("kind,nl", [("RNNCell", "tanh"), ("RNNCell", "relu"), ("LSTMCell", None), ("GRUCell", None)])
def test_cells_match_torch(kind, nl):
    torch = pytest.importorskip("torch")
    kw = {"nonlinearity": nl} if nl else {}
    tm = getattr(torch.nn, kind)(5, 4, **kw).double()
    gm = getattr(nn, kind)(5, 4, **kw).double()
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((4, 3, 5))
    h0 = rng.standard_normal((3, 4))
    th, gh = torch.tensor(h0, requires_grad=True), g.tensor(h0, requires_grad=True)
    ts, gs = (th, th.clone()) if kind == "LSTMCell" else th, (gh, gh * 1.0) if kind == "LSTMCell" else gh
    touts, gouts = [], []
    for x in xs:  # unrolled by hand: every h_t is a tensor whose gradient can be read
        ts = tm(torch.tensor(x), ts)
        gs = gm(g.tensor(x), gs)
        th_t = ts[0] if kind == "LSTMCell" else ts
        gh_t = gs[0] if kind == "LSTMCell" else gs
        th_t.retain_grad()
        gh_t.retain_grad()
        touts.append(th_t)
        gouts.append(gh_t)
    (touts[-1] ** 2).sum().backward()
    (gouts[-1] ** 2).sum().backward()
    for t_h, g_h in zip(touts, gouts):
        np.testing.assert_allclose(g_h.numpy(), t_h.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g_h.grad.numpy(), t_h.grad.numpy(), rtol=1e-9, atol=1e-12)  # dL/dh_t
    _check_grads(tm, gm, [(th, gh)], rtol=1e-9, atol=1e-12)
    # unbatched input
    x1 = rng.standard_normal(5)
    out_t = tm(torch.tensor(x1))
    out_g = gm(g.tensor(x1))
    a, b = (out_t[0], out_g[0]) if kind == "LSTMCell" else (out_t, out_g)
    np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bi", [False, True])
def test_packed_and_lengths_match_torch(kind, bi):
    torch = pytest.importorskip("torch")
    tmu = torch.nn.utils.rnn
    tm, gm = _pair(torch, kind, None, np.float64, num_layers=2, bidirectional=bi, batch_first=True)
    rng = np.random.default_rng(4)
    lengths = [3, 6, 1, 4]
    x = rng.standard_normal((4, 6, 5))
    tx, gx = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)
    tp = tmu.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=False)
    gp = rnn_utils.pack_padded_sequence(gx, lengths, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(gp.batch_sizes, tp.batch_sizes.numpy())
    tout, ts = tm(tp)
    gout, gs = gm(gp)
    assert isinstance(gout, rnn_utils.PackedSequence)
    tpad, tl = tmu.pad_packed_sequence(tout, batch_first=True)
    gpad, gl = rnn_utils.pad_packed_sequence(gout, batch_first=True)
    np.testing.assert_array_equal(gl.numpy(), tl.numpy())
    np.testing.assert_allclose(gpad.numpy(), tpad.detach().numpy(), rtol=1e-10, atol=1e-12)
    th = ts[0] if kind == "LSTM" else ts
    gh = gs[0] if kind == "LSTM" else gs
    np.testing.assert_allclose(gh.numpy(), th.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = rng.standard_normal(tuple(tpad.shape))
    ((tpad * torch.tensor(w)).sum() + th.sum()).backward()
    ((gpad * g.tensor(w)).sum() + gh.sum()).backward()
    _check_grads(tm, gm, [(tx, gx)], rtol=1e-9, atol=1e-10)
    # the padded form with lengths= gives the same numbers as the packed form
    gx2 = g.tensor(x)
    gout2, gs2 = gm(gx2, lengths=lengths)
    np.testing.assert_allclose(gout2.numpy()[:, :6], gpad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((gs2[0] if kind == "LSTM" else gs2).numpy(), gh.numpy(), rtol=1e-12)


def test_pad_sequence_and_pack_sequence_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 2)) for n in (4, 2, 3)]
    tpad = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True, padding_value=-1.0)
    gpad = rnn_utils.pad_sequence([g.tensor(s) for s in seqs], batch_first=True, padding_value=-1.0)
    np.testing.assert_allclose(gpad.numpy(), tpad.numpy())
    sorted_seqs = sorted(seqs, key=len, reverse=True)
    tpk = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in sorted_seqs])
    gpk = rnn_utils.pack_sequence([g.tensor(s) for s in sorted_seqs])
    np.testing.assert_allclose(gpk.data.numpy(), tpk.data.numpy())
    np.testing.assert_array_equal(gpk.batch_sizes, tpk.batch_sizes.numpy())
    mask = rnn_utils.lengths_to_mask([3, 1], batch_first=True).numpy()
    np.testing.assert_array_equal(mask, [[True, True, True], [True, False, False]])


def test_dropout_between_layers():
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, "LSTM", None, np.float64, num_layers=2, dropout=0.5)
    x = np.random.default_rng(6).standard_normal((5, 2, 5))
    gm.eval()
    np.testing.assert_allclose(gm(g.tensor(x))[0].numpy(), tm.eval()(torch.tensor(x))[0].detach().numpy(), rtol=1e-10)
    gm.train()
    a = gm(g.tensor(x))[0].numpy()
    b = gm(g.tensor(x))[0].numpy()
    assert not np.allclose(a, b)  # dropout draws a new mask each call in training mode


def test_state_dict_round_trip_to_torch():
    torch = pytest.importorskip("torch")
    gm = nn.GRU(5, 4, num_layers=2, bidirectional=True)
    tm = torch.nn.GRU(5, 4, num_layers=2, bidirectional=True)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gm.state_dict().items()})
    x = np.random.default_rng(7).standard_normal((3, 2, 5)).astype(np.float32)
    np.testing.assert_allclose(gm(g.tensor(x))[0].numpy(), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_all_weights_and_flatten_parameters_like_torch():
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, "GRU", None, np.float32, num_layers=2, bidirectional=True)
    gm.flatten_parameters()
    assert [[tuple(p.shape) for p in ws] for ws in gm.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
    assert "GRU(5, 4, num_layers=2, bidirectional=True)" == repr(gm)
