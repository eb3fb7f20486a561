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
from ..ops.conv import (  # noqa: F401
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
)
from ..ops.pool import (  # noqa: F401
    max_pool1d, max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d,
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
)
from ..ops.upsample import interpolate  # noqa: F401


def linear(input, weight, bias=None):
    """z = x W^T + b (seed 000 §1)."""
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input has last dimension {input.shape[-1]}, weight has shape {tuple(weight.shape)}")
    return _LinearFn.apply(input, weight, bias)
