"""Elementwise primitives with broadcasting (seed 002 §2.4, tensors).

Each backward is the textbook local derivative, summed back over the
broadcast dimensions by :func:`unbroadcast`; each ``backward_graph`` is the same
derivative written with tensor operations (``create_graph=True``), summed back by
:func:`sum_to`.
"""
import math as _math

from ..autograd import Function, constant, sum_to, unbroadcast
from ..backend import xp


def _shape(a):
    return a.shape if hasattr(a, "shape") else ()


class Add(Function):
    """d(a + b)/da = 1, d(a + b)/db = 1."""

    def forward(self, a, b):
        self.a, self.b = a, b  # only their shapes are used; the input tensors keep them alive anyway
        return a + b

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.a.shape) if na else None,
                unbroadcast(g, self.b.shape) if nb else None)

    def backward_graph(self, g):
        na, nb = self.needs_input_grad
        return (sum_to(g, self.a.shape) if na else None), (sum_to(g, self.b.shape) if nb else None)


class Sub(Function):
    """d(a - b)/da = 1, d(a - b)/db = -1."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a - b

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.a.shape) if na else None,
                unbroadcast(-g, self.b.shape) if nb else None)

    def backward_graph(self, g):
        na, nb = self.needs_input_grad
        return (sum_to(g, self.a.shape) if na else None), (sum_to(-g, self.b.shape) if nb else None)


class Mul(Function):
    """d(a b)/da = b, d(a b)/db = a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (unbroadcast(g * self.b, self.a.shape) if na else None,
                unbroadcast(g * self.a, self.b.shape) if nb else None)

    def backward_graph(self, g):
        na, nb = self.needs_input_grad
        a, b = self.inputs
        return (sum_to(g * b, _shape(self.a)) if na else None), (sum_to(g * a, _shape(self.b)) if nb else None)


class Div(Function):
    """d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        na, nb = self.needs_input_grad
        ga = unbroadcast(g / self.b, self.a.shape) if na else None
        gb = unbroadcast(-g * self.a / (self.b * self.b), self.b.shape) if nb else None
        return ga, gb

    def backward_graph(self, g):
        na, nb = self.needs_input_grad
        a, b = self.inputs
        ga = sum_to(g / b, _shape(self.a)) if na else None
        gb = sum_to(-g * a / (b * b), _shape(self.b)) if nb else None
        return ga, gb


class Pow(Function):
    """d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if na:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (2 * a)
            else:
                ga = unbroadcast(g * b * a ** (b - 1), _shape(a))
        if nb:
            with xp.errstate(divide="ignore", invalid="ignore"):
                log_a = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), 0)
            gb = unbroadcast(g * self.out * log_a, _shape(b))
        return ga, gb

    def backward_graph(self, g):
        na, nb = self.needs_input_grad
        a, b = self.inputs
        ga = gb = None
        if na:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * (2 * a)
            else:
                ga = sum_to(g * b * a ** (b - 1), _shape(self.a))
        if nb:
            if not isinstance(a, (int, float)):  # log a where a > 0, else 0, as in backward
                pos = constant((self.a > 0).astype(self.out.dtype))
                log_a = (a * pos + (1 - pos)).log() * pos
            else:
                log_a = _math.log(a) if a > 0 else 0.0
            gb = sum_to(g * self.output(self.out) * log_a, _shape(self.b))
        return ga, gb


class Neg(Function):
    """d(-a)/da = -1."""

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g

    def backward_graph(self, g):
        return -g


class Exp(Function):
    """d e^a / da = e^a."""

    def forward(self, a):
        self.out = xp.exp(a)
        return self.out

    def backward(self, g):
        return g * self.out

    def backward_graph(self, g):
        return g * self.output(self.out)


class Log(Function):
    """d log a / da = 1 / a."""

    def forward(self, a):
        self.a = a
        return xp.log(a)

    def backward(self, g):
        return g / self.a

    def backward_graph(self, g):
        return g / self.inputs[0]


class Sqrt(Function):
    """d sqrt(a) / da = 1 / (2 sqrt(a))."""

    def forward(self, a):
        self.out = xp.sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)

    def backward_graph(self, g):
        return g / (2 * self.output(self.out))


class Abs(Function):
    """d|a|/da = sign(a) (0 at 0, as PyTorch)."""

    def forward(self, a):
        self.a = a
        return xp.abs(a)

    def backward(self, g):
        return g * xp.sign(self.a)

    def backward_graph(self, g):
        return g * constant(xp.sign(self.a))


