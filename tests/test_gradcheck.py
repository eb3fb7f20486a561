"""``gradiente.gradcheck``: finite differences in float64 must catch a wrong backward (seed 002 §3.6)."""
import numpy as np
import pytest

import gradiente as g
from gradiente.autograd import Function


class WrongSquare(Function):
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return grad * self.a  # should be 2 a


class TwoOutputs(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b, a + b

    def backward(self, g1, g2):
        return g1 * self.b + g2, g1 * self.a + g2


def _x(*shape):
    return g.randn(*shape, dtype=g.float64, requires_grad=True)


def test_passes_for_correct_gradients():
    assert g.gradcheck(lambda a, b: (a @ b).tanh().sum(dim=0), (_x(3, 4), _x(4, 2)))
    assert g.gradcheck(lambda a, b: TwoOutputs.apply(a, b), (_x(3), _x(3)))
    assert g.gradcheck(lambda a: a.exp().sum(), _x(5), fast_mode=True)


@pytest.mark.parametrize("fast", [False, True])
def test_catches_wrong_gradient(fast):
    with pytest.raises(g.GradcheckError, match="input 0"):
        g.gradcheck(lambda a: WrongSquare.apply(a), (_x(4),), fast_mode=fast)
    assert g.gradcheck(lambda a: WrongSquare.apply(a), (_x(4),), fast_mode=fast, raise_exception=False) is False


def test_only_inputs_requiring_grad_are_checked_and_constants_pass_through():
    c = g.randn(3, dtype=g.float64)
    assert g.gradcheck(lambda a, k, s: a * k * s, (_x(3), c, 2.0))


def test_input_errors():
    with pytest.raises(TypeError, match="float64"):
        g.gradcheck(lambda a: a * 2, (g.randn(3, requires_grad=True),))
    with pytest.raises(ValueError, match="no input has requires_grad"):
        g.gradcheck(lambda a: a * 2, (g.randn(3, dtype=g.float64),))
    with pytest.raises(g.GradcheckError, match="no output requires grad"):
        g.gradcheck(lambda a: a.detach() * 2, (_x(3),))


def test_leaves_inputs_unchanged():
    x = _x(2, 3)
    before = x.numpy().copy()
    g.gradcheck(lambda a: (a ** 3).sum(), (x,))
    np.testing.assert_array_equal(x.numpy(), before)


def test_keeps_existing_grad():
    x = _x(3)
    (x * 2).sum().backward()
    g.gradcheck(lambda a: (a * a).sum(), (x,))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
