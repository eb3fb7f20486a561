"""Memory layouts of arrays: the order in which an array's axes run through memory.

The convolution and pooling kernels return views whose memory order is not
(N, C, *spatial) (the im2col product is channel-major, the per-kernel-row one
has the images innermost). Element-wise passes over two arrays run several
times slower when their memory orders differ, so the kernels that follow
allocate their results, and their gradients, in the order of their inputs.
"""
from ..backend import xp


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