class Clamp(Function):
    """Gradient 1 inside [min, max] (bounds included, as PyTorch), 0 outside."""

    def forward(self, a, min=None, max=None):
        self.mask = xp.ones(a.shape, dtype=bool)
        if min is not None:
            self.mask &= a >= min
        if max is not None:
            self.mask &= a <= max
        return xp.clip(a, min, max)

    def backward(self, g):
        return g * self.mask

    def backward_graph(self, g):
        return g * constant(self.mask.astype(g.dtype))


class Maximum(Function):
    """Gradient to the larger input; ties split evenly (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        share = xp.where(a == b, 0.5, 1.0).astype(g.dtype)
        ga = unbroadcast(g * (a >= b) * share, _shape(a)) if na else None
        gb = unbroadcast(g * (b >= a) * share, _shape(b)) if nb else None
        return ga, gb

    def backward_graph(self, g):
        return _pick_graph(self, g, xp.greater_equal)


class Minimum(Function):
    """Gradient to the smaller input; ties split evenly (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        share = xp.where(a == b, 0.5, 1.0).astype(g.dtype)
        ga = unbroadcast(g * (a <= b) * share, _shape(a)) if na else None
        gb = unbroadcast(g * (b <= a) * share, _shape(b)) if nb else None
        return ga, gb

    def backward_graph(self, g):
        return _pick_graph(self, g, xp.less_equal)


def _pick_graph(fn, g, wins):
    """backward_graph of maximum (``wins`` is >=) and minimum (<=): constant masks, ties halved."""
    na, nb = fn.needs_input_grad
    a, b = fn.a, fn.b
    share = xp.where(a == b, 0.5, 1.0).astype(g.dtype)
    ga = sum_to(g * constant(wins(a, b) * share), _shape(a)) if na else None
    gb = sum_to(g * constant(wins(b, a) * share), _shape(b)) if nb else None
    return ga, gb


class Where(Function):
    """where(c, a, b): the gradient goes to a where c holds, to b elsewhere."""

    def forward(self, cond, a, b):
        self.cond, self.a_shape, self.b_shape = cond, _shape(a), _shape(b)
        return xp.where(cond, a, b)

    def backward(self, g):
        _, na, nb = self.needs_input_grad
        zero = xp.zeros((), dtype=g.dtype)
        ga = unbroadcast(xp.where(self.cond, g, zero), self.a_shape) if na else None
        gb = unbroadcast(xp.where(self.cond, zero, g), self.b_shape) if nb else None
        return None, ga, gb

    def backward_graph(self, g):
        _, na, nb = self.needs_input_grad
        cond = self.cond
        ga = sum_to(g.masked_fill(~cond, 0.0), self.a_shape) if na else None
        gb = sum_to(g.masked_fill(cond, 0.0), self.b_shape) if nb else None
        return None, ga, gb


class Sin(Function):
    """d sin(a) / da = cos(a) (the sinusoidal positional encoding, seed 002 §4.8)."""

    def forward(self, a):
        self.a = a
        return xp.sin(a)

    def backward(self, g):
        return g * xp.cos(self.a)

    def backward_graph(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    """d cos(a) / da = -sin(a) (seed 002 §4.8, positional encoding)."""

    def forward(self, a):
        self.a = a
        return xp.cos(a)

    def backward(self, g):
        return -g * xp.sin(self.a)

    def backward_graph(self, g):
        return -g * self.inputs[0].sin()


class Log1p(Function):
    """log(1 + a), accurate for small a;  d/da = 1 / (1 + a) (a local derivative, seed 002 §3.6)."""

    def forward(self, a):
        self.a = a
        return xp.log1p(a)

    def backward(self, g):
        return g / (1 + self.a)

    def backward_graph(self, g):
        return g / (1 + self.inputs[0])


class Rounding(Function):
    """floor, ceil, round, trunc, sign: piecewise constant, so the gradient is 0 (as PyTorch).

    Like the step function of the perceptron (seed 002 §2.1), they pass no gradient.
    """

    def forward(self, a, ufunc):
        self.shape = a.shape
        return ufunc(a)

    def backward(self, g):
        return xp.zeros(self.shape, dtype=g.dtype)

    def backward_graph(self, g):
        return constant(xp.zeros(self.shape, dtype=g.dtype))
