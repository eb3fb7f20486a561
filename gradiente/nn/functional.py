"""Stateless forms of the layers, as ``torch.nn.functional``."""
from ..ops import relu, sigmoid, tanh  # noqa: F401
from ..ops import pad  # noqa: F401
from ..ops.linear import Linear as _LinearFn
from ..ops.attention import scaled_dot_product_attention  # noqa: F401


def linear(input, weight, bias=None):
    """z = x W^T + b (seed 000 §1)."""
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input has last dimension {input.shape[-1]}, weight has shape {tuple(weight.shape)}")
    return _LinearFn.apply(input, weight, bias)
