"""Dense layers (seed 000 §4; seed 002 §2.2): ``Linear``, ``Identity``, ``Flatten``."""

from ..creation import empty
from ..ops.linear import Linear as _LinearFn
from . import init
from ._checks import check_int
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input (a placeholder, e.g. a removed head)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """z = x W^T + b, the fully connected layer (seed 000 §4: z = W a + b).

    ``weight`` has shape (out_features, in_features) and, like PyTorch, both
    weight and bias start uniform in (-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        check_int("Linear", "in_features", in_features, 0)
        check_int("Linear", "out_features", out_features, 0)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_affine_(self.weight, self.bias)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): expected input "
                f"with last dimension {self.in_features}, got shape {tuple(x.shape)}"
            )
        return _LinearFn.apply(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        return x.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
