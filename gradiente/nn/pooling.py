"""Pooling layers (seed 002 §2.6; seed 003, downsampling in CNNs): ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``,
``AdaptiveAvgPool1d/2d/3d``. They have no parameters; arguments and defaults are PyTorch's (stride
defaults to kernel_size)."""
from ..ops import pool as _pool
from .module import Module


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return _pool.max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices, nd=self._nd)

    def forward_after_relu(self, x):
        """``self(relu(x))`` in one node, the rectifier applied to the pooled map (``Sequential`` calls it
        for a ``ReLU`` followed by this layer; ``MaxPoolNd`` in ``ops/pool.py``)."""
        return _pool.max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              nd=self._nd, relu=True)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) (seed 002 §2.6)."""

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over windows of (N, C, H, W) (seed 002 §2.6)."""

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """Max over windows of (N, C, D, H, W) (seed 002 §2.6)."""

    _nd = 3


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return _pool.avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                              self.divisor_override, nd=self._nd)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of (N, C, L) (seed 002 §2.6)."""

    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of (N, C, H, W) (seed 002 §2.6)."""

    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """Mean over windows of (N, C, D, H, W) (seed 002 §2.6)."""

    _nd = 3


class _AdaptiveAvgPoolNd(Module):
    _nd = 2

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return _pool.adaptive_avg_pool(x, self.output_size, nd=self._nd)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) to a fixed length (size 1: global average pooling, seed 002 §4.4)."""

    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) to a fixed size (size 1: global average pooling, seed 002 §4.4)."""

    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, D, H, W) to a fixed size (size 1: global average pooling, seed 002 §4.4)."""

    _nd = 3
