"""Stateless forms of the layers, as ``torch.nn.functional``."""
from ..ops import relu, sigmoid, tanh  # noqa: F401
from ..ops.activation import (  # noqa: F401
    step, leaky_relu, prelu, elu, selu, gelu, softplus, silu, softmax, log_softmax,
)
from ..ops.loss import (  # noqa: F401
    cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
    kl_div, distillation_loss,
)
from ..ops.dropout import dropout, dropout1d, dropout2d, dropout3d  # noqa: F401
from ..ops.embedding import embedding  # noqa: F401
from ..ops.norm import layer_norm, batch_norm  # noqa: F401
from ..ops import pad  # noqa: F401
from ..ops.linear import Linear as _LinearFn
from ..ops.attention import scaled_dot_product_attention  # noqa: F401
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from ..ops.conv import conv as _conv, conv_transpose as _conv_transpose
from ..ops.pool import (  # noqa: F401
    max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
    max_pool as _max_pool, avg_pool as _avg_pool, adaptive_avg_pool as _adaptive_avg_pool,
)
from ..ops.upsample import interpolate  # noqa: F401


def linear(input, weight, bias=None):
    """z = x W^T + b (seed 000 §1)."""
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input has last dimension {input.shape[-1]}, weight has shape {tuple(weight.shape)}")
    return _LinearFn.apply(input, weight, bias)


# The 3-D forms: the kernels of ops/conv.py and ops/pool.py take any number of spatial dims.
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (seed 002 §4.2): ``torch.nn.functional.conv3d``."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, nd=3)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (seed 002 §4.3): ``torch.nn.functional.conv_transpose3d``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd=3)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``torch.nn.functional.max_pool3d`` over (N, C, D, H, W) (seed 002 §2.6)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd=3)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """``torch.nn.functional.avg_pool3d`` over (N, C, D, H, W) (seed 002 §2.6)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd=3)


def adaptive_avg_pool3d(input, output_size):
    """``torch.nn.functional.adaptive_avg_pool3d`` (size 1: global average pooling, seed 002 §4.4)."""
    return _adaptive_avg_pool(input, output_size, nd=3)
