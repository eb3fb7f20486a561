"""Activations (seed 002 §2.5, seed 000 §3): PyTorch parity, stability at large |z|, gradchecks."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente import nn

RNG = np.random.default_rng(3)

# (our module, torch module name, constructor kwargs)
TABLE = [
    ("Sigmoid", {}), ("Tanh", {}), ("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 1.3}),
    ("SELU", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("SiLU", {}), ("Softmax", {"dim": 1}), ("Softmax", {"dim": -1}),
    ("LogSoftmax", {"dim": 1}), ("PReLU", {}), ("PReLU", {"num_parameters": 4, "init": 0.1}),
]
SCALES = np.array([0.5, 3.0, 30.0, 300.0], dtype=np.float32)  # includes saturating |z|


@pytest.mark.parametrize("name,kwargs", TABLE, ids=[f"{n}{k}" for n, k in TABLE])
def test_activation_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((3, 4, 5)) * SCALES[None, :, None]).astype(np.float32)
    x[0, 0, 0] = 0.0
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    a, b = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(a), theirs(b)
    assert np.isfinite(ya.numpy()).all()
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = RNG.standard_normal(x.shape).astype(np.float32)
    (ya * g.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)
    if name == "PReLU":
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_step_is_heaviside_with_zero_gradient():
    torch = pytest.importorskip("torch")
    x = np.array([-2.0, -0.0, 0.0, 1e-8, 3.0], dtype=np.float32)
    a = g.tensor(x, requires_grad=True)
    y = nn.Step()(a)
    np.testing.assert_array_equal(y.numpy(), torch.heaviside(torch.tensor(x), torch.tensor(1.0)).numpy())
    y.sum().backward()
    assert (a.grad.numpy() == 0).all()


def test_selu_constants_are_the_notes():
    from gradiente.ops.activation import SELU_ALPHA, SELU_SCALE
    assert SELU_ALPHA == pytest.approx(1.6732632423543772848170429916717)
    assert SELU_SCALE == pytest.approx(1.0507009873554804934193349852946)
    y = F.selu(g.tensor([-1e4, 1.0])).numpy()
    np.testing.assert_allclose(y, [-SELU_SCALE * SELU_ALPHA, SELU_SCALE], rtol=1e-6)


def test_softmax_and_log_softmax_stable_at_large_logits():
    z = g.tensor([[1e4, 0.0, -1e4], [88.0, 89.0, 90.0]], requires_grad=True)
    p = F.softmax(z, dim=1).numpy()
    lp = F.log_softmax(z, dim=1)
    assert np.isfinite(p).all() and np.isfinite(lp.numpy()).all()
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(lp.numpy()[0], [0.0, -1e4, -2e4], rtol=1e-6)
    lp.sum().backward()
    assert np.isfinite(z.grad.numpy()).all()


def test_softmax_implicit_dim_like_torch():
    torch = pytest.importorskip("torch")
    import warnings
    for shape in [(5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = RNG.standard_normal(shape).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = torch.nn.Softmax()(torch.tensor(x)).numpy()
        np.testing.assert_allclose(nn.Softmax()(g.tensor(x)).numpy(), ref, rtol=1e-6, atol=1e-7)


FUNCTIONS = [
    (F.sigmoid, {}), (F.tanh, {}), (F.relu, {}), (F.leaky_relu, {"negative_slope": 0.1}), (F.elu, {"alpha": 0.7}),
    (F.selu, {}), (F.gelu, {}), (F.gelu, {"approximate": "tanh"}), (F.softplus, {"beta": 1.5}), (F.silu, {}),
    (F.softmax, {"dim": 0}), (F.log_softmax, {"dim": 1}),
]


@pytest.mark.parametrize("fn,kwargs", FUNCTIONS, ids=[f.__name__ + str(k) for f, k in FUNCTIONS])
def test_gradcheck_activation(fn, kwargs):
    x = RNG.standard_normal((3, 4)) * 2
    x[np.abs(x) < 1e-2] = 0.5  # keep finite differences away from kinks
    assert g.gradcheck(lambda t: fn(t, **kwargs), (g.tensor(x, requires_grad=True),))


def test_gradcheck_prelu_input_and_weight():
    x = RNG.standard_normal((2, 3, 4))
    x[np.abs(x) < 1e-2] = 0.5
    w = g.tensor(np.array([0.1, -0.3, 0.5]), requires_grad=True)
    assert g.gradcheck(F.prelu, (g.tensor(x, requires_grad=True), w))


def test_activation_errors():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="fast")
    with pytest.raises(ValueError, match=r"prelu: weight has 3 parameters.*\(2, 4\)"):
        nn.PReLU(3)(g.randn(2, 4))
    with pytest.raises(ValueError, match="softmax: dim 2 is out of range"):
        F.softmax(g.randn(2, 3), dim=2)
    with pytest.raises(TypeError, match="floating point"):
        nn.ReLU()(g.tensor([1, 2]))


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
def test_blocked_float32_gelu_matches_exact_erf_across_blocks(grad):
    """float32 GELU runs block by block: check sizes that end mid-block, a non-contiguous input, and both paths."""
    from gradiente.ops.activation import _BLOCK
    x64 = RNG.standard_normal((3, _BLOCK + 77)) * 4
    x64[0, :4] = [0.0, -0.0, 40.0, -40.0]
    x = x64.astype(np.float32).T  # non-contiguous
    exact = F.gelu(g.tensor(x.astype(np.float64))).numpy()  # float64 uses math.erf, correctly rounded
    a = g.tensor(x, requires_grad=grad)
    with g.set_grad_enabled(grad):
        y = F.gelu(a)
    assert y.dtype == g.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.detach().numpy(), exact, rtol=2e-6, atol=1e-6)
    if grad:
        xd = g.tensor(x.astype(np.float64), requires_grad=True)
        F.gelu(xd).sum().backward()
        y.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), xd.grad.numpy(), rtol=2e-6, atol=1e-6)


def test_relu_large_input_keeps_nan_and_infinities_and_saves_no_mask_without_grad():
    x = RNG.standard_normal(200_003).astype(np.float32)
    x[:4] = [np.nan, -np.inf, np.inf, -0.0]
    with g.no_grad():
        y = F.relu(g.tensor(x)).numpy()
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert np.isnan(y[0]) and y[1] == 0 and y[2] == np.inf
    from gradiente.ops.activation import ReLU
    fn = ReLU()
    fn.needs_input_grad = (False,)
    fn.forward(x)
    assert not hasattr(fn, "mask")
