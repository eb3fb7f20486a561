"""A ReLU followed by a max pool in a Sequential runs as one node (pool, then rectify): same values and
gradients as the two layers one after the other, and as PyTorch."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente import nn
from gradiente.ops.pool import max_pool

POOLS = [
    (nn.MaxPool2d, (2,), {}, (3, 4, 8, 8)),
    (nn.MaxPool2d, (3,), {"stride": 2, "padding": 1}, (2, 3, 7, 9)),
    (nn.MaxPool2d, ((3, 2),), {"stride": (2, 1), "dilation": (1, 2), "ceil_mode": True}, (2, 3, 7, 8)),
    (nn.MaxPool1d, (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 9)),
    (nn.MaxPool3d, (2,), {}, (2, 2, 4, 4, 6)),
]


def _pair(x, pool_cls, args, kw, fused, requires_grad=True):
    """Output and input gradient of relu then pool: as one Sequential (fused) or as two module calls."""
    xg = g.tensor(x, requires_grad=requires_grad)
    relu, pool = nn.ReLU(), pool_cls(*args, **kw)
    y = nn.Sequential(relu, pool)(xg) if fused else pool(relu(xg))
    if not requires_grad:
        return y.numpy(), None
    gy = np.random.default_rng(5).standard_normal(tuple(y.shape)).astype(x.dtype)
    y.backward(g.tensor(gy))
    return y.numpy(), xg.grad.numpy()


def _with_ties(shape, rng):
    """Random values, a third of them zeros or repeated maxima: the cases where ReLU and max pooling meet."""
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::3] = 0.0
    x.reshape(-1)[1::7] = 1.5
    return x


@pytest.mark.parametrize("pool_cls,args,kw,shape", POOLS)
def test_fused_relu_max_pool_equals_the_two_layers(pool_cls, args, kw, shape):
    x = _with_ties(shape, np.random.default_rng(0))
    y, gx = _pair(x, pool_cls, args, kw, fused=True)
    y_ref, gx_ref = _pair(x, pool_cls, args, kw, fused=False)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(gx, gx_ref)
    assert (y >= 0).all()


def test_sequential_fuses_relu_and_max_pool_into_one_node():
    x = g.tensor(np.random.default_rng(1).standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x)
    assert y.grad_fn.name == "MaxPoolNd"
    assert y.grad_fn.inputs[0] is x
    unfused = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))(x)
    assert unfused[0].grad_fn.inputs[0].grad_fn.name == "ReLU"


@pytest.mark.parametrize("pool_cls,args,kw,shape", POOLS)
def test_fused_relu_max_pool_matches_torch(pool_cls, args, kw, shape):
    torch = pytest.importorskip("torch")
    x = _with_ties(shape, np.random.default_rng(2))
    y, gx = _pair(x, pool_cls, args, kw, fused=True)
    tpool = getattr(torch.nn, pool_cls.__name__)(*args, **kw)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.Sequential(torch.nn.ReLU(), tpool)(xt)
    gy = np.random.default_rng(5).standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(gy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-6, atol=1e-7)  # overlapping windows: sum order


def test_fused_relu_max_pool_without_grad_and_on_conv_output():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 12, 12)).astype(np.float32)
    y, _ = _pair(x, nn.MaxPool2d, (2,), {}, fused=True, requires_grad=False)
    np.testing.assert_array_equal(y, _pair(x, nn.MaxPool2d, (2,), {}, fused=False, requires_grad=False)[0])
    # a convolution's output is a permuted view; the fused node reads it in its own memory order
    g.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1)
    xg = g.tensor(x, requires_grad=True)
    out = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))(xg)
    out.sum().backward()
    grads = [xg.grad.numpy().copy(), conv.weight.grad.numpy().copy()]
    xg.grad, conv.weight.grad, conv.bias.grad = None, None, None
    ref = F.max_pool2d(F.relu(conv(xg)), 2)
    ref.sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads[0], xg.grad.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads[1], conv.weight.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_fused_relu_max_pool_nan_passes_no_gradient():
    x = np.array([[[[np.nan, 1.0], [2.0, -1.0]], [[-1.0, -2.0], [-3.0, -4.0]]]], dtype=np.float32)
    xg = g.tensor(x, requires_grad=True)
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(xg)
    assert np.isnan(y.numpy()[0, 0, 0, 0]) and y.numpy()[0, 1, 0, 0] == 0.0
    y.sum().backward()
    assert not xg.grad.numpy()[0, 0, 0, 0] and (xg.grad.numpy()[0, 1] == 0).all()


def test_fused_relu_max_pool_gradcheck_and_second_order():
    x = g.tensor(np.random.default_rng(4).standard_normal((2, 2, 5, 5)), requires_grad=True)
    seq = nn.Sequential(nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
    assert g.gradcheck(seq, (x,))
    # create_graph: the gradient is linear in the output gradient, and zero where the rectifier cut
    (gx,) = g.autograd.grad(seq(x).pow(2).sum(), x, create_graph=True)
    (ggx,) = g.autograd.grad(gx.sum(), x)
    xr = g.tensor(x.numpy(), requires_grad=True)
    (gr,) = g.autograd.grad(F.max_pool2d(F.relu(xr), 3, 2, 1).pow(2).sum(), xr, create_graph=True)
    (ggr,) = g.autograd.grad(gr.sum(), xr)
    np.testing.assert_allclose(gx.numpy(), gr.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ggx.numpy(), ggr.numpy(), rtol=1e-12)


def test_trailing_relu_and_other_followers_still_run():
    x = g.tensor(np.random.default_rng(6).standard_normal((2, 3, 4, 4)).astype(np.float32))
    np.testing.assert_array_equal(nn.Sequential(nn.ReLU())(x).numpy(), np.maximum(x.numpy(), 0))
    y = nn.Sequential(nn.ReLU(), nn.AvgPool2d(2))(x)
    np.testing.assert_allclose(y.numpy(), F.avg_pool2d(F.relu(x), 2).numpy(), rtol=1e-6)
    y = nn.Sequential(nn.ReLU(), nn.ReLU(), nn.MaxPool2d(2))(x)
    np.testing.assert_array_equal(y.numpy(), F.max_pool2d(F.relu(x), 2).numpy())


def test_fused_relu_max_pool_errors_name_the_layer():
    with pytest.raises(TypeError, match="ReLU: expected a Tensor"):
        nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="max_pool2d: expected a 3-D or 4-D input"):
        nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(g.zeros(4, 4))
    with pytest.raises(ValueError, match="return_indices cannot be combined with relu=True"):
        max_pool(g.zeros(1, 1, 4, 4), 2, return_indices=True, relu=True)
