"""Padding modes (F.pad, the padding layers, Conv padding_mode) and the 3-D convolution and pooling layers:
outputs and gradients against PyTorch, float64 gradchecks of the padding Functions, and the error messages."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.nn import functional as F
from gradiente.ops.padding import CircularPad, ReflectionPad, ReplicationPad

MODES = ["constant", "reflect", "replicate", "circular"]

# (input shape, pad): 1-D, 2-D and 3-D padding, batched and unbatched, asymmetric, with crops (negative sizes)
PAD_CASES = [
    ((2, 3, 7), (2, 1)),
    ((3, 7), (0, 3)),
    ((2, 3, 7), (-2, 3)),
    ((2, 2, 5, 6), (1, 2, 3, 0)),
    ((2, 5, 6), (2, 2, 1, 1)),
    ((2, 2, 5, 6), (-1, 2, 2, -3)),
    ((1, 2, 3, 4, 5), (1, 0, 2, 1, 0, 2)),
]


def _torch_pair(x, torch):
    return g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pad", PAD_CASES)
def test_pad_matches_torch(mode, shape, pad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    xg, xt = _torch_pair(x, torch)
    y, yt = F.pad(xg, pad, mode=mode), torch.nn.functional.pad(xt, pad, mode=mode)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    w = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * g.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_constant_pad_value_and_any_dim():
    torch = pytest.importorskip("torch")
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for pad in [(1, 1, 0, 2, 1, 0), (-1, 0, 1, -1)]:
        np.testing.assert_array_equal(F.pad(g.tensor(x), pad, value=-2.5).numpy(),
                                      torch.nn.functional.pad(torch.tensor(x), pad, value=-2.5).numpy())


@pytest.mark.parametrize("fn", [ReflectionPad, ReplicationPad, CircularPad])
@pytest.mark.parametrize("pads", [((2, 1),), ((1, 0), (0, 3)), ((-1, 2), (2, -1)), ((1, 1), (0, 0), (2, 1))])
def test_padding_function_gradcheck(fn, pads):
    shape = (2, 4, 3, 5)[:1] + (4, 3, 5)[-len(pads):]
    x = g.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert g.gradcheck(lambda a: fn.apply(a, pads=pads), (x,))


def test_pad_reflect_replicate_circular_values():
    x = g.tensor(np.arange(4.0).reshape(1, 1, 4))  # a b c d = 0 1 2 3
    assert F.pad(x, (3, 2), mode="reflect").numpy().ravel().tolist() == [3, 2, 1, 0, 1, 2, 3, 2, 1]
    assert F.pad(x, (3, 2), mode="replicate").numpy().ravel().tolist() == [0, 0, 0, 0, 1, 2, 3, 3, 3]
    assert F.pad(x, (3, 2), mode="circular").numpy().ravel().tolist() == [1, 2, 3, 0, 1, 2, 3, 0, 1]


@pytest.mark.parametrize("shape,pad,mode,kw,error,match", [
    ((2, 3, 5), (1,), "constant", {}, ValueError, "must be divisible by 2"),
    ((2, 5), (1, 1, 1, 1, 1, 1), "constant", {}, ValueError, "padding length 6 and input of dimension 2"),
    ((2, 3, 5), (5, 0), "reflect", {}, ValueError, r"less than the corresponding input dimension.*\(5, 0\)"),
    ((2, 3, 4, 5), (0, 0, 1, 4), "reflect", {}, ValueError, r"padding \(1, 4\) at dimension 2"),
    ((2, 3, 5), (6, 0), "circular", {}, ValueError, "wrapping around more than once"),
    ((2, 3, 5), (-2, -3), "replicate", {}, ValueError, "too small"),
    ((2, 3, 5), (-3, -3), "constant", {}, ValueError, "negative size"),
    ((2, 3, 4, 5), (1, 1), "reflect", {}, NotImplementedError, "padding size 2 is not supported for 4D input"),
    ((5,), (1, 1), "replicate", {}, NotImplementedError, "padding size 2 is not supported for 1D input"),
    ((2, 3, 5), (1, 1), "symmetric", {}, ValueError, "unrecognised padding mode 'symmetric'"),
    ((2, 3, 5), (1, 1), "reflect", {"value": 1.0}, ValueError, "doesn't take in value"),
    ((2, 3, 5), (1.5, 1), "constant", {}, TypeError, "padding sizes must be ints"),
])
def test_pad_errors(shape, pad, mode, kw, error, match):
    with pytest.raises(error, match=match):
        F.pad(g.zeros(*shape), pad, mode=mode, **kw)


PAD_MODULES = [
    ("ZeroPad1d", (2,), (2, 3, 5)), ("ZeroPad2d", ((1, 0, 2, 3),), (2, 4, 5)),
    ("ConstantPad1d", ((0, 2), 1.5), (2, 3, 5)), ("ConstantPad2d", (1, -0.5), (1, 2, 4, 5)),
    ("ReflectionPad1d", ((3, 1),), (2, 3, 5)), ("ReflectionPad2d", ((1, 2, 0, 3),), (1, 2, 4, 5)),
    ("ReplicationPad1d", (2,), (3, 5)), ("ReplicationPad2d", ((2, 0, 1, 1),), (1, 2, 4, 5)),
    ("CircularPad1d", ((1, 4),), (2, 3, 5)), ("CircularPad2d", (2,), (2, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4, 5)), ("ReflectionPad3d", ((1, 0, 2, 1, 0, 2),), (1, 2, 3, 4, 5)),
    ("ReplicationPad3d", (1,), (2, 3, 4, 5)), ("CircularPad3d", ((0, 1, 2, 0, 1, 1),), (1, 2, 3, 4, 5)),
    ("ConstantPad3d", (1, 3.0), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("name,args,shape", PAD_MODULES)
def test_padding_modules_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    gm, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(gm) == repr(tm)
    assert gm.padding == tm.padding and gm.state_dict() == {} and not list(gm.parameters())
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    xg, xt = _torch_pair(x, torch)
    y, yt = gm(xg), tm(xt)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_padding_module_errors():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be an int or a tuple of 4 ints, got \(1, 2\)"):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match=r"CircularPad2d: expected 3D or 4D input \(got 2D input"):
        nn.CircularPad2d(1)(g.zeros(5, 5))


def _load_from_torch(ours, theirs):
    ours.load_state_dict({k: g.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _check_module(name, args, kw, shape, torch, seed=0):
    """Build the layer in both libraries with torch's weights; compare keys, repr, output and all gradients."""
    torch.manual_seed(seed)
    tm, gm = getattr(torch.nn, name)(*args, **kw), getattr(nn, name)(*args, **kw)
    assert list(gm.state_dict()) == list(tm.state_dict())
    _load_from_torch(gm, tm)
    assert repr(gm) == repr(tm)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    xg, xt = _torch_pair(x, torch)
    y, yt = gm(xg), tm(xt)
    assert tuple(y.shape) == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    for pname, p in tm.named_parameters():
        np.testing.assert_allclose(getattr(gm, pname).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-3)


