"""Dropout layers (seed 002 §2.7): inverted dropout, active only in training mode."""
from ..ops import dropout as _D
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _D._check_p(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` during training and scale the kept ones by 1/(1-p)
    (seed 002 §2.7); the identity in ``eval()`` mode."""

    def forward(self, input):
        return _D.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input with probability ``p`` (seed 002 §2.7)."""

    def forward(self, input):
        return _D.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p`` (seed 002 §2.7)."""

    def forward(self, input):
        return _D.dropout2d(input, self.p, self.training)
