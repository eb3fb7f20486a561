"""Memory layouts of arrays: the order in which an array's axes run through memory.

The convolution and pooling kernels return views whose memory order is not
(N, C, *spatial) (the im2col product is channel-major, the per-kernel-row one
has the images innermost). Element-wise passes over two arrays run several
times slower when their memory orders differ, so the kernels that follow
allocate their results, and their gradients, in the order of their inputs.
"""
import numpy as _np

from ..backend import xp

try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # NumPy < 2
    _byte_bounds = _np.byte_bounds


def memory_order(a):
    """The axes of ``a`` from the largest stride to the smallest (ties keep their order): its memory order."""
    return sorted(range(a.ndim), key=lambda i: -a.strides[i])


def empty_in_order(shape, order, dtype):
    """An uninitialised array of ``shape`` whose memory runs over the axes in ``order`` (outermost first)."""
    a = xp.empty(tuple(shape[i] for i in order), dtype=dtype)
    return a.transpose(tuple(order.index(i) for i in range(len(shape))))


def dense_view(a):
    """``(view, restore)``: ``view`` the axes of ``a`` permuted into its memory order, C-contiguous, and
    ``restore`` the permutation that turns an array shaped like ``view`` back into ``a``'s axes; None
    when ``a`` has gaps or overlaps (a slice, a broadcast) and no permutation makes it contiguous."""
    order = memory_order(a)
    view = a.transpose(order)
    if not view.flags.c_contiguous:
        return None
    return view, tuple(order.index(i) for i in range(a.ndim))


def dense_cover(a):
    """``(view, restore, used)``: a C-contiguous array over ``a``'s memory, for element-wise passes.

    Either :func:`dense_view` (``used`` None), or, for ``a`` whose innermost memory axis holds the
    first ``used`` values of each row of a dense buffer (a convolution output computed on
    padded-width planes), ``view`` covers those whole rows: a pass over it also runs over the
    values between them, and ``out[..., :used].transpose(restore)`` is its result for ``a``.
    None when neither applies.
    """
    dense = dense_view(a)
    if dense is not None:
        return dense + (None,)
    if a.ndim < 2:
        return None
    order = memory_order(a)
    view = a.transpose(order)
    item, st, shape = a.itemsize, view.strides, view.shape
    if st[-1] != item or st[-2] % item or st[-2] // item < shape[-1]:
        return None
    width = st[-2] // item
    full = shape[:-1] + (width,)
    expected = [item]
    for n in reversed(full[1:]):
        expected.insert(0, expected[0] * n)
    if list(st) != expected or not isinstance(a.base, _np.ndarray):
        return None
    cover = xp.lib.stride_tricks.as_strided(view, full, st, writeable=False)
    (lo, hi), (base_lo, base_hi) = _byte_bounds(cover), _byte_bounds(a.base)
    if lo < base_lo or hi > base_hi:  # the rows' last gap must lie inside the buffer
        return None
    return cover, tuple(order.index(i) for i in range(a.ndim)), shape[-1]