CONV_PADDING = [
    ("Conv1d", (3, 4, 3), {"padding": 2}, (2, 3, 9)),
    ("Conv1d", (3, 4, 4), {"padding": "same", "dilation": 2}, (2, 3, 9)),
    ("Conv1d", (2, 4, 3), {"padding": 1, "stride": 2, "groups": 2, "bias": False}, (3, 2, 8)),
    ("Conv2d", (2, 3, 3), {"padding": 1}, (2, 2, 6, 7)),
    ("Conv2d", (2, 4, (3, 4)), {"padding": "same", "dilation": (1, 2)}, (2, 2, 6, 9)),
    ("Conv2d", (2, 3, (3, 2)), {"padding": (2, 1), "stride": (2, 1), "dilation": (1, 2)}, (2, 2, 7, 6)),
    ("Conv2d", (2, 3, 3), {"padding": 1}, (2, 6, 7)),  # unbatched
]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("name,args,kw,shape", CONV_PADDING)
def test_conv_padding_mode_matches_torch(mode, name, args, kw, shape):
    _check_module(name, args, dict(kw, padding_mode=mode), shape, pytest.importorskip("torch"))


def test_conv_padding_mode_errors():
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate', "
                                         r"'circular', got padding_mode='symmetric'"):
        nn.Conv2d(1, 2, 3, padding_mode="symmetric")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros' is supported for transposed convolutions, got 'reflect'"):
        nn.ConvTranspose2d(1, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding size should be less than"):
        nn.Conv1d(1, 1, 7, padding=3, padding_mode="reflect")(g.zeros(1, 1, 3))


CONV3D = [
    ((2, 4, 3), {}, (2, 2, 5, 6, 5)),
    ((2, 4, (3, 2, 1)), {"stride": (2, 1, 2), "padding": (1, 0, 1)}, (2, 2, 6, 5, 7)),
    ((4, 6, 3), {"dilation": (2, 1, 1), "groups": 2, "padding": 1, "bias": False}, (1, 4, 6, 4, 5)),
    ((2, 3, 2), {"padding": "same", "dilation": 2}, (2, 2, 5, 4, 4)),
    ((3, 2, 3), {"padding": 1, "padding_mode": "circular", "stride": 2}, (2, 3, 4, 5, 4)),
    ((3, 2, 3), {"padding": (1, 0, 2), "padding_mode": "reflect"}, (3, 4, 5, 4)),  # unbatched
]


@pytest.mark.parametrize("args,kw,shape", CONV3D)
def test_conv3d_matches_torch(args, kw, shape):
    _check_module("Conv3d", args, kw, shape, pytest.importorskip("torch"))


def test_conv3d_functional_and_transpose_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(2, 4, 5, 4, 6), (6, 2, 2, 3, 2), (6,)])
    args = dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2)
    ours = F.conv3d(g.tensor(x), g.tensor(w), g.tensor(b), **args)
    theirs = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
    _check_module("ConvTranspose3d", (4, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
                  (2, 4, 3, 2, 3), torch)


@pytest.mark.parametrize("name,args,kw", [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", ((3, 2, 2),), {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1)}),
    ("MaxPool3d", (3,), {"stride": 2, "ceil_mode": True}),
    ("AvgPool3d", (2,), {}),
    ("AvgPool3d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False, "ceil_mode": True}),
    ("AvgPool3d", ((2, 3, 2),), {"divisor_override": 5}),
    ("AdaptiveAvgPool3d", ((2, 3, 1),), {}),
])
def test_pool3d_matches_torch(name, args, kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 7, 5)).astype(np.float32)
    gm, tm = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    xg, xt = _torch_pair(x, torch)
    y, yt = gm(xg), tm(xt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_max_pool3d_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((1, 2, 4, 5, 6)).astype(np.float32)
    _, idx = F.max_pool3d(g.tensor(x), 2, return_indices=True)
    _, tidx = torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
