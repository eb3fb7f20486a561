"""Border padding modes: reflect, replicate, circular (the padding margin of a convolution, seed 002 §4.2).

Zero (constant) padding fills the margin with one value (``shape.Pad``). The
other modes fill it with copies of the input itself, so every output position
reads one source position. Along each padded dim of size n, output position
j (in input coordinates j = -before, ..., n + after - 1) reads

    reflect:    |j| mirrored at n - 1, without repeating the edge   (d c b | a b c d | c b a)
    replicate:  clip(j, 0, n - 1), the edge repeated                (a a a | a b c d | d d d)
    circular:   j mod n, the input wrapped around                   (b c d | a b c d | a b c)

A negative ``before`` or ``after`` crops the input instead, as in PyTorch
(for circular padding the crop comes first and the rest wraps around the
cropped input). The index maps are separable, one index vector per padded
dim: the forward copies the input once into the middle of the output and then
fills each dim's borders from the output itself, one gather per dim (with a
crop, one gather per dim from the input). The backward is its adjoint: each
source position gets the sum of the gradients of every output that read it,
the border gradients added back onto the positions they were copied from. It
runs one padded dim at a time: the middle block goes back as one slice, the
borders are grouped by source and summed with one ``np.add.reduceat`` (no
loop over elements).
"""
from ..autograd import Function
from ..backend import xp

MODES = ("reflect", "replicate", "circular")


def _geometry(n, before, after, index):
    """Where the kept input [lo, hi) sits in the output (from ``start``), and the border output positions."""
    start, lo, hi = max(before, 0), max(-before, 0), n - max(-after, 0)
    border = xp.concatenate((xp.arange(start), xp.arange(start + hi - lo, len(index))))
    return start, lo, hi, border


def _add_back(g, index, n, before, after, axis):
    """Adjoint of ``take(x, index, axis)`` for a source of size ``n`` padded by (before, after).

    The middle block of the output is the (cropped) input in order and goes
    back as one slice; each border output is then added to the source it was
    copied from, grouped by source (one sort and one ``np.add.reduceat``, so
    the repeated edge of replicate padding is summed too).
    """
    start, lo, hi, border = _geometry(n, before, after, index)
    ax = (slice(None),) * axis
    shape = g.shape[:axis] + (n,) + g.shape[axis + 1:]
    out = xp.empty(shape, dtype=g.dtype) if hi - lo == n else xp.zeros(shape, dtype=g.dtype)
    out[ax + (slice(lo, hi),)] = g[ax + (slice(start, start + hi - lo),)]
    if border.size:
        border = border[xp.argsort(index[border], kind="stable")]
        src = index[border]
        first = xp.flatnonzero(xp.concatenate(([True], src[1:] != src[:-1])))
        out[ax + (src[first],)] += xp.add.reduceat(xp.take(g, border, axis=axis), first, axis=axis)
    return out


class _BorderPad(Function):
    """Gather with one index vector per padded dim (the last ``len(pads)`` dims); backward adds back."""

    def forward(self, a, pads):
        lead = a.ndim - len(pads)
        self.shape = a.shape
        self.padded = [(lead + i, before, after, self.source(a.shape[lead + i], before, after))
                       for i, (before, after) in enumerate(pads) if before or after]
        if not self.padded:
            return a.copy()
        if any(before < 0 or after < 0 for _, before, after, _ in self.padded):  # a crop: one gather per dim
            out = a
            for axis, _, _, index in self.padded:
                out = xp.take(out, index, axis=axis)
            return out
        # no crop: the input is copied once into the middle, then each dim's borders are copied from
        # the output itself (full extent of the other dims, so the corners come out right)
        out = xp.empty(a.shape[:lead] + tuple(n + b + e for n, (b, e) in zip(a.shape[lead:], pads)), dtype=a.dtype)
        out[(Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(a.shape[lead:], pads))] = a
        for axis, before, after, index in self.padded:
            border = _geometry(a.shape[axis], before, after, index)[3]
            out[(slice(None),) * axis + (border,)] = xp.take(out, index[border] + before, axis=axis)
        return out

    def backward(self, g):
        for axis, before, after, index in reversed(self.padded):
            g = _add_back(g, index, self.shape[axis], before, after, axis)
        return g

    @staticmethod
    def source(n, before, after):  # pragma: no cover - abstract
        raise NotImplementedError


class ReflectionPad(_BorderPad):
    """Reflect at the edges without repeating them: (d c b | a b c d | c b a); needs padding < n."""

    @staticmethod
    def source(n, before, after):
        j = xp.abs(xp.arange(-before, n + after))
        return xp.where(j >= n, 2 * (n - 1) - j, j)


class ReplicationPad(_BorderPad):
    """Repeat the edge values: (a a a | a b c d | d d d)."""

    @staticmethod
    def source(n, before, after):
        return xp.clip(xp.arange(-before, n + after), 0, n - 1)


class CircularPad(_BorderPad):
    """Wrap around (periodic boundary): (b c d | a b c d | a b c); needs padding <= n (after any crop)."""

    @staticmethod
    def source(n, before, after):
        lo, hi = max(-before, 0), n - max(-after, 0)
        return lo + xp.arange(-max(before, 0), hi - lo + max(after, 0)) % (hi - lo)


_FUNCTIONS = {"reflect": ReflectionPad, "replicate": ReplicationPad, "circular": CircularPad}


def border_pad(a, pads, mode):
    """Pad the last ``len(pads)`` dims of tensor ``a`` with ``mode`` (``pads``: (before, after) per dim, in order).

    PyTorch's rules: 1 to 3 trailing dims of a batched or unbatched input
    (2-3, 3-4 or 4-5 dims), reflect padding smaller than the dim, circular
    padding at most the dim; the output must not be empty.
    """
    k = len(pads)
    if k not in (1, 2, 3) or a.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: padding size {2 * k} is not supported for {a.ndim}D input tensor in mode {mode!r}. Supported "
            "combinations for non-constant padding: 2D or 3D input with padding size 2 (pads the last dim), "
            "3D or 4D input with size 4 (the last 2 dims), 4D or 5D input with size 6 (the last 3 dims)")
    lead = a.ndim - k
    for i, (before, after) in enumerate(pads):
        d = lead + i
        n = a.shape[d]
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(f"pad: padding size should be less than the corresponding input dimension for mode "
                             f"'reflect', but got padding {(before, after)} at dimension {d} of input "
                             f"{list(a.shape)}")
        kept = n - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (before > kept or after > kept):
            raise ValueError(f"pad: padding value causes wrapping around more than once: padding {(before, after)} "
                             f"at dimension {d} of input {list(a.shape)} (circular padding must be at most the "
                             f"size it wraps, {kept})")
        size = n + before + after
        if size < 1 or kept < 1:
            raise ValueError(f"pad: input of size {n} at dimension {d} is too small for padding {(before, after)}; "
                             f"calculated output size: {size}")
    return _FUNCTIONS[mode].apply(a, pads=tuple(pads))
