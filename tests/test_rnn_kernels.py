"""Float64 gradchecks of the fused recurrent kernels and cells, clear errors, recorded references."""
import os

import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _params(G, I, H, rng, bias=True):
    shapes = [(G * H, I), (G * H, H)] + ([(G * H,), (G * H,)] if bias else [])
    ps = [g.tensor(rng.standard_normal(s) * 0.6, requires_grad=True) for s in shapes]
    return ps + ([] if bias else [None, None])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
def test_kernel_gradcheck(kind, reverse, masked):
    rng = np.random.default_rng(0)
    T, B, I, H = 3, 2, 3, 2
    G = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}[kind]
    x = g.tensor(rng.standard_normal((T, B, I)), requires_grad=True)
    h0 = g.tensor(rng.standard_normal((B, H)), requires_grad=True)
    c0 = g.tensor(rng.standard_normal((B, H)), requires_grad=True)
    ps = _params(G, I, H, rng)
    mask = np.array([[True, True], [True, False], [True, False]]) if masked else None
    if kind == "lstm":
        fn = lambda x, h, c, *p: LSTMSequence.apply(x, h, c, *p, reverse=reverse, mask=mask)  # noqa: E731
        assert g.gradcheck(fn, (x, h0, c0, *ps))
    elif kind == "gru":
        fn = lambda x, h, *p: GRUSequence.apply(x, h, *p, reverse=reverse, mask=mask)  # noqa: E731
        assert g.gradcheck(fn, (x, h0, *ps))
    else:
        fn = lambda x, h, *p: RNNSequence.apply(x, h, *p, nonlinearity=kind, reverse=reverse, mask=mask)  # noqa: E731
        assert g.gradcheck(fn, (x, h0, *ps))


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck_without_bias(cell):
    m = getattr(nn, cell)(3, 2, bias=False).double()
    assert m.bias_ih is None and len(list(m.parameters())) == 2
    rng = np.random.default_rng(1)
    x = g.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = g.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    if cell == "LSTMCell":
        c = g.tensor(rng.standard_normal((2, 2)), requires_grad=True)
        assert g.gradcheck(lambda x, h, c, *p: m(x, (h, c)), (x, h, c, m.weight_ih, m.weight_hh))
    else:
        assert g.gradcheck(lambda x, h, *p: m(x, h), (x, h, m.weight_ih, m.weight_hh))


def test_layer_gradcheck_fast_mode_bidirectional():
    m = nn.LSTM(3, 3, num_layers=2, bidirectional=True, batch_first=True).double()
    x = g.tensor(np.random.default_rng(2).standard_normal((2, 4, 3)), requires_grad=True)
    params = list(m.parameters())
    assert g.gradcheck(lambda x, *p: m(x)[0], (x, *params), fast_mode=True)


def test_gradient_reaches_every_time_step():
    """dL/dh_t of every step is readable from the unrolled cells (vanishing-gradient experiment)."""
    cell = nn.RNNCell(1, 4).double()
    xs = g.tensor(np.random.default_rng(3).standard_normal((5, 2, 1)))
    h, hs = None, []
    for t in range(5):
        h = cell(xs[t], h)
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    norms = [np.linalg.norm(h.grad.numpy()) for h in hs]
    assert all(n > 0 for n in norms) and norms[-1] == pytest.approx(np.sqrt(8))


def test_float32_stays_float32():
    m = nn.GRU(3, 4)
    out, h = m(g.randn(5, 2, 3))
    assert out.dtype == np.float32 and h.dtype == np.float32
    (out.sum() + h.sum()).backward()
    assert all(p.grad.dtype == np.float32 for p in m.parameters())


