"""Activation layers (seed 002 §2.5, seed 000 §3), as ``torch.nn``'s; each calls one fused kernel."""
from ..creation import full
from ..ops import activation as _A
from ._checks import check_int
from .module import Module
from .parameter import Parameter


class Step(Module):
    """Heaviside step u(z) = 1 if z >= 0 else 0: the perceptron's activation (seed 002 §2.1).

    Not in PyTorch (``torch.heaviside(z, 1)`` computes the same). Its gradient
    is zero, so it is for the perceptron rule, not for backpropagation.
    """

    def forward(self, input):
        return _A.step(input)


class Sigmoid(Module):
    """sigma(z) = 1 / (1 + e^-z), output in (0, 1) (seed 002 §2.5)."""

    def forward(self, input):
        return _A.Sigmoid.apply(_A._as_tensor(input, "Sigmoid"))


class Tanh(Module):
    """tanh(z), output in (-1, 1), centred at zero (seed 002 §2.5)."""

    def forward(self, input):
        return _A.Tanh.apply(_A._as_tensor(input, "Tanh"))


class ReLU(Module):
    """max(0, z) (seed 002 §2.5). ``inplace`` is accepted for compatibility and ignored."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _A.ReLU.apply(_A._as_tensor(input, "ReLU"))


class LeakyReLU(Module):
    """max(alpha z, z) with a small fixed slope ``negative_slope`` (seed 002 §2.5)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return _A.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned (seed 002 §2.5).

    ``num_parameters`` is 1 (one shared slope) or the number of channels
    (dimension 1 of the input); every slope starts at ``init`` (0.25).
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        check_int("PReLU", "num_parameters", num_parameters)
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype))

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, input):
        return _A.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """z for z > 0, alpha (e^z - 1) otherwise (seed 002 §2.5)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return _A.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """scale * ELU(z, alpha) with alpha = 1.6732632..., scale = 1.0507009... (seed 002 §2.5)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _A.selu(input)


class GELU(Module):
    """z Phi(z) (seed 002 §2.5): ``approximate='none'`` (exact, erf) or ``'tanh'`` (the notes' formula)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return _A.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta z)) / beta, a smooth ReLU; linear where beta z > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must be non-zero")
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return _A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """z sigma(z) (also called swish)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return _A.silu(input)


class Softmax(Module):
    """e^(z_i) / sum_j e^(z_j) along ``dim`` (seed 002 §2.5): class probabilities."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _A.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim``, stable at large |z| (pair it with ``NLLLoss``)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _A.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
