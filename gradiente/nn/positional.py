"""Positional encodings and patch embedding (seed 002 §4.8).

Attention is blind to order: permuting the tokens permutes the outputs. The
positional encoding adds to each token a vector that depends on its position
(seed 002 §4.8, "positional encoding"), either fixed sinusoids ("Attention is
all you need") or a learned table (BERT, GPT, ViT). A ViT reads an image as a
sequence of flattened patches, each projected to ``embed_dim``.
"""
import math

from ..backend import xp
from ..creation import empty
from ..ops.linear import Linear as _LinearFn
from ..tensor import Tensor
from . import init
from ._checks import check_int
from .module import Module
from .parameter import Parameter


def sinusoidal_table(max_len, d_model, dtype=xp.float32):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    pos = xp.arange(max_len, dtype=xp.float64)[:, None]
    freq = xp.exp(-math.log(10000.0) * xp.arange(0, d_model, 2, dtype=xp.float64) / d_model)
    pe = xp.zeros((max_len, d_model), dtype=xp.float64)
    pe[:, 0::2] = xp.sin(pos * freq)
    pe[:, 1::2] = xp.cos(pos * freq[: d_model // 2])
    return pe.astype(dtype)


def _dropout_module(p):
    from . import Dropout  # the components' dropout (imported late: same package)
    return Dropout(p)


class SinusoidalPositionalEncoding(Module):
    """x + PE[:L] with the fixed sinusoids of "Attention is all you need" (seed 002 §4.8), then dropout.

    ``batch_first=True`` takes (N, L, d_model); otherwise (L, N, d_model).
    The table is a non-persistent buffer: nothing to learn or to save.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=True):
        super().__init__()
        check_int("SinusoidalPositionalEncoding", "d_model", d_model)
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.register_buffer("pe", Tensor(sinusoidal_table(max_len, d_model)), persistent=False)
        self.dropout = _dropout_module(dropout)

    def forward(self, x):
        L = x.shape[1] if self.batch_first else x.shape[0]
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"SinusoidalPositionalEncoding(d_model={self.d_model}): expected a 3D input with last "
                             f"dimension {self.d_model}, got shape {tuple(x.shape)}")
        if L > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence length {L} exceeds max_len={self.max_len}")
        pe = self.pe.data[:L].astype(x.dtype, copy=False)
        pe = pe[None] if self.batch_first else pe[:, None]
        return self.dropout(x + Tensor._wrap(pe, False, None, 0))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Module):
    """x + P[:L] with a learned table P of shape (max_len, d_model) (GPT, BERT, ViT; seed 002 §4.8).

    ``offset`` starts the positions at another index (incremental decoding).
    Initialised N(0, 0.02^2) as GPT-2 and BERT.
    """

    def __init__(self, max_len, d_model, batch_first=True, dtype=None):
        super().__init__()
        self.max_len, self.d_model, self.batch_first = max_len, d_model, batch_first
        self.weight = Parameter(empty(max_len, d_model, dtype=dtype))
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x, offset=0):
        L = x.shape[1] if self.batch_first else x.shape[0]
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"LearnedPositionalEmbedding(d_model={self.d_model}): expected a 3D input with last "
                             f"dimension {self.d_model}, got shape {tuple(x.shape)}")
        if offset + L > self.max_len:
            raise ValueError(f"LearnedPositionalEmbedding: positions up to {offset + L} exceed max_len={self.max_len}")
        p = self.weight[offset:offset + L]
        return x + (p.unsqueeze(0) if self.batch_first else p.unsqueeze(1))

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}"


class PatchEmbedding(Module):
    """Cut an image into non-overlapping patch x patch squares and project each to ``embed_dim`` (ViT, seed 002 §4.8).

    (N, C, H, W) -> (N, (H/p)(W/p), embed_dim), patches in row-major order. It
    is a convolution with kernel = stride = patch_size, computed as one matrix
    product: ``weight`` has shape (embed_dim, C, p, p) like that Conv2d's, so
    weights load from a PyTorch ``Conv2d`` patch projection.
    """

    def __init__(self, img_size, patch_size, in_chans=3, embed_dim=768, bias=True, dtype=None):
        super().__init__()
        img = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        if img[0] % patch_size or img[1] % patch_size:
            raise ValueError(f"PatchEmbedding: image size {img} is not divisible by patch_size={patch_size}")
        self.img_size, self.patch_size, self.in_chans, self.embed_dim = img, patch_size, in_chans, embed_dim
        self.grid = (img[0] // patch_size, img[1] // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]
        self.weight = Parameter(empty(embed_dim, in_chans, patch_size, patch_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(embed_dim, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        init.default_affine_(self.weight, self.bias)

    def forward(self, x):
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_chans,) + self.img_size:
            raise ValueError(f"PatchEmbedding: expected input of shape (N, {self.in_chans}, {self.img_size[0]}, "
                             f"{self.img_size[1]}), got {tuple(x.shape)}")
        N, C = x.shape[0], self.in_chans
        p, (gh, gw) = self.patch_size, self.grid
        patches = x.reshape(N, C, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5).reshape(N, gh * gw, C * p * p)
        return _LinearFn.apply(patches, self.weight.reshape(self.embed_dim, C * p * p), self.bias)

    def extra_repr(self):
        return f"img_size={self.img_size}, patch_size={self.patch_size}, in_chans={self.in_chans}, embed_dim={self.embed_dim}"
