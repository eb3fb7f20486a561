"""Convolution kernels: parity with PyTorch over a grid of geometries, float64 gradchecks, errors."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente.ops.conv import col2im, im2col

# (input shape, weight shape, kwargs): kernel sizes, strides, paddings (incl. 'same'), dilations, groups, odd sizes
CONV2D_CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    ((2, 3, 8, 9), (5, 3, 3, 2), {"stride": 2, "padding": 1}),
    ((1, 4, 9, 8), (6, 2, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    ((2, 3, 7, 7), (4, 3, 3, 3), {"padding": "same", "dilation": 2}),
    ((2, 3, 7, 6), (4, 3, 2, 4), {"padding": "same"}),
    ((2, 2, 6, 6), (3, 2, 1, 1), {"padding": "valid", "stride": 3}),
    ((2, 4, 5, 5), (4, 1, 3, 3), {"padding": 1, "groups": 4}),
    ((3, 1, 11, 5), (2, 1, 5, 5), {"padding": 2, "stride": (3, 2)}),
    # more channels than output columns: the channel-last scatter of the input gradient
    ((2, 8, 9, 7), (6, 4, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ((2, 6, 6, 6), (4, 6, 4, 4), {"stride": 2, "padding": 1, "dilation": (1, 2)}),
    # stride 1 with at least 16 output channels: flat windows in training too (forward and both gradients)
    ((2, 3, 7, 16), (16, 3, 3, 3), {"padding": 1}),
    ((2, 16, 9, 17), (16, 16, 5, 1), {"padding": "same", "dilation": (2, 1)}),
    ((3, 4, 6, 17), (17, 4, 3, 2), {}),
    ((2, 20, 6, 18), (16, 20, 3, 3), {"padding": 1}),  # C_in > C_out: the input gradient on flat windows
    ((2, 4, 7, 17), (16, 4, 3, 1), {"padding": (2, 0), "dilation": (2, 1)}),  # one kernel column: no shifts
]
CONV1D_CASES = [
    ((2, 3, 11), (4, 3, 3), {"stride": 2, "padding": 1}),
    ((2, 4, 10), (6, 2, 4), {"dilation": 2, "groups": 2}),
    ((1, 2, 9), (3, 2, 4), {"padding": "same"}),
    ((2, 4, 13), (4, 2, 3), {"stride": 3, "padding": 2, "dilation": 2, "groups": 2}),
    ((2, 3, 30), (16, 3, 3), {"padding": 2, "dilation": 2}),
]
CONV3D_CASES = [((1, 2, 4, 5, 18), (16, 2, 3, 2, 3), {"padding": 1})]
CONVT2D_CASES = [
    ((2, 4, 5, 4), (4, 3, 3, 3), {}),
    ((2, 4, 5, 4), (4, 3, 3, 2), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2), "groups": 2}),
    ((2, 4, 5, 4), (4, 3, 3, 3), {"stride": 2, "padding": 2, "output_padding": 1, "dilation": 2}),
    ((2, 4, 3, 3), (4, 3, 3, 3), {"stride": 3, "output_padding": 2}),
    ((2, 8, 4, 4), (8, 4, 4, 4), {"stride": 2, "padding": 1}),
    ((2, 4, 3, 3), (4, 8, 4, 4), {"stride": 2, "padding": 1}),
    ((2, 4, 2, 3), (4, 5, 3, 2), {"stride": (1, 2), "padding": (1, 0), "dilation": 2, "groups": 2}),
]
CONVT1D_CASES = [((2, 4, 5), (4, 3, 4), {"stride": 2, "padding": 1})]

TABLE = (
    [("conv2d", *c) for c in CONV2D_CASES] + [("conv1d", *c) for c in CONV1D_CASES]
    + [("conv3d", *c) for c in CONV3D_CASES]
    + [("conv_transpose2d", *c) for c in CONVT2D_CASES] + [("conv_transpose1d", *c) for c in CONVT1D_CASES]
)


def _bias_size(name, wshape, kw):
    return wshape[1] * kw.get("groups", 1) if "transpose" in name else wshape[0]


@pytest.mark.parametrize("name,xshape,wshape,kw", TABLE)
def test_conv_matches_torch(name, xshape, wshape, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(_bias_size(name, wshape, kw)).astype(np.float32)
    xg, wg, bg = (g.tensor(a, requires_grad=True) for a in (x, w, b))
    y = getattr(F, name)(xg, wg, bg, **kw)
    gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(g.tensor(gy))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = getattr(torch.nn.functional, name)(xt, wt, bt, **kw)
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((xg, xt), (wg, wt), (bg, bt)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-4)
    assert y.dtype == np.float32 and xg.grad.dtype == np.float32


@pytest.mark.parametrize("name,xshape,wshape,kw", TABLE[::2])
def test_conv_gradcheck(name, xshape, wshape, kw):
    rng = np.random.default_rng(2)
    x = g.tensor(rng.standard_normal(xshape), requires_grad=True)
    w = g.tensor(rng.standard_normal(wshape), requires_grad=True)
    b = g.tensor(rng.standard_normal(_bias_size(name, wshape, kw)), requires_grad=True)
    fn = getattr(F, name)
    assert g.gradcheck(lambda a, c, d: fn(a, c, d, **kw), (x, w, b), fast_mode=True)


def test_conv2d_full_gradcheck_small():
    rng = np.random.default_rng(3)
    x = g.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    w = g.tensor(rng.standard_normal((2, 1, 2, 3)), requires_grad=True)
    b = g.tensor(rng.standard_normal(2), requires_grad=True)
    assert g.gradcheck(lambda a, c, d: F.conv2d(a, c, d, stride=(1, 2), padding=1, groups=2), (x, w, b))
    wt = g.tensor(rng.standard_normal((2, 1, 2, 3)), requires_grad=True)
    assert g.gradcheck(lambda a, c: F.conv_transpose2d(a, c, stride=2, padding=1, output_padding=1), (x, wt))


@pytest.mark.parametrize("need_w", [True, False])
def test_im2col_bias_row_of_ones(need_w):
    """One group with a bias on the im2col path: the bias is the product's row of ones, and its
    gradient the last row of the weight gradient's product (or a sum when no weight gradient is needed)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((3, 1, 12, 11), (6, 1, 5, 5), (6,)))
    gy = rng.standard_normal((3, 6, 5, 5)).astype(np.float32)
    xg, wg, bg = g.tensor(x, requires_grad=True), g.tensor(w, requires_grad=need_w), g.tensor(b, requires_grad=True)
    y = F.conv2d(xg, wg, bg, stride=2, padding=1)
    assert y.grad_fn.ones and not y.grad_fn.flat and not y.grad_fn.rows
    y.backward(g.tensor(gy))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.conv2d(xt, wt, bt, stride=2, padding=1).backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), torch.nn.functional.conv2d(xt, wt, bt, stride=2, padding=1).detach().numpy(),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bg.grad.numpy(), bt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    if need_w:
        np.testing.assert_allclose(wg.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    x64, w64, b64 = (g.tensor(a.astype(np.float64), requires_grad=True) for a in (x[:1], w, b))
    assert g.gradcheck(lambda a, c, d: F.conv2d(a, c, d, stride=2, padding=1), (x64, w64, b64), fast_mode=True)


def test_conv_without_bias_and_unbatched_input():
    rng = np.random.default_rng(4)
    x = g.tensor(rng.standard_normal((3, 6, 6)).astype(np.float32))
    w = g.tensor(rng.standard_normal((2, 3, 3, 3)).astype(np.float32))
    y = F.conv2d(x, w)
    assert tuple(y.shape) == (2, 4, 4)
    yb = F.conv2d(x.unsqueeze(0), w)
    np.testing.assert_allclose(y.numpy(), yb.numpy()[0])


def test_conv_equals_sum_definition():
    """The kernel computes the sum of seed 000 §5 (checked with explicit loops on a tiny case)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    y = F.conv2d(g.tensor(x), g.tensor(w), stride=2).numpy()
    ref = np.zeros((1, 3, 2, 2))
    for o in range(3):
        for i in range(2):
            for j in range(2):
                ref[0, o, i, j] = (w[o] * x[0, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]).sum()
    np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_im2col_col2im_are_adjoint():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 7, 6))
    kernel, stride, dil, out = (3, 2), (2, 1), (1, 2), (3, 4)
    col = im2col(x, kernel, stride, dil, out)
    c = rng.standard_normal(col.shape)
    back = col2im(c.reshape((3,) + kernel + (2,) + out), x.shape, kernel, stride, dil, out)
    assert np.isclose((col * c).sum(), (x * back).sum())


@pytest.mark.parametrize("seed", range(12))
def test_conv_transpose_is_the_adjoint_of_conv(seed):
    """<conv(x, w), y> = <x, conv_transpose(y, w)> for random geometries (seed 002 §4.9)."""
    rng = np.random.default_rng(100 + seed)
    nd = int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    s = tuple(int(v) for v in rng.integers(1, 4, nd))
    d = tuple(int(v) for v in rng.integers(1, 3, nd))
    p = tuple(int(rng.integers(0, kk)) for kk in k)
    groups = int(rng.choice([1, 2]))
    size = tuple(int(rng.integers(d[i] * (k[i] - 1) + 1, 12)) for i in range(nd))
    x = rng.standard_normal((2, 2 * groups) + size)
    w = rng.standard_normal((3 * groups, 2) + k)
    conv = F.conv1d if nd == 1 else F.conv2d
    convt = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
    z = conv(g.tensor(x), g.tensor(w), stride=s, padding=p, dilation=d, groups=groups).numpy()
    op = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) % s[i] for i in range(nd))
    y = rng.standard_normal(z.shape)
    xt = convt(g.tensor(y), g.tensor(w), stride=s, padding=p, output_padding=op, groups=groups, dilation=d).numpy()
    assert xt.shape == x.shape
    np.testing.assert_allclose((z * y).sum(), (x * xt).sum(), rtol=1e-10)


def test_conv_fixture_without_torch():
    data = np.load(__file__.rsplit("/", 1)[0] + "/fixtures/conv_reference.npz")
    for key in ("conv2d", "conv_transpose2d", "conv1d"):
        x, w, b = data[f"{key}_x"], data[f"{key}_w"], data[f"{key}_b"]
        kw = {"stride": 2, "padding": 1}
        if key == "conv_transpose2d":
            kw["output_padding"] = 1
        xg, wg = g.tensor(x, requires_grad=True), g.tensor(w, requires_grad=True)
        y = getattr(F, key)(xg, wg, g.tensor(b), **kw)
        np.testing.assert_allclose(y.numpy(), data[f"{key}_y"], rtol=1e-5, atol=1e-5)
        y.sum().backward()
        np.testing.assert_allclose(xg.grad.numpy(), data[f"{key}_gx"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(wg.grad.numpy(), data[f"{key}_gw"], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("call,match", [
    (lambda x, w: F.conv2d(x, w[:, :2]), "expects input with 2 channels"),
    (lambda x, w: F.conv2d(x[0, 0], w), "expected a batched input of 4 dims"),
    (lambda x, w: F.conv2d(x, w, stride=0), "stride and dilation must be positive"),
    (lambda x, w: F.conv2d(x, w, padding="same", stride=2), "not supported for strided"),
    (lambda x, w: F.conv2d(x, w, padding="full"), "padding must be"),
    (lambda x, w: F.conv2d(x, w, padding=-1), "non-negative"),
    (lambda x, w: F.conv2d(x, w, groups=2), "divisible by groups"),
    (lambda x, w: F.conv2d(x, w, bias=g.zeros(3)), "bias must have shape"),
    (lambda x, w: F.conv2d(x[:, :, :2, :2], w), "smaller than the"),
    (lambda x, w: F.conv2d(x, w, stride=(1, 1, 1)), "tuple of 2 ints"),
    (lambda x, w: F.conv_transpose2d(x, w.permute(1, 0, 2, 3), stride=2, output_padding=2), "output_padding"),
    (lambda x, w: F.conv_transpose2d(x, w), "expects input with 4 channels"),
])
def test_conv_errors(call, match):
    x = g.randn(2, 3, 6, 6)
    w = g.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=match):
        call(x, w)


def test_conv_dtype_mismatch_is_a_type_error():
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(g.randn(1, 1, 4, 4), g.randn(1, 1, 2, 2, dtype=g.float64))


@pytest.mark.parametrize("xshape,wshape,kw", [((2, 3, 6, 16), (16, 3, 3, 3), {"padding": 1}),
                                               ((2, 2, 50), (16, 2, 4), {"padding": "same", "dilation": 2})])
def test_flat_training_path_gradcheck(xshape, wshape, kw):
    """Stride 1 and 16 output channels: the flat-window forward, weight gradient and input gradient."""
    rng = np.random.default_rng(5)
    x = g.tensor(rng.standard_normal(xshape), requires_grad=True)
    w = g.tensor(rng.standard_normal(wshape), requires_grad=True)
    b = g.tensor(rng.standard_normal(wshape[0]), requires_grad=True)
    fn = F.conv2d if len(xshape) == 4 else F.conv1d
    y = fn(x, w, b, **kw)
    assert y.grad_fn.flat
    assert g.gradcheck(lambda a, c, d: fn(a, c, d, **kw), (x, w, b))


@pytest.mark.parametrize("name,xshape,wshape,kw", [(n, x, w, k) for n, x, w, k in TABLE if n.startswith("conv")
                                                   and not n.startswith("conv_t") and w[0] >= 16])
def test_flat_training_cases_take_the_flat_path(name, xshape, wshape, kw):
    x = g.tensor(np.ones(xshape, np.float32), requires_grad=True)
    fn = getattr(F, name)(x, g.tensor(np.ones(wshape, np.float32)), **kw).grad_fn
    assert fn.flat
    # the input gradient: W^T g scattered into flat planes when C_in < C_out, else a flat-window convolution
    assert fn.scatter == (wshape[1] < wshape[0])


@pytest.mark.parametrize("name,xshape,wshape,kw", [
    ("conv3d", (1, 2, 3, 4, 9), (16, 2, 2, 3, 2), {"padding": 1}),
    ("conv2d", (1, 17, 4, 12), (16, 17, 3, 2), {"padding": (1, 2), "dilation": (1, 2)}),
])
def test_flat_training_input_gradients_gradcheck(name, xshape, wshape, kw):
    """Both input gradients of the flat-window path (scatter for C_in < C_out, flat windows otherwise)."""
    rng = np.random.default_rng(6)
    x = g.tensor(rng.standard_normal(xshape), requires_grad=True)
    w = g.tensor(rng.standard_normal(wshape))
    y = getattr(F, name)(x, w, **kw)
    assert y.grad_fn.flat and y.grad_fn.scatter == (wshape[1] < wshape[0])
    assert g.gradcheck(lambda a: getattr(F, name)(a, w, **kw), (x,))


@pytest.mark.parametrize("name,xshape,wshape,kw", [
    ("conv2d", (3, 1, 28, 28), (6, 1, 5, 5), {"padding": 2}),  # LeNet-5's first layer
    ("conv1d", (2, 2, 40), (2, 2, 5), {"padding": "same"}),
    ("conv3d", (1, 1, 4, 5, 18), (3, 1, 2, 3, 3), {"padding": 1}),
    ("conv2d", (2, 3, 13, 12), (4, 3, 3, 3), {"stride": (2, 3), "padding": 1, "dilation": (1, 2)}),
])
def test_first_layer_bands_path_matches_torch(name, xshape, wshape, kw):
    """No input gradient and im2col columns 4+ times the output: bands of columns with the images
    innermost, rebuilt for the weight gradient, whose product also yields the bias gradient."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (xshape, wshape, wshape[:1]))
    wg, bg = g.tensor(w, requires_grad=True), g.tensor(b, requires_grad=True)
    y = getattr(F, name)(g.tensor(x), wg, bg, **kw)
    assert y.grad_fn.bands
    gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(g.tensor(gy))
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(torch.tensor(x), wt, bt, **kw)
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(wg.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(bg.grad.numpy(), bt.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_first_layer_bands_path_gradcheck():
    rng = np.random.default_rng(9)
    x = g.tensor(rng.standard_normal((2, 1, 9, 16)))
    w = g.tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    b = g.tensor(rng.standard_normal(2), requires_grad=True)
    assert F.conv2d(x, w, b, padding=1).grad_fn.bands
    assert g.gradcheck(lambda c, d: F.conv2d(x, c, d, padding=1), (w, b))
    assert F.conv2d(x, w, b, stride=2, dilation=(2, 1)).grad_fn.bands
    assert g.gradcheck(lambda c, d: F.conv2d(x, c, d, stride=2, dilation=(2, 1)), (w, b))
    assert g.gradcheck(lambda c: F.conv2d(x, c, stride=(1, 2)), (w,))


@pytest.mark.parametrize("name,xshape,wshape,kw", [c for c in TABLE if "transpose" not in c[0]])
@pytest.mark.parametrize("images_last", [False, True])
def test_inference_paths_equal_the_training_forward(name, xshape, wshape, kw, images_last):
    """Without a graph the convolutions take their own paths (flat windows, per-kernel-row chunks, bands of
    columns for every layer whose im2col is 4+ times its output); their values are the training forward's,
    which the torch parity above checks, also on an input laid out with the images innermost."""
    rng = np.random.default_rng(11)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (xshape, wshape, wshape[:1]))
    if images_last:
        x = np.ascontiguousarray(np.moveaxis(x, 0, -1))
        x = np.moveaxis(x, -1, 0)
    fn = getattr(F, name)
    train = fn(g.tensor(x), g.tensor(w, requires_grad=True), g.tensor(b), **kw)
    with g.no_grad():
        infer = fn(g.tensor(x), g.tensor(w), g.tensor(b), **kw)
    np.testing.assert_allclose(infer.numpy(), train.numpy(), rtol=1e-5, atol=1e-5)
