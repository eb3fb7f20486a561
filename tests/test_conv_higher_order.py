"""Higher-order gradients through convolution, transposed convolution and pooling against PyTorch: a
WGAN-GP gradient penalty through a conv critic, second derivatives over stride, padding, dilation and
groups, and a float64 gradcheck of a gradient function (seed 002 §2.6, §3.6, §4.2, §4.9)."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from test_autograd_higher_order import assert_wgan_gp_step_matches_pytorch

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def _second_order(op, x, w, b, kwargs, seed=1):
    """f, grad f (create_graph) and the gradient of <grad f, v> agree with PyTorch for x, w and b."""
    rng = _rng(seed)
    arrays = [a for a in (x, w, b) if a is not None]
    gx = [g.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]

    def run(lib, fn, grad, ts):
        out = getattr(fn, op)(ts[0], ts[1], ts[2] if b is not None else None, **kwargs)
        c = lib.tensor(_rng(seed + 1).standard_normal(tuple(out.shape)))
        first = grad(((out * c) ** 2).sum(), ts, create_graph=True)
        dot = sum((d * lib.tensor(v)).sum() for d, v in zip(first, vs))
        return [out] + list(first) + list(grad(dot, ts))

    vs = [rng.standard_normal(a.shape) for a in arrays]
    for a, t in zip(run(g, F, g.autograd.grad, gx), run(torch, TF, torch.autograd.grad, tx)):
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-10)


CONV1D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=3, padding=2, dilation=2),
    dict(padding="same", dilation=2),
    dict(stride=2, groups=2),
]


@pytest.mark.parametrize("kwargs", CONV1D, ids=[str(k) for k in CONV1D])
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_second_order(kwargs, bias):
    rng = _rng(2)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((2, 4, 11))
    w = rng.standard_normal((6, 4 // groups, 3))
    _second_order("conv1d", x, w, rng.standard_normal(6) if bias else None, kwargs)


CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding="same", dilation=(2, 1)),  # asymmetric: 'same' with an even dilated kernel
    dict(stride=2, padding=1, groups=2),
    dict(stride=(1, 3), dilation=2, groups=4),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel lengths")
@pytest.mark.parametrize("kwargs", CONV2D, ids=[str(k) for k in CONV2D])
def test_conv2d_second_order(kwargs):
    rng = _rng(3)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((2, 4, 8, 7))
    w = rng.standard_normal((4, 4 // groups, 3, 2))
    _second_order("conv2d", x, w, rng.standard_normal(4), kwargs)


CONV_T2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 1), dilation=(1, 3), output_padding=(1, 2)),  # output_padding >= stride via dilation
    dict(stride=2, padding=(1, 0), groups=2),
]


@pytest.mark.parametrize("kwargs", CONV_T2D, ids=[str(k) for k in CONV_T2D])
def test_conv_transpose2d_second_order(kwargs):
    rng = _rng(4)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((2, 4, 5, 4))
    w = rng.standard_normal((4, 6 // groups, 3, 2))
    _second_order("conv_transpose2d", x, w, rng.standard_normal(6), kwargs)


def test_conv_transpose1d_second_order():
    rng = _rng(5)
    x = rng.standard_normal((2, 4, 6))
    _second_order("conv_transpose1d", x, rng.standard_normal((4, 3, 3)), rng.standard_normal(3),
                  dict(stride=2, padding=1, output_padding=2, dilation=3))


POOL = [
    ("max_pool2d", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (2, 3, 7, 6), dict(kernel_size=2, dilation=2)),
    ("max_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2)),
    ("avg_pool2d", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 7, 6), dict(kernel_size=(2, 3), stride=1, padding=1)),
    ("avg_pool2d", (2, 3, 6, 6), dict(kernel_size=2, divisor_override=3)),
    ("avg_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, ceil_mode=True)),
]


@pytest.mark.parametrize("op,shape,kwargs", POOL, ids=[f"{p[0]}-{p[2]}" for p in POOL])
def test_pool_second_order(op, shape, kwargs):
    x = _rng(9).standard_normal(shape)
    v = _rng(10).standard_normal(shape)

    def run(lib, fn, grad):
        t = lib.tensor(x, requires_grad=True)
        y = getattr(fn, op)(t, **kwargs)
        c = lib.tensor(_rng(11).standard_normal(tuple(y.shape)))
        (d,) = grad(((y * c) ** 2).sum() + (y * c).tanh().sum(), t, create_graph=True)
        return [y, d, grad((d * lib.tensor(v)).sum() + (d ** 2).sum(), t)[0]]

    for a, b in zip(run(g, F, g.autograd.grad), run(torch, TF, torch.autograd.grad)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10)


def test_wgan_gp_gradient_penalty_through_a_conv_critic_and_one_adam_step_match_pytorch():
    rng = _rng(6)
    arrays = [rng.standard_normal((8, 3, 4, 4)).astype(np.float32) * 0.3,
              rng.standard_normal(8).astype(np.float32) * 0.1,
              rng.standard_normal((1, 8 * 4 * 4)).astype(np.float32) * 0.1,
              rng.standard_normal(1).astype(np.float32) * 0.1]
    real = rng.standard_normal((6, 3, 8, 8)).astype(np.float32)
    fake = (rng.standard_normal((6, 3, 8, 8)) + 0.5).astype(np.float32)
    eps = rng.random((6, 1, 1, 1)).astype(np.float32)

    def critic(fn, params, h):
        h = fn.leaky_relu(fn.conv2d(h, params[0], params[1], stride=2, padding=1), 0.2)
        return fn.linear(h.reshape(h.shape[0], -1), params[2], params[3])

    assert_wgan_gp_step_matches_pytorch(arrays, critic, real, fake, eps)


def test_gradcheck_of_the_gradient_function_through_conv2d():
    w = g.tensor(_rng(7).standard_normal((3, 2, 2, 3)))

    def grad_f(x):
        with g.enable_grad():  # gradcheck evaluates fn under no_grad for its finite differences
            y = F.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2))
            return g.autograd.grad((y.tanh() * y).sum(), x, create_graph=True)[0]
    x = g.tensor(_rng(8).standard_normal((2, 2, 5, 6)), requires_grad=True)
    assert g.gradcheck(grad_f, (x,))
