"""Nearest-neighbour upsampling (seed 002 §4.9: growing the decoder's feature maps back to image size).

Output position i along a dim of input size n and output size m reads input
floor(i * n / m) (PyTorch's 'nearest'; with a scale factor, floor(i / scale)).
The backward adds each output gradient to the input it was copied from: for
an integer factor a reshape and a sum over the copies, otherwise a product
with the 0/1 selection matrix of each dim (no ``np.add.at``).
"""
import math

from ..autograd import Function
from ..backend import xp


def _source_index(n_in, n_out, scale):
    if scale is not None:
        idx = xp.floor(xp.arange(n_out, dtype=xp.float64) * (1.0 / scale)).astype(xp.int64)
    else:
        idx = (xp.arange(n_out) * n_in) // n_out
    return xp.minimum(idx, n_in - 1)


class UpsampleNearest(Function):
    """y[..., i, j] = x[..., src_h(i), src_w(j)]."""

    def forward(self, x, size=(1,), scales=(None,)):
        nd = x.ndim - 2
        self.in_shape = x.shape
        self.factors = []
        y = x
        for i in range(nd):
            n_in, n_out = x.shape[2 + i], size[i]
            if n_out % n_in == 0 and (scales[i] is None or float(scales[i]) == n_out // n_in):
                self.factors.append(n_out // n_in)
                y = xp.repeat(y, n_out // n_in, axis=2 + i)
            else:
                src = _source_index(n_in, n_out, scales[i])
                self.factors.append(src)
                y = xp.take(y, src, axis=2 + i)
        return y

    def backward(self, g):
        for i in reversed(range(len(self.factors))):
            f = self.factors[i]
            ax = 2 + i
            n_in = self.in_shape[ax]
            if isinstance(f, int):
                g = g.reshape(g.shape[:ax] + (n_in, f) + g.shape[ax + 1:]).sum(axis=ax + 1)
            else:
                sel = (f[:, None] == xp.arange(n_in)[None, :]).astype(g.dtype)  # (n_out, n_in)
                g = xp.moveaxis(xp.tensordot(g, sel, axes=([ax], [0])), -1, ax)
        return xp.ascontiguousarray(g)


def interpolate(input, size=None, scale_factor=None, mode="nearest"):
    """``torch.nn.functional.interpolate`` for mode='nearest' on (N, C, L) or (N, C, H, W) inputs."""
    if mode != "nearest":
        raise ValueError(f"interpolate: only mode='nearest' is implemented, got mode={mode!r}")
    if input.ndim not in (3, 4):
        raise ValueError(f"interpolate: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape "
                         f"{tuple(input.shape)}")
    nd = input.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(size) != nd or any(not isinstance(s, int) or s < 1 for s in size):
            raise ValueError(f"interpolate: size must be {nd} positive ints for input shape {tuple(input.shape)}, "
                             f"got {size!r}")
        scales = (None,) * nd
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        if len(scales) != nd or any(s is None or s <= 0 for s in scales):
            raise ValueError(f"interpolate: scale_factor must be {nd} positive numbers, got {scale_factor!r}")
        size = tuple(int(math.floor(input.shape[2 + i] * float(scales[i]))) for i in range(nd))
        if any(s < 1 for s in size):
            raise ValueError(f"interpolate: scale_factor {scale_factor!r} gives an empty output for input "
                             f"shape {tuple(input.shape)}")
    return UpsampleNearest.apply(input, size=size, scales=scales)
