"""Upsampling layers (seed 002 §4.9: the decoder grows feature maps back): ``Upsample`` (nearest) and
``UpsamplingNearest2d``, with PyTorch's arguments."""
from ..ops.upsample import interpolate
from .module import Module


class Upsample(Module):
    """Nearest-neighbour upsampling to ``size`` or by ``scale_factor`` (only mode='nearest')."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is implemented, got mode={mode!r}")
        if align_corners is not None:
            raise ValueError("Upsample: align_corners only applies to linear modes; leave it None for 'nearest'")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode)

    def extra_repr(self):
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor}, mode='{self.mode}'"
        return f"size={self.size}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "nearest")
