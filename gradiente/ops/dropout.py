"""Inverted dropout (seed 002 §2.7).

Training: each unit is kept with probability 1 - p and the kept ones are
multiplied by 1 / (1 - p), so the expected activation is unchanged and
evaluation needs no rescaling. The mask comes from gradiente's seeded
generator, so ``manual_seed`` repeats it bit for bit. Channel dropout
(``dropout1d``/``dropout2d``) zeroes whole feature maps: one draw per
(sample, channel).
"""
import numpy as _np

from ..autograd import Function
from ..backend import xp
from ..random import get_generator


class Dropout(Function):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p) of shape ``mask_shape`` (broadcast over x);  dy/dx = m / (1 - p)."""

    def forward(self, x, p=0.5, mask_shape=None):
        shape = x.shape if mask_shape is None else mask_shape
        if p >= 1.0:
            mask = xp.zeros(shape, dtype=x.dtype)
        else:
            udtype = _np.float64 if x.dtype == _np.float64 else _np.float32
            keep = get_generator().random(shape, dtype=udtype) >= p
            mask = keep.astype(x.dtype)
            mask *= 1.0 / (1.0 - p)
        self.mask = mask
        return x * mask

    def backward(self, g):
        return g * self.mask


# ------------------------------------------------------------------ functional forms
def _check_p(name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p!r}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (seed 002 §2.7); identity if not training."""
    _check_p("dropout", p)
    if not training or p == 0:
        return input
    return Dropout.apply(input, p=float(p))


def _channel_dropout(name, input, p, training, batched_ndim, unbatched_ndim):
    _check_p(name, p)
    if input.ndim not in (batched_ndim, unbatched_ndim):
        raise ValueError(
            f"{name}: expected a {unbatched_ndim}-d (C, ...) or {batched_ndim}-d (N, C, ...) input, "
            f"got shape {tuple(input.shape)}"
        )
    if not training or p == 0:
        return input
    lead = 2 if input.ndim == batched_ndim else 1
    mask_shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return Dropout.apply(input, p=float(p), mask_shape=mask_shape)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels of (N, C, L) or (C, L) input."""
    return _channel_dropout("dropout1d", input, p, training, 3, 2)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels (feature maps) of (N, C, H, W) input; 3-d input is treated as (N, C, L), as PyTorch does."""
    _check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-d or 4-d (N, C, H, W) input, got shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return Dropout.apply(input, p=float(p), mask_shape=mask_shape)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    return _channel_dropout("dropout3d", input, p, training, 5, 4)
