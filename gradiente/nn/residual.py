"""Skip (residual) connections (seed 002 §2.9, §4.4): y = x + F(x)."""
from .module import Module


class Residual(Module):
    """Wrap a module F as y = shortcut(x) + F(x) (seed 002 §2.9).

    The identity path adds 1 to dy/dx, so the gradient reaches earlier
    layers even where F's own gradient vanishes; this is what lets very deep
    networks (ResNet, seed 002 §4.4; transformers) train. ``shortcut`` is the
    identity by default, or a module (a ``Linear`` or 1x1 convolution) that
    projects x when F changes the shape. Extra arguments go to F.
    """

    def __init__(self, fn, shortcut=None):
        super().__init__()
        if not isinstance(fn, Module):
            raise TypeError(f"Residual: fn must be a Module, got {type(fn).__name__}")
        self.fn = fn
        if shortcut is not None:
            self.shortcut = shortcut
        else:
            self.add_module("shortcut", None)

    def forward(self, x, *args, **kwargs):
        out = self.fn(x, *args, **kwargs)
        skip = x if self.shortcut is None else self.shortcut(x)
        if tuple(out.shape) != tuple(skip.shape):
            raise ValueError(
                f"Residual: F(x) has shape {tuple(out.shape)} but the skip path has shape {tuple(skip.shape)}; "
                f"pass a shortcut module that projects x to F(x)'s shape"
            )
        return skip + out
