"""nn.Conv*/Pool*/Upsample modules: PyTorch shapes, init, state_dict exchange, outputs and gradients."""
import math

import numpy as np
import pytest

import gradiente as g
from gradiente import nn


def _load_from_torch(ours, theirs):
    ours.load_state_dict({k: g.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


MODULES = [
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 11)),
    ("Conv2d", (3, 6, (3, 2)), {"stride": (2, 1), "padding": "same" if False else 1, "groups": 3}, (2, 3, 7, 6)),
    ("Conv2d", (2, 4, 3), {"padding": "same", "dilation": 2, "bias": False}, (2, 2, 7, 7)),
    ("ConvTranspose1d", (4, 2, 4), {"stride": 2, "padding": 1}, (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (2, 4, 4, 5)),
]


@pytest.mark.parametrize("name,args,kw,xshape", MODULES)
def test_conv_module_matches_torch(name, args, kw, xshape):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(*args, **kw)
    gm = getattr(nn, name)(*args, **kw)
    assert [k for k in gm.state_dict()] == [k for k in tm.state_dict()]
    for (k, a), b in zip(gm.state_dict().items(), tm.state_dict().values()):
        assert tuple(a.shape) == tuple(b.shape), k
    _load_from_torch(gm, tm)
    x = np.random.default_rng(0).standard_normal(xshape).astype(np.float32)
    xg, xt = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = gm(xg), tm(xt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-3)
    assert repr(gm).startswith(name)


def test_conv_default_init_bounds():
    g.manual_seed(0)
    m = nn.Conv2d(8, 16, 3)
    bound = 1 / math.sqrt(8 * 9)
    w, b = m.weight.numpy(), m.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    t = nn.ConvTranspose2d(8, 4, 3, groups=2)
    assert tuple(t.weight.shape) == (8, 2, 3, 3)
    assert np.abs(t.bias.numpy()).max() <= 1 / math.sqrt(2 * 9)


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = g.randn(1, 3, 4, 4)
    assert tuple(m(x).shape) == (1, 2, 7, 7)
    assert tuple(m(x, output_size=(8, 8)).shape) == (1, 2, 8, 8)
    with pytest.raises(ValueError, match="output_size"):
        m(x, output_size=(10, 10))


@pytest.mark.parametrize("mod,xshape", [
    (lambda: nn.MaxPool2d(3, 2, 1), (2, 3, 7, 8)),
    (lambda: nn.MaxPool1d(2), (2, 3, 9)),
    (lambda: nn.AvgPool2d(2, ceil_mode=True), (2, 3, 7, 7)),
    (lambda: nn.AvgPool1d(3, 1, 1, count_include_pad=False), (2, 3, 9)),
    (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    (lambda: nn.AdaptiveAvgPool1d(3), (2, 3, 8)),
    (lambda: nn.Upsample(scale_factor=2), (2, 3, 3, 4)),
    (lambda: nn.UpsamplingNearest2d(size=(5, 7)), (2, 3, 3, 4)),
])
def test_pool_modules_match_torch(mod, xshape):
    torch = pytest.importorskip("torch")
    gm = mod()
    tm = getattr(torch.nn, type(gm).__name__)(**{k: v for k, v in vars(gm).items() if k in (
        "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "output_size", "scale_factor", "size")})
    x = np.random.default_rng(1).standard_normal(xshape).astype(np.float32)
    xg, xt = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = gm(xg), tm(xt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert gm.state_dict() == {} or len(gm.state_dict()) == 0


@pytest.mark.parametrize("build,match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.Conv2d(0, 4, 3), "in_channels must be a positive int"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), "not supported for strided"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), "padding must be"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="symmetric"), "padding_mode"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), "tuple of 2 ints"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding="same"), "padding must be an int"),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), "nearest"),
])
def test_conv_module_construction_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_conv_module_wrong_channels_names_the_layer():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4\): expected input \(N, C, H, W\) with C=3"):
        nn.Conv2d(3, 4, 3)(g.randn(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"Conv1d\(2, 4\)"):
        nn.Conv1d(2, 4, 3)(g.randn(1, 3, 5))


def test_conv_module_checks_size_and_dtype_like_the_functional_form():
    m = nn.Conv2d(1, 2, 5)
    with pytest.raises(ValueError, match="smaller than the"):
        m(g.randn(1, 1, 3, 3))
    with pytest.raises(TypeError, match="dtype"):
        m(g.randn(1, 1, 8, 8, dtype=g.float64))
    assert tuple(m(g.randn(1, 8, 8)).shape) == (2, 4, 4)  # unbatched goes through the functional form
    same = nn.Conv1d(2, 3, 4, padding="same", dilation=2)
    assert tuple(same(g.randn(2, 2, 9)).shape) == (2, 3, 9)
