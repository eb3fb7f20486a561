"""Fused pooling kernels: max and average pooling in 1-D and 2-D, adaptive average pooling (seed 002 §2.6; seed 003).

Pooling summarises each window of a feature map by one number: the maximum
(max pooling keeps the strongest response and is locally translation
invariant) or the mean (average pooling). The windows are read through the
same strided view as the convolution's im2col (``ops/conv.py``); the whole
batch is reduced by one vectorised operation per kernel offset (a running
maximum or sum of strided slices), without Python loops over pixels.

With a gradient to compute, max pooling also finds the offset of each window's
first maximum, by a tournament over the offsets (``_max_and_index``): a pair of
offsets gives its index straight from one comparison, so the 2x2 pooling of
LeNet-5 takes 0.35 ms instead of 0.42 (6x28x28 maps) and 0.11-0.13 instead of
0.22 (16x10x10), batch 64, one thread.

Backward: max pooling sends each output's gradient to the position of its
window's maximum (the first one on ties, as PyTorch); average pooling spreads
it evenly over the window. Both write the windows back one strided slice per
kernel offset, as the convolution's ``col2im``; max pooling writes its gradient
in the memory order of its input (a convolution's output may be a (C, N) ordered
or images-innermost view, ``ops/conv.py``), so the ReLU and convolution backward
passes before it read it in their own order. The windows' offsets are basic
slices of the input (no strided-view construction per call); on an
images-innermost input their passes run over contiguous runs of images
(LeNet-5's first pool, one thread: 0.48 -> 0.23 ms forward, 0.31 -> 0.19 ms
backward).

A ReLU before a max pool can run inside it (``relu=True``, used by
``nn.Sequential``): max_pool(relu(x)) = relu(max_pool(x)), so the rectifier
runs over the pooled map, and its derivative becomes the index -1 of the
windows whose maximum is not positive.
"""
import math

from ..autograd import Function, constant
from ..backend import xp
from .activation import _relu_into
from .conv import ConvTransposeNd, ntuple, offset_views
from .layout import dense_view, empty_in_order, memory_order


def _geometry(spatial, kernel, stride, padding, dilation, ceil_mode):
    """Output sizes and the right padding needed so that every window lies inside the padded array."""
    out, extra = [], []
    for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1  # the last window must start inside the input or the left padding (PyTorch's rule)
        out.append(o)
        extra.append(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))
    return tuple(out), tuple(extra)


def _pad_spatial(x, padding, extra, value):
    if not any(padding) and not any(extra):
        return x
    shape = tuple(x.shape[:2]) + tuple(n + 2 * p + e for n, p, e in zip(x.shape[2:], padding, extra))
    out = xp.full(shape, value, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(p, p + n) for n, p in zip(x.shape[2:], padding))] = x
    return out


def _crop(gpad, padding, spatial):
    return gpad[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(padding, spatial))]


def _scatter_graph(g, kernel, stride, dilation, padding, pshape, xshape):
    """Every window's values of ``g`` (N, C * K, *out), one channel per (c, kernel offset), added back to
    their input positions and cropped to the input: a depthwise transposed convolution with one-hot
    kernels, differentiable again (create_graph)."""
    n_k = math.prod(kernel)
    c = g.shape[1] // n_k
    eye = xp.tile(xp.eye(n_k, dtype=g.dtype).reshape((n_k, 1) + tuple(kernel)), (c,) + (1,) * (len(kernel) + 1))
    natural = tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(g.shape[2:], stride, dilation, kernel))
    gx = ConvTransposeNd.apply(g, constant(eye), None, stride=stride, padding=(0,) * len(kernel),
                               output_padding=tuple(p - m for p, m in zip(pshape[2:], natural)),
                               dilation=dilation, groups=c)
    return _crop(gx, padding, xshape[2:])


def _max_and_index(views):
    """Maximum over the kernel offsets' ``views`` (:func:`offset_views`) and the index of the first maximum.

    A tournament: neighbouring (maximum, index) pairs are merged, the left one holding the earlier
    offsets, and the right one wins only when strictly greater (ties go to the first, as PyTorch).
    A merge is two comparisons' worth of passes, and a pair of single offsets yields its index
    straight from the comparison, which makes 2x2 pooling 1.2-2x as fast as a running
    maximum that updates the index after every offset.
    """
    dtype = xp.int8 if len(views) < 128 else xp.int32
    level = []
    for k in range(0, len(views) - 1, 2):
        a, b = views[k], views[k + 1]
        i = xp.greater(b, a).view(xp.int8).astype(dtype, copy=False)
        if k:
            i += dtype(k)
        level.append((xp.maximum(a, b), i))
    if len(views) % 2:
        last = xp.array(views[-1])
        level.append((last, xp.full(last.shape, len(views) - 1, dtype=dtype)))
    while len(level) > 1:
        merged = []
        for (m1, i1), (m2, i2) in zip(level[::2], level[1::2]):
            t = xp.greater(m2, m1).view(xp.int8)
            i2 -= i1  # i1 + t (i2 - i1): the right index where it strictly wins
            i2 *= t
            i2 += i1
            merged.append((xp.maximum(m1, m2, out=m1), i2))
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0]


