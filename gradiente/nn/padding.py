"""Padding layers (the padding margin of a convolution, seed 002 §4.2): ``ZeroPad1d/2d/3d``,
``ConstantPad1d/2d/3d``, ``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``.

Each is ``functional.pad`` with a fixed padding; names, arguments, ``padding``
attributes (an int becomes the same size on every side) and reprs are
PyTorch's. ``padding`` lists (left, right) for the last dim, then (top,
bottom), then (front, back); negative sizes crop. No parameters.
"""
from ..ops import pad as _pad
from .module import Module


def _padding_tuple(layer, padding, nd):
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * (2 * nd)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 * nd and all(
            isinstance(p, int) and not isinstance(p, bool) for p in padding):
        return tuple(padding)
    raise ValueError(f"{layer}: padding must be an int or a tuple of {2 * nd} ints, got {padding!r}")


class _PadNd(Module):
    _nd = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding_tuple(type(self).__name__, padding, self._nd)

    def forward(self, x):
        if self.mode != "constant" and x.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"{type(self).__name__}: expected {self._nd + 1}D or {self._nd + 2}D input "
                             f"(got {x.ndim}D input of shape {tuple(x.shape)})")
        return _pad(x, self.padding, self.mode, getattr(self, "value", None))

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim of (N, C, L) or (C, L) with ``value``."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims of (N, C, H, W) or (C, H, W) with ``value``."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims of (N, C, D, H, W) or (C, D, H, W) with ``value``."""

    _nd = 3


class _ZeroPad:
    """Constant padding with value 0, shown as PyTorch shows it (the padding alone)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Zero padding of the last dim (what ``Conv1d(padding=p)`` does before convolving)."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Zero padding of the last two dims (what ``Conv2d(padding=p)`` does before convolving)."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Zero padding of the last three dims."""


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its edges without repeating them (d c b | a b c d | c b a); padding < L."""

    _nd, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their edges; each padding smaller than its dim."""

    _nd, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last three dims at their edges; each padding smaller than its dim."""

    _nd, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim (a a a | a b c d | d d d)."""

    _nd, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims."""

    _nd, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dims."""

    _nd, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dim around (b c d | a b c d | a b c), a periodic boundary; padding <= L."""

    _nd, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap the last two dims around (a torus); each padding at most its dim."""

    _nd, mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap the last three dims around; each padding at most its dim."""

    _nd, mode = 3, "circular"