def test_saturated_gates_stay_finite():
    m = nn.LSTM(2, 3)
    with g.no_grad():
        for p in m.parameters():
            p.data[...] = 50.0
    x = g.tensor(np.full((4, 1, 2), 100.0, dtype=np.float32), requires_grad=True)
    out, (h, c) = m(x)
    out.sum().backward()
    assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all()


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_errors_name_the_layer(kind):
    m = getattr(nn, kind)(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=rf"{kind}\(input_size=3\).*got shape \(5, 2, 7\)"):
        m(g.randn(5, 2, 7))
    with pytest.raises(ValueError, match=f"{kind}: expected input of 2"):
        m(g.randn(3))
    with pytest.raises(TypeError, match=f"{kind}: input must be a Tensor"):
        m(np.zeros((5, 2, 3)))
    h = g.zeros(1, 2, 4)
    with pytest.raises(RuntimeError, match=r"expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        m(g.randn(5, 2, 3), (h, h) if kind == "LSTM" else h)
    with pytest.raises(ValueError, match="lengths must lie in"):
        m(g.randn(5, 2, 3), lengths=[6, 2])
    with pytest.raises(ValueError, match="lengths has 3 entries"):
        m(g.randn(5, 2, 3), lengths=[1, 2, 3])


def test_constructor_errors():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: hidden_size must be an int >= 1"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="GRU: dropout must be a number in"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="num_layers"):
        nn.RNN(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="RNNCell: unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


def test_cell_errors():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"LSTMCell\(input_size=3\): expected input of shape \(batch, 3\)"):
        cell(g.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"expected hidden state of shape \(2, 4\), got \(2, 5\)"):
        cell(g.randn(2, 3), (g.zeros(2, 5), g.zeros(2, 4)))
    with pytest.raises(ValueError, match="hx must be a tuple"):
        cell(g.randn(2, 3), (g.zeros(2, 4),))


def test_kernel_dtype_mismatch():
    rng = np.random.default_rng(0)
    x = g.tensor(rng.standard_normal((2, 1, 3)).astype(np.float32))
    h = g.tensor(np.zeros((1, 2)))
    w = [g.tensor(rng.standard_normal(s).astype(np.float32)) for s in [(2, 3), (2, 2)]]
    with pytest.raises(TypeError, match="RNNSequence: all inputs must share one dtype"):
        RNNSequence.apply(x, h, *w)


def test_packing_errors():
    from gradiente.nn.utils import rnn as U
    x = g.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        U.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match=r"lengths must lie in \[1, 4\]"):
        U.pack_padded_sequence(x, [5, 4, 1])
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        U.pad_packed_sequence(x)


# ----------------------------------------------------------- recorded references
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_matches_recorded_torch_reference(kind):
    ref = np.load(os.path.join(FIXTURES, f"rnn_{kind.lower()}.npz"))
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    m.load_state_dict({k[6:]: ref[k] for k in ref.files if k.startswith("param.")})
    x = g.tensor(ref["x"], requires_grad=True)
    out, state = m(x)
    h = state[0] if kind == "LSTM" else state
    np.testing.assert_allclose(out.numpy(), ref["out"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), ref["h_n"], rtol=1e-10, atol=1e-12)
    ((out ** 2).sum() + h.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), ref["grad_x"], rtol=1e-9, atol=1e-12)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref["grad." + name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_concatenated_form_of_seed000_equals_pytorch_form():
    """Seed 000 §6 writes f_t = sigma(W_f [h_{t-1}, x_t] + b_f): W_f = [W_hf | W_if], b_f = b_if + b_hf."""
    cell = nn.LSTMCell(3, 4).double()
    rng = np.random.default_rng(8)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    h1, c1 = cell(g.tensor(x), (g.tensor(h), g.tensor(c)))
    Wih, Whh = cell.weight_ih.numpy(), cell.weight_hh.numpy()
    b = cell.bias_ih.numpy() + cell.bias_hh.numpy()
    W = np.concatenate([Whh, Wih], axis=1)  # (4H, H + I), acting on [h, x]
    z = np.concatenate([h, x], axis=1) @ W.T + b
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f, C_tilde, o = sig(z[:, :4]), sig(z[:, 4:8]), np.tanh(z[:, 8:12]), sig(z[:, 12:])
    C = f * c + i * C_tilde
    np.testing.assert_allclose(c1.numpy(), C, rtol=1e-12)
    np.testing.assert_allclose(h1.numpy(), o * np.tanh(C), rtol=1e-12)