class MaxPoolNd(Function):
    """y = max over the window (seed 002 §2.6); the gradient goes to the arg-max of each window.

    ``relu=True`` computes ``max_pool(relu(x))`` as ``relu(max_pool(x))`` (the rectifier is monotone, so
    both pick the same element and value): the activation and its backward run over the pooled map,
    a kernel-size times smaller, instead of the whole input (:class:`~gradiente.nn.Sequential` uses it
    for a ``ReLU`` followed by a ``MaxPool``).

    The maximum is a running ``np.maximum`` over the kernel offsets (one
    strided slice each), which is much faster than an ``argmax`` over a copied
    window axis. When a gradient is needed, the offset of the first maximum
    is found alongside by a tournament over the offsets (:func:`_max_and_index`;
    strict ``>``, so ties go to the first, as in PyTorch); without one
    (inference) only the maximum is computed.
    """

    def forward(self, x, kernel=(2,), stride=(2,), padding=(0,), dilation=(1,), ceil_mode=False, relu=False):
        spatial = x.shape[2:]
        out, extra = _geometry(spatial, kernel, stride, padding, dilation, ceil_mode)
        xpad = _pad_spatial(x, padding, extra, -xp.inf)
        views = offset_views(xpad, kernel, stride, dilation, out)
        if any(self.needs_input_grad):
            best, idx = _max_and_index(views)
        else:
            idx = None
            best = xp.array(views[0]) if len(views) == 1 else xp.maximum(views[0], views[1])
            for view in views[2:]:
                xp.maximum(best, view, out=best)
        if relu:
            # max_pool(relu(x)) = relu(max_pool(x)): the maximum commutes with the rectifier. A window
            # whose maximum is not positive passes no gradient (relu' = 0 there, NaN included, as
            # PyTorch's threshold backward): its index becomes -1, which no kernel offset matches
            if idx is not None:  # idx = (idx + 1) [best > 0] - 1, in place (a masked copyto is 20x slower)
                idx += 1
                idx *= best > 0
                idx -= 1
            dense = dense_view(best)  # best is a fresh array, in its input's memory order
            if dense is None:
                xp.maximum(best, 0, out=best)
            else:
                flat = dense[0].reshape(-1)
                _relu_into(flat, flat)
        self.idx = idx
        self.geom = (x.shape, xpad.shape, kernel, stride, padding, dilation, out)
        self.order = memory_order(xpad)
        return best

    def backward(self, g):
        xshape, pshape, kernel, stride, padding, dilation, out = self.geom
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
        tiled = all(s == k and d == 1 and o * s == n for s, d, k, o, n in zip(stride, dilation, kernel, out, pshape[2:]))
        # in the input's memory order (a transposed view after the im2col convolution): the next
        # backward passes then read it in their own order (tiled: every position is written)
        gx = empty_in_order(pshape, self.order, g.dtype)
        if not tiled:
            gx[...] = 0
        idx = self.idx  # in the input's memory order, as the maximum and gx
        if memory_order(g) != memory_order(idx):  # passes over mixed orders run several times slower
            aligned = xp.empty_like(idx, dtype=g.dtype)
            aligned[...] = g
            g = aligned
        chosen = xp.empty_like(idx, dtype=bool)
        for k, view in enumerate(offset_views(gx, kernel, stride, dilation, out)):
            xp.equal(idx, k, out=chosen)
            if disjoint:  # each input position belongs to one window: write, do not add
                xp.multiply(g, chosen, out=view)
            else:
                view += g * chosen
        return _crop(gx, padding, xshape[2:])

    def backward_graph(self, g):
        """g times the one-hot of each window's arg-max, scattered back (create_graph): linear in g, so
        the second derivative through the maximum is zero and the gradient by g is a gather."""
        xshape, pshape, kernel, stride, padding, dilation, out = self.geom
        n_k = math.prod(kernel)
        onehot = xp.moveaxis(self.idx[..., None] == xp.arange(n_k), -1, 2).astype(g.dtype)
        n, c = xshape[:2]
        g = (g.reshape(n, c, 1, *out) * constant(onehot)).reshape(n, c * n_k, *out)
        return _scatter_graph(g, kernel, stride, dilation, padding, pshape, xshape)

    def indices(self):
        """Flat indices into the (unpadded) input plane of each maximum, as ``return_indices=True``."""
        xshape, _, kernel, stride, padding, dilation, out = self.geom
        nd = len(kernel)
        offs = xp.unravel_index(self.idx, kernel)
        flat = xp.zeros(self.idx.shape, dtype=xp.int64)
        for i in range(nd):
            pos = xp.arange(out[i]).reshape((-1,) + (1,) * (nd - 1 - i)) * stride[i] - padding[i]
            flat = flat * xshape[2 + i] + pos + offs[i] * dilation[i]
        return flat


