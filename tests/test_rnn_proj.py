"""LSTM with projections (PyTorch's ``proj_size``): parity with torch.nn.LSTM, gradchecks, errors."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.nn.utils import rnn as rnn_utils
from gradiente.ops.recurrent import LSTMSequence
from test_rnn_parity import _check_grads

I, H, P = 5, 6, 3

# torch notes that its oneDNN path has no projections and falls back to its default kernel
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported:UserWarning")


def _pair(torch, dtype, **kw):
    tm = torch.nn.LSTM(I, H, proj_size=P, **kw).to(torch.float64 if dtype == np.float64 else torch.float32)
    gm = nn.LSTM(I, H, proj_size=P, **kw).to(dtype)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return tm, gm


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("bf", [False, True])
@pytest.mark.parametrize("bi", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_proj_matches_torch(layers, bi, bf, with_state, dtype):
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, dtype, num_layers=layers, bidirectional=bi, batch_first=bf)
    rng = np.random.default_rng(1)
    T, B, D = 5, 3, 2 if bi else 1
    x = rng.standard_normal((B, T, I) if bf else (T, B, I)).astype(dtype)
    tx, gx = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)
    pairs = [(tx, gx)]
    if with_state:
        h0 = rng.standard_normal((layers * D, B, P)).astype(dtype)
        c0 = rng.standard_normal((layers * D, B, H)).astype(dtype)
        th, tc = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
        gh, gc = g.tensor(h0, requires_grad=True), g.tensor(c0, requires_grad=True)
        to, (thn, tcn) = tm(tx, (th, tc))
        go, (ghn, gcn) = gm(gx, (gh, gc))
        pairs += [(th, gh), (tc, gc)]
    else:
        to, (thn, tcn) = tm(tx)
        go, (ghn, gcn) = gm(gx)
    assert go.shape == tuple(to.shape) == ((B, T, D * P) if bf else (T, B, D * P))
    assert ghn.shape == tuple(thn.shape) == (layers * D, B, P)
    assert gcn.shape == tuple(tcn.shape) == (layers * D, B, H)
    assert go.dtype == dtype
    for a, b in ((go, to), (ghn, thn), (gcn, tcn)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    wo = rng.standard_normal(tuple(to.shape)).astype(dtype)
    ((to * torch.tensor(wo)).sum() + (thn ** 2).sum() + (tcn * 0.5).sum()).backward()
    ((go * g.tensor(wo)).sum() + (ghn ** 2).sum() + (gcn * 0.5).sum()).backward()
    tol = 1e-4 if dtype == np.float32 else 1e-9
    _check_grads(tm, gm, pairs, rtol=tol, atol=tol)


def test_lstm_proj_without_bias_and_unbatched():
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, np.float64, num_layers=2, bias=False)
    assert [n for n, _ in gm.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0",
                                                      "weight_ih_l1", "weight_hh_l1", "weight_hr_l1"]
    x = np.random.default_rng(2).standard_normal((4, I))  # unbatched (T, I)
    tx, gx = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)
    to, (th, tc) = tm(tx)
    go, (gh, gc) = gm(gx)
    assert gh.shape == tuple(th.shape) == (2, P) and gc.shape == (2, H)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    (to.sum() + th.sum() + tc.sum()).backward()
    (go.sum() + gh.sum() + gc.sum()).backward()
    _check_grads(tm, gm, [(tx, gx)], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bi", [False, True])
def test_lstm_proj_packed_and_lengths_match_torch(bi):
    torch = pytest.importorskip("torch")
    tmu = torch.nn.utils.rnn
    tm, gm = _pair(torch, np.float64, num_layers=2, bidirectional=bi, batch_first=True)
    rng = np.random.default_rng(4)
    lengths = [3, 6, 1, 4]
    x = rng.standard_normal((4, 6, I))
    D = 2 if bi else 1
    h0, c0 = rng.standard_normal((2 * D, 4, P)), rng.standard_normal((2 * D, 4, H))
    tx, gx = torch.tensor(x, requires_grad=True), g.tensor(x, requires_grad=True)
    th, gh = torch.tensor(h0, requires_grad=True), g.tensor(h0, requires_grad=True)
    tc, gc = torch.tensor(c0, requires_grad=True), g.tensor(c0, requires_grad=True)
    tout, (thn, tcn) = tm(tmu.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=False), (th, tc))
    gout, (ghn, gcn) = gm(rnn_utils.pack_padded_sequence(gx, lengths, batch_first=True, enforce_sorted=False),
                          (gh, gc))
    tpad, _ = tmu.pad_packed_sequence(tout, batch_first=True)
    gpad, _ = rnn_utils.pad_packed_sequence(gout, batch_first=True)
    for a, b in ((gpad, tpad), (ghn, thn), (gcn, tcn)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = rng.standard_normal(tuple(tpad.shape))
    ((tpad * torch.tensor(w)).sum() + thn.sum() + (tcn ** 2).sum()).backward()
    ((gpad * g.tensor(w)).sum() + ghn.sum() + (gcn ** 2).sum()).backward()
    _check_grads(tm, gm, [(tx, gx), (th, gh), (tc, gc)], rtol=1e-9, atol=1e-10)
    # the padded form with lengths= gives the same numbers
    gout2, (ghn2, _) = gm(g.tensor(x), (g.tensor(h0), g.tensor(c0)), lengths=lengths)
    np.testing.assert_allclose(gout2.numpy(), gpad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ghn2.numpy(), ghn.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_kernel_gradcheck_with_projection(reverse, masked):
    rng = np.random.default_rng(0)
    T, B, In, Hs, Ps = 3, 2, 3, 3, 2
    shapes = [(T, B, In), (B, Ps), (B, Hs), (4 * Hs, In), (4 * Hs, Ps), (4 * Hs,), (4 * Hs,), (Ps, Hs)]
    args = [g.tensor(rng.standard_normal(s) * 0.6, requires_grad=True) for s in shapes]
    mask = np.array([[True, True], [True, False], [True, False]]) if masked else None
    out, hn, cn = LSTMSequence.apply(*args, reverse=reverse, mask=mask)
    assert out.shape == (T, B, Ps) and hn.shape == (B, Ps) and cn.shape == (B, Hs)
    fn = lambda *a: LSTMSequence.apply(*a, reverse=reverse, mask=mask)  # noqa: E731
    assert g.gradcheck(fn, tuple(args))
    # without biases
    assert g.gradcheck(lambda *a: LSTMSequence.apply(*a[:5], None, None, a[5], reverse=reverse, mask=mask),
                       tuple(args[:5] + args[7:]))


def test_layer_gradcheck_fast_mode_with_projection():
    m = nn.LSTM(3, 3, proj_size=2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = g.tensor(np.random.default_rng(2).standard_normal((2, 4, 3)), requires_grad=True)
    assert g.gradcheck(lambda x, *p: m(x, lengths=[4, 2])[0], (x, *m.parameters()), fast_mode=True)


def test_state_dict_init_and_repr_like_torch():
    torch = pytest.importorskip("torch")
    gm = nn.LSTM(I, 16, proj_size=4, num_layers=2, bidirectional=True)
    tm = torch.nn.LSTM(I, 16, proj_size=4, num_layers=2, bidirectional=True)
    assert [(k, tuple(v.shape)) for k, v in gm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert [[tuple(p.shape) for p in ws] for ws in gm.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
    assert repr(gm) == repr(tm) == "LSTM(5, 16, proj_size=4, num_layers=2, bidirectional=True)"
    allp = np.concatenate([p.numpy().ravel() for p in gm.parameters()])
    assert np.abs(allp).max() <= 0.25 and abs(allp.std() - 0.25 / np.sqrt(3)) < 0.01  # U(-1/4, 1/4)
    whr = gm.weight_hr_l1_reverse.numpy()
    assert np.abs(whr).max() <= 0.25 and whr.std() > 0.1
    # gradiente's state_dict loads into torch and gives the same outputs
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gm.state_dict().items()})
    x = np.random.default_rng(7).standard_normal((3, 2, I)).astype(np.float32)
    np.testing.assert_allclose(gm(g.tensor(x))[0].numpy(), tm(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropout_between_layers_with_projection():
    torch = pytest.importorskip("torch")
    tm, gm = _pair(torch, np.float64, num_layers=2, dropout=0.5)
    x = np.random.default_rng(6).standard_normal((5, 2, I))
    gm.eval()
    np.testing.assert_allclose(gm(g.tensor(x))[0].numpy(), tm.eval()(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-10)
    gm.train()
    assert not np.allclose(gm(g.tensor(x))[0].numpy(), gm(g.tensor(x))[0].numpy())


def test_bad_proj_size_and_states():
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(I, H, proj_size=-1)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(I, H, proj_size=2.0)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(I, H, proj_size=H + 1)
    for cls in (nn.RNN, nn.GRU):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            cls(I, H, proj_size=2)
        with pytest.raises(ValueError, match="only supported for LSTM"):
            cls(I, H, proj_size=0)  # as PyTorch: any proj_size given to RNN or GRU
    m = nn.LSTM(I, H, proj_size=P)
    x = g.randn(4, 2, I)
    with pytest.raises(RuntimeError, match=r"h_0 of shape \(1, 2, 3\)"):
        m(x, (g.zeros(1, 2, H), g.zeros(1, 2, H)))
    with pytest.raises(RuntimeError, match=r"c_0 of shape \(1, 2, 6\)"):
        m(x, (g.zeros(1, 2, P), g.zeros(1, 2, P)))