class AvgPoolNd(Function):
    """y = mean over the window (seed 002 §2.6); each input gets g / (window count) from every window it is in.

    ``divisor`` is the per-output count (broadcastable to the output): the
    kernel size, the number of non-padding elements (count_include_pad=False)
    or ``divisor_override``.
    """

    def forward(self, x, kernel=(2,), stride=(2,), padding=(0,), ceil_mode=False, count_include_pad=True,
                divisor_override=None):
        nd = x.ndim - 2
        spatial = x.shape[2:]
        dilation = (1,) * nd
        out, extra = _geometry(spatial, kernel, stride, padding, dilation, ceil_mode)
        xpad = _pad_spatial(x, padding, extra, 0)
        views = offset_views(xpad, kernel, stride, dilation, out)
        total = xp.array(views[0])
        for view in views[1:]:  # a running sum of strided slices beats a sum over the small window axes
            total += view
        if divisor_override is not None:
            divisor = float(divisor_override)
        elif not any(padding) and not any(extra):
            divisor = float(math.prod(kernel))
        else:
            divisor = self._counts(spatial, kernel, stride, padding, extra, out, count_include_pad, x.dtype)
        self.divisor = divisor
        self.geom = (x.shape, xpad.shape, kernel, stride, padding, dilation, out)
        return (total / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def _counts(spatial, kernel, stride, padding, extra, out, include_pad, dtype):
        """Per-output window counts: the product of 1-D counts along each spatial dim."""
        count = xp.ones((), dtype=dtype)
        nd = len(spatial)
        for i, (n, k, s, p, e, o) in enumerate(zip(spatial, kernel, stride, padding, extra, out)):
            lo = xp.arange(o) * s - p
            hi = lo + k
            if include_pad:
                c = xp.minimum(hi, n + p) - lo  # padding counts, the ceil-mode overhang does not
            else:
                c = xp.minimum(hi, n) - xp.maximum(lo, 0)
            count = count * c.astype(dtype).reshape((-1,) + (1,) * (nd - 1 - i))
        return count

    def backward(self, g):
        xshape, pshape, kernel, stride, padding, dilation, out = self.geom
        gd = (g / self.divisor).astype(g.dtype, copy=False)
        gx = xp.zeros(pshape, dtype=g.dtype)
        disjoint = all(s >= k for s, k in zip(stride, kernel))
        for view in offset_views(gx, kernel, stride, dilation, out):
            if disjoint:
                view[...] = gd
            else:
                view += gd
        return _crop(gx, padding, xshape[2:])

    def backward_graph(self, g):
        """g / divisor spread over every window (create_graph): a transposed convolution with one-hot kernels."""
        xshape, pshape, kernel, stride, padding, dilation, out = self.geom
        divisor = self.divisor if isinstance(self.divisor, float) else constant(self.divisor)
        n_k = math.prod(kernel)
        n, c = xshape[:2]
        g = (g / divisor).reshape(n, c, 1, *out).expand(n, c, n_k, *out).reshape(n, c * n_k, *out)
        return _scatter_graph(g, kernel, stride, dilation, padding, pshape, xshape)


def _adaptive_matrix(n_in, n_out, dtype):
    """(n_out, n_in) averaging matrix: row i averages input [floor(i n/o), ceil((i+1) n/o)) (PyTorch's bins)."""
    m = xp.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        lo = (i * n_in) // n_out
        hi = -(-((i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


class AdaptiveAvgPoolNd(Function):
    """Average pooling to a fixed output size (global average pooling for size 1; seed 002 §4.4).

    Along each spatial dim the bins are a fixed linear map, so the forward is
    a product with one small averaging matrix per dim and the backward a
    product with its transpose.
    """

    def forward(self, x, output_size=(1,)):
        nd = x.ndim - 2
        mats = [_adaptive_matrix(x.shape[2 + i], output_size[i], x.dtype) for i in range(nd)]
        self.mats = mats
        y = x
        for i, m in enumerate(mats):
            y = xp.moveaxis(xp.tensordot(y, m, axes=([2 + i], [1])), -1, 2 + i)
        return xp.ascontiguousarray(y)

    def backward(self, g):
        for i, m in enumerate(self.mats):
            g = xp.moveaxis(xp.tensordot(g, m, axes=([2 + i], [0])), -1, 2 + i)
        return xp.ascontiguousarray(g)


# ------------------------------------------------------------------ functional forms with argument checks


def _check_input(fn, x, nd):
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{fn}: expected a {nd + 1}-D or {nd + 2}-D input, got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating point input, got dtype {x.dtype}")


def _batched(x, nd):
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _pool_args(fn, x, kernel_size, stride, padding, dilation, nd):
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        ntuple(stride, nd, "stride", fn)
    padding = ntuple(padding, nd, "padding", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{fn}: kernel_size, stride and dilation must be positive, got kernel_size={kernel}, "
                         f"stride={stride}, dilation={dilation}")
    for p, k in zip(padding, kernel):
        if p < 0 or p > k // 2:
            raise ValueError(f"{fn}: padding should be at most half of the kernel size, got padding={padding}, "
                             f"kernel_size={kernel}")
    for i in range(nd):
        if x.shape[-nd + i] + 2 * padding[i] < dilation[i] * (kernel[i] - 1) + 1:
            raise ValueError(f"{fn}: input of shape {tuple(x.shape)} is smaller than the kernel {kernel} "
                             f"(padding {padding})")
    return kernel, stride, padding, dilation


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, nd=2,
             relu=False):
    """Max pooling of ``x``; ``relu=True`` pools ``relu(x)`` in one node (see :class:`MaxPoolNd`)."""
    fn = f"max_pool{nd}d"
    if return_indices and relu:
        raise ValueError(f"{fn}: return_indices cannot be combined with relu=True")
    _check_input(fn, x, nd)
    kernel, stride, padding, dilation = _pool_args(fn, x, kernel_size, stride, padding, dilation, nd)
    xb, unbatched = _batched(x, nd)
    y = MaxPoolNd.apply(xb, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode,
                        relu=relu)
    if return_indices:
        from ..autograd import no_grad  # indices only need the forward geometry
        with no_grad():
            probe = MaxPoolNd()
            probe.needs_input_grad = (True,)
            probe.forward(xb.data, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                          ceil_mode=ceil_mode)
        from ..tensor import Tensor
        idx = Tensor(probe.indices())
        if unbatched:
            return y.squeeze(0), idx.squeeze(0)
        return y, idx
    return y.squeeze(0) if unbatched else y


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None,
             nd=2):
    fn = f"avg_pool{nd}d"
    _check_input(fn, x, nd)
    kernel, stride, padding, _ = _pool_args(fn, x, kernel_size, stride, padding, 1, nd)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override <= 0):
        raise ValueError(f"{fn}: divisor_override must be a positive int, got {divisor_override!r}")
    xb, unbatched = _batched(x, nd)
    y = AvgPoolNd.apply(xb, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                        count_include_pad=count_include_pad, divisor_override=divisor_override)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool(x, output_size, nd=2):
    fn = f"adaptive_avg_pool{nd}d"
    _check_input(fn, x, nd)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise ValueError(f"{fn}: output_size must be an int or a tuple of {nd}, got {output_size!r}")
        size = tuple(x.shape[-nd + i] if s is None else s for i, s in enumerate(output_size))
    else:
        size = (output_size,) * nd
    if any(not isinstance(s, int) or s < 1 for s in size):
        raise ValueError(f"{fn}: output_size must be positive ints, got {output_size!r}")
    xb, unbatched = _batched(x, nd)
    y = AdaptiveAvgPoolNd.apply(xb, output_size=size)
    return y.squeeze(0) if unbatched else y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``torch.nn.functional.max_pool1d`` over (N, C, L) (seed 002 §2.6)."""
    return max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd=1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``torch.nn.functional.max_pool2d`` over (N, C, H, W) (seed 002 §2.6)."""
    return max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd=2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``torch.nn.functional.max_pool3d`` over (N, C, D, H, W) (seed 002 §2.6)."""
    return max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd=3)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """``torch.nn.functional.avg_pool1d`` over (N, C, L) (seed 002 §2.6)."""
    return avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, nd=1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """``torch.nn.functional.avg_pool2d`` over (N, C, H, W) (seed 002 §2.6)."""
    return avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd=2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """``torch.nn.functional.avg_pool3d`` over (N, C, D, H, W) (seed 002 §2.6)."""
    return avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd=3)


def adaptive_avg_pool1d(input, output_size):
    """``torch.nn.functional.adaptive_avg_pool1d`` (seed 002 §4.4: global average pooling with size 1)."""
    return adaptive_avg_pool(input, output_size, nd=1)


def adaptive_avg_pool2d(input, output_size):
    """``torch.nn.functional.adaptive_avg_pool2d`` (seed 002 §4.4: global average pooling with size 1)."""
    return adaptive_avg_pool(input, output_size, nd=2)


def adaptive_avg_pool3d(input, output_size):
    """``torch.nn.functional.adaptive_avg_pool3d`` (size 1: global average pooling, seed 002 §4.4)."""
    return adaptive_avg_pool(input, output_size, nd=3)
