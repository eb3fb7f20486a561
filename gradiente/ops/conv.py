"""Fused convolution kernels: conv1d/2d and transposed conv1d/2d (seed 000 §5; seed 001; seed 002 §4.2, §4.3).

The convolution sum of seed 000 §5 (cross-correlation, as every framework computes it),

    z[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, c, s*i + d*u, s*j + d*v],

is one matrix product once the input windows are laid out as columns (im2col):
``col[(c, u, v), (n, i, j)] = x[n, c, s*i + d*u, s*j + d*v]`` is read through a
strided view (no Python loop) and copied once, then ``Z = W @ col``. Groups split
the channels into independent blocks: a batched matmul over the groups. With one
group the bias rides in the product as a row of ones under the columns, so the
weight gradient's product ``dL/dZ @ col^T`` also yields ``dL/db`` (its last column):
neither direction makes a pass over the output for the bias.

Backward, from the same sum (the delta recursion of seed 000 §2):

    dL/dW = dL/dZ @ col^T,   dL/db = sum of dL/dZ over batch and positions,
    dL/dcol = W^T @ dL/dZ,   dL/dx = col2im(dL/dcol),

where col2im adds every column back to the input position it was read from.
It loops over the k_h * k_w kernel offsets only, adding one strided slice per
offset (no loop over batch or pixels, no ``np.add.at``).

Two layouts of the same sum keep the additions' inner loops long: for
stride-1 2-D convolutions the input gradient adds whole padded rows
(``_input_grad_rows``), for 1-D ones one flat strided run per kernel offset
(``_input_grad_flat_1d``); when the channels outnumber the output columns
(strided layers on small maps, the DCGAN decoder) the scatter runs with the
channels innermost (``_scatter_channel_last``).

Stride-1, one-group 2-D convolutions with at least 16 (channel, kernel column)
pairs and at least 5 kernel rows skip the full im2col: the columns are built
for the kernel columns only and each kernel row reads a contiguous slice of
them (``ConvNd._forward_rows``), a kh times smaller copy; the weight gradient
reuses that matrix the same way, and the input gradient is its adjoint (one
product ``W^T @ dL/dZ`` for all kernel rows, one addition per kernel row into
the (channel, kernel column) rows, then one per kernel column into the input,
returned in the input's memory order). The images are the columns' innermost
axis, so every copy and addition runs over Wo N contiguous values. With fewer
kernel rows the saving is too small to pay for the extra passes, and the
general path is faster.

Without a gradient to compute (inference) nothing is saved, so stride-1,
one-group convolutions run a few images at a time, in cache: on flat windows,
where each column row is one contiguous run of the padded plane
(``_forward_flat``; 2-D outputs are left as the padded-width rows the products
wrote, a view with gaps between rows), or, when that would waste too much of
its product, the per-kernel-row layout above (``ConvNd._forward_rows_chunked``).

A first layer (no input gradient) whose im2col columns would be 4 or more
times its output (LeNet-5's 1 -> 6 5x5), and in inference every layer of that
shape (LeNet-5's two), runs in bands of output rows: the
input is copied once with the images innermost, (C, *S, N), each band's
columns are built in cache for its product (``_forward_bands``) and rebuilt
for the weight gradient (``_weight_grad_bands``), and the output goes out laid
out (C_out, *out, N). The pooling, activation and per-kernel-row convolution
after it then run over long contiguous runs of images, and their gradients
come back in that order (LeNet-5's step: 0.78x of the time with the earlier
NCHW kernels, alternating in one process).

Training takes the flat windows too when the maps are wide next to the kernel
and there are at least 16 output channels (the ResNet-style 3x3 layers on
16x16 maps and larger): only the padded input is saved, the weight gradient
multiplies the same contiguous column runs by the output gradient
(``_weight_grad_flat``). The input gradient takes the better shaped of two
equal sums: with fewer input than output channels (16->32, 3->16), the
product of W (rows (kernel row, c)) with kw shifted copies of the zero-widened
output gradient (K = kw C_out), and one contiguous addition per kernel row into
the flat padded planes (``_input_grad_scatter``: 2.0 -> 1.1-1.7 ms for the
16->32 3x3 layer on 32 maps of 16x16); otherwise a convolution of the fully
padded output gradient with the flipped kernel, through the same chunked
forward (``_input_grad_flat``). Nothing the size of im2col's columns is ever
built, and every chunk stays in cache.

The transposed convolution (seed 002 §4.9: the decoder's upsampling) is the
adjoint of the convolution: its forward is the col2im of ``W^T @ x`` and its
backward is the im2col path, so both directions share the two helpers below.

Everything works for any number of spatial dimensions; conv1d is the 1-D case.
Layouts follow PyTorch: input (N, C, *spatial), weight (C_out, C_in/groups, *k)
for the convolution and (C_in, C_out/groups, *k) for the transposed one.
"""
import itertools

from ..autograd import Function
from ..backend import xp
from ..blas import small_work
from .layout import empty_in_order, memory_order


# ------------------------------------------------------------------ helpers


def _prod(values):
    p = 1
    for v in values:
        p *= v
    return p


def _windows(xpad, kernel, stride, dilation, out):
    """Strided view (N, C, *out, *kernel) of the padded input: window (i, j) at offset (u, v)."""
    st = xpad.strides
    shape = tuple(xpad.shape[:2]) + tuple(out) + tuple(kernel)
    strides = (st[0], st[1]) + tuple(s * k for s, k in zip(st[2:], stride)) + tuple(
        s * d for s, d in zip(st[2:], dilation))
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)


def offset_views(xpad, kernel, stride, dilation, out):
    """Per kernel offset (in row-major order), the view (N, C, *out) of the padded input that each
    window reads at that offset: ``xpad[..., u d + s i, ...]``, by basic slicing (no copy; writable
    when ``xpad`` is, so adjoints add or write into them)."""
    return [xpad[(slice(None), slice(None)) + tuple(slice(u * d, u * d + s * (o - 1) + 1, s)
                                                    for u, d, s, o in zip(off, dilation, stride, out))]
            for off in itertools.product(*[range(k) for k in kernel])]


def im2col(xpad, kernel, stride, dilation, out, ones=False):
    """Columns of the input windows, shape (C * prod(kernel), N * prod(out)), C-major.

    The row index is (c, u, v) (matching ``weight.reshape(C_out, -1)``), the
    column index is (n, i, j); one copy of a strided view. ``ones`` appends a
    row of ones (the bias's row of the product).
    """
    nd = len(kernel)
    win = _windows(xpad, kernel, stride, dilation, out)
    axes = (1,) + tuple(range(2 + nd, 2 + 2 * nd)) + (0,) + tuple(range(2, 2 + nd))
    c = xpad.shape[1]
    rows, cols = c * _prod(kernel), xpad.shape[0] * _prod(out)
    if not ones:
        return win.transpose(axes).reshape(rows, cols)
    col = xp.empty((rows + 1, cols), dtype=xpad.dtype)
    col[:rows].reshape((c,) + tuple(kernel) + (xpad.shape[0],) + tuple(out))[...] = win.transpose(axes)
    col[rows] = 1
    return col


def col2im(col, shape, kernel, stride, dilation, out):
    """Adjoint of :func:`im2col`: add each column entry back to its input position.

    ``col`` has shape (C, *kernel, N, *out); the result has the padded input
    ``shape`` (N, C, *spatial). One strided-slice addition per kernel offset.
    """
    gx = xp.zeros(shape, dtype=col.dtype)
    offsets = itertools.product(*[range(k) for k in kernel])
    for offset, view in zip(offsets, offset_views(gx, kernel, stride, dilation, out)):
        view += col[(slice(None),) + offset].swapaxes(0, 1)
    return gx


def _scatter_channel_last(x2, wk, groups, n, spatial, shape, kernel, stride, dilation):
    """col2im with the channels innermost: used when C is larger than the rows col2im would add.

    ``x2`` (groups, A, M) holds the per-position inputs (M = N * prod(spatial)),
    ``wk`` (groups, A, prod(kernel) * Cg) the weights with columns ordered
    (kernel offset, channel). Their product gives, for every position and
    kernel offset, a contiguous run of C values; each kernel offset then adds
    one strided slice of a channel-last (N, *S, C) buffer whose inner loop runs
    over the channels, instead of over short output rows. Returns the
    (N, C, *S) result as a view of that buffer.
    """
    nd = len(kernel)
    kprod = wk.shape[2] // (shape[1] // groups)
    cols = xp.matmul(x2.swapaxes(1, 2), wk)  # (groups, M, K * Cg)
    if groups > 1:
        cols = cols.reshape(groups, -1, kprod, shape[1] // groups).transpose(1, 2, 0, 3)
    cols = cols.reshape((n,) + tuple(spatial) + tuple(kernel) + (shape[1],))
    buf = xp.zeros((shape[0],) + tuple(shape[2:]) + (shape[1],), dtype=cols.dtype)
    lead = (slice(None),) * (1 + nd)
    for offset in itertools.product(*[range(k) for k in kernel]):
        sl = tuple(slice(u * d, u * d + s * (o - 1) + 1, s) for u, d, s, o in zip(offset, dilation, stride, spatial))
        buf[(slice(None),) + sl] += cols[lead + offset]
    return xp.moveaxis(buf, -1, 1)


def _matmul_nt(a, b, block=4096):
    """``a @ b^T`` (batched over leading dims) summed over blocks of ``block`` columns of the shared last axis.

    The weight gradient contracts over every (image, position): a long
    shared axis with few rows on either side, where one BLAS call is
    several times slower than blocks that keep both operands in cache.
    """
    n = a.shape[-1]
    out = xp.matmul(a[..., :block], b[..., :block].swapaxes(-1, -2))
    for s in range(block, n, block):
        out += xp.matmul(a[..., s:s + block], b[..., s:s + block].swapaxes(-1, -2))
    return out


def _matmul_blocked(a, b, block=1024):
    """``a @ b`` for 2-D ``a`` (M, K) and contiguous ``b`` (K, N), summed over blocks of ``block`` of K.

    For the per-kernel-row weight gradient (M = C_in * k_w, N = C_out, K in the thousands)
    OpenBLAS runs this layout, in cache-sized blocks of K, about twice as fast as ``a @ b2.T``
    with ``b2`` (N, K), the layout :func:`_matmul_nt` serves.
    """
    out = a[:, :block] @ b[:block]
    for s in range(block, a.shape[1], block):
        out += a[:, s:s + block] @ b[s:s + block]
    return out


def _matmul_cols(a, b, block=4096, out=None):
    """``a @ b`` (batched over leading dims) in blocks of at most ``block`` columns of ``b`` (into ``out``).

    OpenBLAS runs a product with few rows (C_out = 6) and more than about 4,096
    columns two to three times slower than the same product in blocks
    (LeNet-5's first layer at batch 256, 6 x 26 by 26 x 7,168: 78 -> 37 us).
    """
    if out is None:
        out = xp.empty(b.shape[:-2] + (a.shape[-2], b.shape[-1]), dtype=b.dtype)
    n = b.shape[-1]
    step = -(-n // -(-n // block))  # equal blocks
    for s in range(0, n, step):
        xp.matmul(a, b[..., s:s + step], out=out[..., s:s + step])
    return out


def _row_columns(xpad, kw, dw, wo):
    """The per-kernel-row columns ``colv[(c, v), (h, j, n)] = xpad[n, c, h, j + v dw]`` (one copy)."""
    n, c_in, hp = xpad.shape[:3]
    st = xpad.strides
    view = xp.lib.stride_tricks.as_strided(
        xpad, (c_in, kw, hp, wo, n), (st[1], dw * st[3], st[2], st[3], st[0]), writeable=False)
    return view.reshape(c_in * kw, hp * wo * n)


def _to_channel_major(a):
    """(N, C, *S) -> contiguous (C, N * prod(S))."""
    return xp.ascontiguousarray(a.swapaxes(0, 1)).reshape(a.shape[1], -1)


def _from_channel_major(a2, n, spatial):
    """(C, N * prod(S)) -> (N, C, *S), contiguous."""
    c = a2.shape[0]
    return xp.ascontiguousarray(a2.reshape((c, n) + tuple(spatial)).swapaxes(0, 1))


def _pad(x, padding):
    """Zero padding of the spatial dims; ``padding`` lists (before, after) per spatial dim."""
    if not any(b or a for b, a in padding):
        return x
    out = xp.zeros(tuple(x.shape[:2]) + tuple(n + b + a for n, (b, a) in zip(x.shape[2:], padding)), dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[2:], padding))] = x
    return out  # (zeros + one slice copy is several times faster than np.pad on small arrays)


def _unpad(g, padding, spatial):
    if not any(b or a for b, a in padding):
        return g
    return g[(slice(None), slice(None)) + tuple(slice(b, b + n) for (b, _), n in zip(padding, spatial))]


def conv_out_size(size, k, stride, pad_total, dilation):
    return (size + pad_total - dilation * (k - 1) - 1) // stride + 1


# ------------------------------------------------------------------ convolution


class ConvNd(Function):
    """Convolution over 1 or 2 (or more) spatial dims; see the module docstring for the equations.

    ``padding`` is a tuple of (before, after) per spatial dim (PyTorch's
    'same' padding can be asymmetric), ``stride``/``dilation`` tuples per dim.
    """

    def forward(self, x, weight, bias=None, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1):
        self.work = weight.size * x.shape[0] * _prod(x.shape[2:]) // _prod(stride)  # multiply-adds, about
        with small_work(self.work):
            return self._forward(x, weight, bias, stride, padding, dilation, groups)

    def _forward(self, x, weight, bias, stride, padding, dilation, groups):
        nd = x.ndim - 2
        kernel = weight.shape[2:]
        spatial = x.shape[2:]
        out = tuple(conv_out_size(spatial[i], kernel[i], stride[i], sum(padding[i]), dilation[i]) for i in range(nd))
        c_out, c_in = weight.shape[:2]
        self.bands = self.flat = False
        self.rows = nd == 2 and stride == (1, 1) and groups == 1 and c_in * kernel[-1] >= 16 and kernel[0] >= 5
        self.has_bias = bias is not None
        pshape = tuple(x.shape[:2]) + tuple(n + b + a for n, (b, a) in zip(spatial, padding))
        self.geom = (x.shape, pshape, kernel, stride, padding, dilation, groups, out)
        # a first layer (no input gradient) whose im2col columns would be 4+ times its output (LeNet-5's
        # 1 -> 6 5x5): writing the columns out and reading them back costs more than rebuilding them in
        # cache for the weight gradient, and its output goes out with the images innermost (see _forward_bands).
        # In inference every layer of that shape takes this path (LeNet-5 at batch 256: 0.89-0.92x the time
        # of the flat-window and per-kernel-row paths, its first max-pool 1.8 -> 0.8 ms over runs of images)
        if not self.needs_input_grad[0] and groups == 1 and c_in * _prod(kernel) >= 4 * c_out:
            self.bands = True
            self.windows = _band_windows(_pad_images_last(x, padding), kernel, stride, dilation, out)
            self.weight = weight
            return _forward_bands(self.windows, weight, bias)
        xpad = _pad(x, padding)
        if not any(self.needs_input_grad):  # inference: nothing to save, so a few images at a time
            if self.rows and 4 * xpad.shape[-1] > 5 * out[-1]:  # the flat product would drop over 1/5 of itself
                return self._forward_rows_chunked(x, xpad, weight, bias, padding, dilation, out)
            if groups == 1 and all(s == 1 for s in stride) and _flat_pays(xpad.shape, c_out, out):
                return _forward_flat(xpad, weight, bias, dilation, out, gapped=nd == 2)
        # flat windows in training too (only xpad is saved) when the weight gradient's product is wide enough
        # (C_out >= 16), the rows are long next to the kernel (the input gradient's windows, padded by
        # d (k - 1) on both sides, waste little: measured, 8x8 maps lose, 16x16 and larger gain up to 2x)
        # and the per-kernel-row layout below is not the better one (few input channels)
        self.flat = (groups == 1 and all(s == 1 for s in stride) and c_out >= 16
                     and 8 * dilation[-1] * (kernel[-1] - 1) <= xpad.shape[-1]
                     and (not self.rows or c_in >= 16) and _flat_pays(xpad.shape, c_out, out))
        if self.flat:
            self.rows = False
            self.scatter = c_in < c_out  # input gradient: C_in < C_out favours W^T g
            self.xpad, self.weight = xpad, weight
            return _forward_flat(xpad, weight, bias, dilation, out, _TRAIN_CHUNK)
        if self.rows:
            self.x_order = memory_order(x)
            return self._forward_rows(x, xpad, weight, bias, padding, dilation, out)
        # one group with a bias: the bias rides in the product as a row of ones, and the weight gradient's
        # product then yields the bias gradient as its last row (no pass over the output for either)
        self.ones = groups == 1 and bias is not None
        col = im2col(xpad, kernel, stride, dilation, out, ones=self.ones)
        w3 = weight.reshape(groups, c_out // groups, -1)
        if self.ones:
            w3 = xp.concatenate([w3[0], bias[:, None]], axis=1)[None]
        z = _matmul_cols(w3, col.reshape(groups, w3.shape[2], -1)).reshape(c_out, -1)
        if bias is not None and not self.ones:
            z += bias[:, None]
        self.col, self.weight = col, weight
        return z.reshape((c_out, x.shape[0]) + tuple(out)).swapaxes(0, 1)  # a view: the next op reads it once

    def backward_graph(self, g):
        """The three gradients as convolutions, differentiable again (create_graph; seed 000 §2).

        dL/dx is the transposed convolution of g with the same weight over the
        padded input (output_padding takes the rows a stride skipped), cropped
        to the unpadded input; dL/dW is :func:`_weight_grad_graph`; dL/db a sum.
        """
        xshape, pshape, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        x, weight = self.inputs[:2]
        gx = gw = gb = None
        if need_x:
            extra = tuple((p - d * (k - 1) - 1) % s for p, k, s, d in zip(pshape[2:], kernel, stride, dilation))
            gx = ConvTransposeNd.apply(g, weight, None, stride=stride, padding=(0,) * len(kernel),
                                       output_padding=extra, dilation=dilation, groups=groups)
            gx = _unpad(gx, padding, xshape[2:])
        if need_w:
            gw = _weight_grad_graph(x, g, groups, kernel, stride, padding, dilation)
        if need_b:
            gb = g.sum(dim=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb

    def _forward_rows(self, x, xpad, weight, bias, padding, dilation, out):
        """Stride-1, one-group 2-D forward with the columns built for the kernel columns only.

        ``colv[(c, v), (h, j, n)] = xpad[n, c, h, j + v dw]`` holds every padded
        row h, so the full im2col for kernel row u is the contiguous column
        range h in [u dh, u dh + Ho): a plain 2-D slice that the matrix product
        reads in place. ``Z = sum_u W[:, :, u, :] @ colv[:, rows u]`` with Z laid
        out (C_out, Ho, Wo, N); the copy is kh times smaller than im2col's. The
        images are the innermost axis: the copy and the backward's additions
        then run over Wo N contiguous values instead of Wo, and the output
        gradient, which comes back in the output's memory order, is already
        the product's operand.
        """
        n = xpad.shape[0]
        c_out, c_in, kh, kw = weight.shape
        dh = dilation[0]
        ho, wo = out
        colv = _row_columns(xpad, kw, dilation[1], wo)
        step = wo * n
        size = ho * step
        z = xp.empty((c_out, size), dtype=x.dtype)
        tmp = xp.empty((c_out, size), dtype=x.dtype) if kh > 1 else None
        for u in range(kh):
            wu = xp.ascontiguousarray(weight[:, :, u, :]).reshape(c_out, c_in * kw)
            part = colv[:, u * dh * step:u * dh * step + size]
            if u == 0:
                xp.matmul(wu, part, out=z)
            else:
                xp.matmul(wu, part, out=tmp)
                z += tmp
        if bias is not None:
            z += bias[:, None]
        self.col, self.weight = colv, weight
        return z.reshape(c_out, ho, wo, n).transpose(3, 0, 1, 2)

    def _forward_rows_chunked(self, x, xpad, weight, bias, padding, dilation, out):
        """:meth:`_forward_rows` a chunk of images at a time, when no gradient is needed: the columns,
        products and the transposed copy into (N, C_out, Ho, Wo) stay in cache."""
        n, c_in, hp = xpad.shape[:3]
        chunk = max(1, _CHUNK // (2 * c_in * weight.shape[3] * hp * out[1]))
        y = xp.empty((n, weight.shape[0]) + tuple(out), dtype=x.dtype)
        for s in range(0, n, chunk):
            y[s:s + chunk] = self._forward_rows(x[s:s + chunk], xpad[s:s + chunk], weight, bias, padding, dilation, out)
        return y

    def _backward_rows(self, g):
        xshape, pshape, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        weight = self.weight
        c_out, c_in, kh, kw = weight.shape
        n = xshape[0]
        ho, wo = out
        dh = dilation[0]
        step = wo * n
        size = ho * step
        gx = gw = gb = None
        g2 = xp.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(c_out, size)  # a view when g is (C, H, W, N)
        if need_w:
            g2t = xp.ascontiguousarray(g2.T)  # rows (h, j, n), as colv's columns
            colv = self.col
            gw = xp.empty((c_out, c_in, kh, kw), dtype=g.dtype)
            for u in range(kh):
                part = colv[:, u * dh * step:u * dh * step + size]
                gw[:, :, u, :] = _matmul_blocked(part, g2t).reshape(c_in, kw, c_out).transpose(2, 0, 1)
        if need_b:
            gb = g2.sum(axis=1)
        if need_x:
            # the adjoint of the forward: per kernel row, W_u^T @ g2 adds into rows [u dh, u dh + Ho) of the
            # (c, v) columns; then one strided addition per kernel column folds them back into the input
            hp, wp = pshape[2:]
            dw = dilation[1]
            wt = xp.ascontiguousarray(weight.transpose(2, 1, 3, 0)).reshape(kh * c_in * kw, c_out)
            parts = (wt @ g2).reshape(kh, c_in * kw, size)  # one product: K = C_out is small, M = kh C_in kw
            gcolv = xp.empty((c_in * kw, hp * step), dtype=g.dtype)
            gcolv[:, :size] = parts[0]  # the first kernel row and column are copied, not added to zeros
            gcolv[:, size:] = 0
            for u in range(1, kh):
                gcolv[:, u * dh * step:u * dh * step + size] += parts[u]
            gcolv = gcolv.reshape(c_in, kw, hp, wo, n)
            buf = xp.empty((c_in, hp, wp, n), dtype=g.dtype)
            buf[:, :, :wo] = gcolv[:, 0]
            buf[:, :, wo:] = 0
            for v in range(1, kw):
                buf[:, :, v * dw:v * dw + wo] += gcolv[:, v]
            gx = buf.transpose(3, 0, 1, 2)
            if memory_order(gx) != self.x_order:
                # into the input's memory order: a max-pool feeding this layer writes its own gradient in its
                # input's order, and its backward runs several times faster on aligned arrays
                gx = empty_in_order(pshape, self.x_order, g.dtype)
                gx[...] = buf.transpose(3, 0, 1, 2)
            gx = _unpad(gx, padding, xshape[2:])
        return gx, gw, gb

    def _backward_flat(self, g):
        """Backward of the flat-window forward: both gradients on flat windows, a chunk of images at a time."""
        xshape, pshape, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        gx = gw = gb = None
        if need_w:
            gw = _weight_grad_flat(self.xpad, g, kernel, dilation, out)
        if self.has_bias and self.needs_input_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        if need_x:
            if self.scatter:
                gxp = _input_grad_scatter(g, self.weight, pshape, dilation, out)
            else:
                gxp = _input_grad_flat(g, self.weight, pshape, dilation)
            gx = _unpad(gxp, padding, xshape[2:])
        return gx, gw, gb

    def backward(self, g):
        with small_work(self.work):
            return self._backward(g)

    def _backward(self, g):
        if self.bands:
            need_b = self.has_bias and self.needs_input_grad[2]
            gw, gb = _weight_grad_bands(self.windows, g, self.weight.shape, need_b)
            return None, (gw if self.needs_input_grad[1] else None), gb
        if self.flat:
            return self._backward_flat(g)
        if self.rows:
            return self._backward_rows(g)
        xshape, pshape, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        weight = self.weight
        c_out = weight.shape[0]
        g2 = _to_channel_major(g).reshape(groups, c_out // groups, -1)
        gx = gw = gb = None
        if need_w:
            col = self.col
            gw = xp.ascontiguousarray(_matmul_nt(col.reshape(groups, -1, col.shape[1]), g2).swapaxes(1, 2))
            if self.ones:  # the last column: the product with the row of ones, the bias gradient
                gw, gb = gw[0, :, :-1], (gw[0, :, -1].copy() if need_b else None)
            gw = gw.reshape(weight.shape)
        if need_b and gb is None:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        if need_x:
            w3 = weight.reshape(groups, c_out // groups, -1)
            if len(kernel) == 2 and stride == (1, 1):
                gxp = _input_grad_rows(g, w3, pshape, kernel, dilation, out)
            elif len(kernel) == 1:
                gxp = _input_grad_flat_1d(g, weight, groups, pshape, kernel[0], stride[0], dilation[0], out[0])
            elif xshape[1] > out[-1]:
                cg = xshape[1] // groups
                wk = weight.reshape((groups, c_out // groups, cg, -1)).swapaxes(2, 3).reshape(groups, c_out // groups, -1)
                gxp = _scatter_channel_last(g2, wk, groups, xshape[0], out, pshape, kernel, stride, dilation)
            else:
                gcol = xp.matmul(w3.swapaxes(1, 2), g2)  # (groups, C_in/g * K, N * out)
                gcol = gcol.reshape((xshape[1],) + tuple(kernel) + (xshape[0],) + tuple(out))
                gxp = col2im(gcol, pshape, kernel, stride, dilation, out)
            gx = _unpad(gxp, padding, xshape[2:])
        return gx, gw, gb


_CHUNK = 1 << 17  # elements of an inference chunk's columns (512 KB of float32, inside L2); best of 2^15 to 2^18
# training's flat-window chunks: larger, so that each product is worth splitting over OpenBLAS's threads
# (the 16->32 3x3 layer on 2 threads: 4.2 ms at 2^17, 3.7 at 2^19; the same on one thread)
_TRAIN_CHUNK = 1 << 19


def _flat_pays(pshape, c_out, out):
    """Whether :func:`_forward_flat` beats im2col: its dropped columns cost C_out multiply-adds each,
    its contiguous copy saves about 32 of them per kept column (measured on LeNet-5 to ResNet shapes)."""
    kept = _prod(out)
    return c_out * (out[0] * _prod(pshape[3:]) - kept) <= 32 * kept


def _flat_columns(xpad, kernel, dilation, out, n, extra=0, size=_CHUNK):
    """The flat-window column buffer of :func:`_forward_flat` and the strided view that fills it.

    Returns ``(col, runs, view, chunk, wide)``: ``col`` (C_in prod(kernel) + extra, chunk, wide) with
    its columns p >= L zero, ``runs`` the view of its first rows that takes a chunk of ``view``
    (C_in, *kernel, N, L), the contiguous runs of the padded planes, and ``chunk`` images fill
    about ``size`` elements.
    """
    c_in, pspatial = xpad.shape[1], xpad.shape[2:]
    xpad = xp.ascontiguousarray(xpad)
    st, item = xpad.strides, xpad.itemsize
    length = sum((o - 1) * s // item for o, s in zip(out, st[2:])) + 1
    wide = out[0] * _prod(pspatial[1:])
    rows = c_in * _prod(kernel)
    offsets = tuple(d * s for d, s in zip(dilation, st[2:]))
    view = xp.lib.stride_tricks.as_strided(
        xpad, (c_in,) + tuple(kernel) + (n, length), (st[1],) + offsets + (st[0], item), writeable=False)
    chunk = max(1, min(n, size // ((rows + extra) * wide)))
    col = xp.zeros((rows + extra, chunk, wide), dtype=xpad.dtype)
    runs = col[:rows].reshape((c_in,) + tuple(kernel) + (chunk, wide))[..., :length]  # a view: splits one axis
    return col, runs, view, chunk, wide


def _forward_flat(xpad, weight, bias, dilation, out, size=_CHUNK, gapped=False):
    """Stride-1, one-group convolution when no gradient is needed: flat windows, a few images at a time.

    With each padded plane flattened (row length Wp), output (i, j) sits at
    p = i Wp + j and its window's offset (u, v) at p + u dh Wp + v dw, so the
    row (c, u, v) of the columns is one contiguous run of the plane,

        col[(c, u, v), (n, p)] = xflat[n, c, p + u dh Wp + v dw],   p < L = (Ho - 1) Wp + Wo,

    copied far faster than im2col's rows of Wo. The product is then Wp wide;
    the columns j >= Wo read across a row's end and are dropped when the
    output is cropped. The bias rides in the product as a row of ones. A
    chunk of images at a time (copy, product, crop into (N, C_out, *out))
    stays in cache. The same holds for any number of spatial dims.

    ``gapped``: the products write straight into a (C_out, N, Ho, *Wp) buffer and the output is its
    view [..., :Wo] (rows with gaps, (C, N) ordered), without the cropping copy (LeNet-5's first
    layer at batch 256: 0.35-0.5 ms of 2.2); the element-wise passes after it run over the whole
    rows (:func:`~gradiente.ops.layout.dense_cover`), pooling reads its views.
    """
    n = xpad.shape[0]
    kernel, pspatial, c_out = weight.shape[2:], xpad.shape[2:], weight.shape[0]
    extra = 0 if bias is None else 1  # the bias rides in the product as a row of ones
    col, runs, view, chunk, wide = _flat_columns(xpad, kernel, dilation, out, n, extra, size)
    rows = col.shape[0] - extra
    w2 = weight.reshape(c_out, rows)
    if bias is not None:
        w2 = xp.concatenate([w2, bias[:, None]], axis=1)
        col[rows] = 1
    crop = (slice(None),) * 3 + tuple(slice(0, o) for o in out[1:])
    if gapped:
        full = xp.empty((c_out, n * wide), dtype=xpad.dtype)
        for s in range(0, n, chunk):
            b = min(chunk, n - s)
            runs[..., :b, :] = view[..., s:s + b, :]
            xp.matmul(w2, col[:, :b].reshape(-1, b * wide), out=full[:, s * wide:(s + b) * wide])
        return full.reshape((c_out, n, out[0]) + tuple(pspatial[1:]))[crop].swapaxes(0, 1)
    z = xp.empty((c_out, chunk * wide), dtype=xpad.dtype)
    y = xp.empty((n, c_out) + tuple(out), dtype=xpad.dtype)
    for s in range(0, n, chunk):
        b = min(chunk, n - s)
        runs[..., :b, :] = view[..., s:s + b, :]
        zb = z[:, :b * wide]
        xp.matmul(w2, col[:, :b].reshape(-1, b * wide), out=zb)
        y[s:s + b] = zb.reshape((c_out, b, out[0]) + tuple(pspatial[1:]))[crop].swapaxes(0, 1)
    return y


def _pad_images_last(x, padding):
    """The zero-padded input laid out (C, *S_padded, N), the images innermost; one copy from ``x``
    (N, C, *S) (also for no padding: copying the padded (N, C, 32, 32) LeNet-5 input, whose image stride
    is 4 KB, into this order takes 7 times longer than copying the unpadded one)."""
    spatial = x.shape[2:]
    out = xp.zeros((x.shape[1],) + tuple(n + b + a for n, (b, a) in zip(spatial, padding)) + (x.shape[0],),
                   dtype=x.dtype)
    out[(slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(spatial, padding))] = xp.moveaxis(x, 0, -1)
    return out


def _band_windows(xt, kernel, stride, dilation, out):
    """Strided view (C, *kernel, *out, N) of the images-last padded input ``xt`` (C, *S, N): the im2col
    columns with the images innermost, ``view[c, *k, i, ..., n] = xt[c, s i + d k, ..., n]``
    (:func:`_windows` of the same memory, its axes reordered)."""
    nd = len(kernel)
    win = _windows(xp.moveaxis(xt, -1, 0), kernel, stride, dilation, out)  # (N, C, *out, *kernel)
    return win.transpose((1,) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd)) + (0,))


def _band_columns(windows, first, last, extra, buf):
    """The im2col columns of output rows [first, last) of ``windows`` (:func:`_band_windows`), built in
    ``buf`` as (C prod(kernel) + extra, (i, ..., n)); ``extra`` = 1 adds the bias's row of ones. With
    stride 1 along the last axes each (c, k, i) copies one contiguous run of prod(out[1:]) N values."""
    nd = (windows.ndim - 2) // 2
    view = windows[(slice(None),) * (1 + nd) + (slice(first, last),)]
    rows = _prod(view.shape[:1 + nd])
    cols = view.size // rows
    col = buf[:(rows + extra) * cols].reshape(rows + extra, cols)
    col[:rows].reshape(view.shape)[...] = view
    if extra:
        col[rows] = 1
    return col


def _bands(windows, extra):
    """``(rows per band, buffer)``: each band's columns fill about ``_CHUNK`` values (in L2)."""
    nd = (windows.ndim - 2) // 2
    out = windows.shape[1 + nd:-1]
    per_row = (_prod(windows.shape[:1 + nd]) + extra) * _prod(out[1:]) * windows.shape[-1]
    band = max(1, min(out[0], _CHUNK // per_row))
    return band, xp.empty(band * per_row, dtype=windows.dtype)


def _forward_bands(windows, weight, bias):
    """Convolution over the images-last windows (:func:`_band_windows`), a band of output rows at a time.

    Each band's im2col columns (:func:`_band_columns`, the bias's row of ones under them) stay in
    cache for their product; the output is laid out (C_out, *out, N) and returned as an (N, C_out,
    *out) view. With the images innermost, the pooling, activation and convolution after it run
    their passes over long contiguous runs (LeNet-5's first max-pool: 0.48 -> 0.23 ms forward).
    """
    nd, n, c_out = weight.ndim - 2, windows.shape[-1], weight.shape[0]
    out = windows.shape[1 + nd:-1]
    extra = 0 if bias is None else 1
    w2 = weight.reshape(c_out, -1)
    if bias is not None:
        w2 = xp.concatenate([w2, bias[:, None]], axis=1)
    band, buf = _bands(windows, extra)
    per_row = _prod(out[1:]) * n
    z = xp.empty((c_out, out[0] * per_row), dtype=windows.dtype)
    for first in range(0, out[0], band):
        last = min(out[0], first + band)
        col = _band_columns(windows, first, last, extra, buf)
        _matmul_cols(w2, col, out=z[:, first * per_row:last * per_row])
    return xp.moveaxis(z.reshape((c_out,) + tuple(out) + (n,)), -1, 0)


def _weight_grad_bands(windows, g, wshape, bias):
    """dL/dW = dL/dZ @ col^T (and dL/db, the product with the row of ones) of :func:`_forward_bands`,
    each band's columns rebuilt in cache; the output gradient, images innermost (the order the
    layers after the forward return it in), is read in place."""
    nd, n, c_out = len(wshape) - 2, windows.shape[-1], wshape[0]
    out = windows.shape[1 + nd:-1]
    rows = _prod(wshape[1:])
    extra = 1 if bias else 0
    g2 = xp.ascontiguousarray(xp.moveaxis(g, 0, -1)).reshape(c_out, -1)
    band, buf = _bands(windows, extra)
    per_row = _prod(out[1:]) * n
    acc = xp.zeros((c_out, rows + extra), dtype=g.dtype)
    for first in range(0, out[0], band):
        last = min(out[0], first + band)
        col = _band_columns(windows, first, last, extra, buf)
        acc += g2[:, first * per_row:last * per_row] @ col.T
    return acc[:, :rows].reshape(wshape), (acc[:, rows].copy() if bias else None)


def _weight_grad_flat(xpad, g, kernel, dilation, out):
    """dL/dW of a stride-1, one-group convolution on the flat windows of :func:`_forward_flat`.

    From the convolution sum, dL/dW[o, (c, u, v)] = sum over (n, p) of dL/dZ[n, o, p] xflat[n, c, p + offset(u, v)],
    with p running over each padded plane's flat positions: the output gradient is widened with zero
    columns to the padded row length (so the windows' dropped columns contribute nothing), laid out
    channel-last, and multiplied by the same contiguous column runs the forward copies, a chunk of
    images at a time (both operands stay in cache).
    """
    n, c_in = xpad.shape[:2]
    c_out, pspatial = g.shape[1], xpad.shape[2:]
    col, runs, view, chunk, wide = _flat_columns(xpad, kernel, dilation, out, n, size=_TRAIN_CHUNK)
    rows = col.shape[0]
    gt = xp.zeros((n, out[0]) + tuple(pspatial[1:]) + (c_out,), dtype=g.dtype)
    gt[(slice(None), slice(None)) + tuple(slice(0, o) for o in out[1:])] = xp.moveaxis(g, 1, -1)
    gt = gt.reshape(n * wide, c_out)
    acc = xp.zeros((rows, c_out), dtype=g.dtype)
    for s in range(0, n, chunk):
        b = min(chunk, n - s)
        runs[..., :b, :] = view[..., s:s + b, :]
        acc += col[:, :b].reshape(rows, b * wide) @ gt[s * wide:(s + b) * wide]
    return xp.ascontiguousarray(acc.T).reshape((c_out, c_in) + tuple(kernel))


def _input_grad_flat(g, weight, pshape, dilation):
    """dL/d(padded input) of a stride-1, one-group convolution: a convolution itself.

    dL/dxpad[n, c, q] = sum_{o, u} W[o, c, u] dL/dZ[n, o, q - d u]: the correlation of the output
    gradient, padded by d (k - 1) on both sides, with the kernel flipped and its channel axes swapped;
    it runs through :func:`_forward_flat`, in cache, a chunk of images at a time.
    """
    nd = weight.ndim - 2
    full = tuple(d * (k - 1) for d, k in zip(dilation, weight.shape[2:]))
    gpad = _pad(g, tuple((f, f) for f in full))
    flipped = xp.ascontiguousarray(weight[(slice(None), slice(None)) + (slice(None, None, -1),) * nd].swapaxes(0, 1))
    return _forward_flat(gpad, flipped, None, dilation, tuple(pshape[2:]), _TRAIN_CHUNK)


def _input_grad_scatter(g, weight, pshape, dilation, out):
    """dL/d(padded input) of a stride-1, one-group convolution: the adjoint of the flat windows.

    dL/dxflat[n, c, p + off(u, v)] += sum_o W[o, c, u, v] dL/dZ[n, o, p], with p running over the
    output gradient widened with zero columns to the padded row length, so that output p and input
    p + off(u, v) are flat positions of one padded plane. The last kernel axis (v) is summed by the
    product: its shifted copies ``G[(v, o), q] = g[o, q - v d]`` (K = kw C_out) times W with rows
    (leading kernel offsets u, c) give, per u, the gradient of one contiguous run of every plane,
    which one addition per u puts at offset u d Wp (instead of one addition per (u, v)). The zero
    columns add nothing; past a plane's end only zeros spill (into the next plane, or into slack
    after the last). A chunk of images at a time keeps the columns in cache. Unlike
    :func:`_input_grad_flat`, no kh kw times larger columns are copied: it pays when C_in < C_out
    (2.0 -> 1.1-1.7 ms for the 16->32 3x3 layer on 32 maps of 16x16, the same for any number of dims).
    """
    n, c_in, pspatial = pshape[0], pshape[1], tuple(pshape[2:])
    c_out, kernel = weight.shape[0], weight.shape[2:]
    kl, dl = kernel[-1], dilation[-1]
    pst = [_prod(pspatial[i + 1:]) for i in range(len(kernel))]
    plane, wide = _prod(pspatial), out[0] * pst[0]
    wide2 = wide + (kl - 1) * dl  # room for the last shift
    offsets = [sum(u * d * s for u, d, s in zip(off, dilation, pst))
               for off in itertools.product(*[range(k) for k in kernel[:-1]])]
    wv = xp.ascontiguousarray(weight.reshape(c_out, c_in, -1, kl).transpose(2, 1, 3, 0)).reshape(-1, kl * c_out)
    chunk = max(1, min(n, _TRAIN_CHUNK // (wv.shape[0] * wide2)))
    gs = xp.zeros((kl, c_out, chunk, wide2), dtype=g.dtype)
    crop = (Ellipsis,) + tuple(slice(0, o) for o in out[1:])
    shifted = [gs[v, :, :, v * dl:v * dl + wide].reshape((c_out, chunk, out[0]) + pspatial[1:])[crop]
               for v in range(kl)]
    flat = xp.zeros((c_in, n * plane + max(offsets) + wide2), dtype=g.dtype)  # channel-major: (c, n) planes
    for s in range(0, n, chunk):
        b = min(chunk, n - s)
        for v in range(kl):
            shifted[v][:, :b] = g[s:s + b].swapaxes(0, 1)
        rows = (wv @ gs[:, :, :b].reshape(kl * c_out, b * wide2)).reshape(len(offsets), c_in, b, wide2)
        for k, off in enumerate(offsets):
            start = s * plane + off
            flat[:, start:start + b * plane].reshape(c_in, b, plane)[:, :, :wide2] += rows[k]
    return flat[:, :n * plane].reshape((c_in, n) + pspatial).swapaxes(0, 1)


def _weight_grad_graph(a, g, groups, kernel, stride, padding, dilation):
    """dL/dW[o, c, u] = sum_{n, i} g[n, o, i] a_pad[n, c, s i + d u] as a convolution of tensors (create_graph).

    With batch and channel axes swapped (the channels of ``a`` in the batch
    axis, its images as input channels, g as the kernel) this is a
    convolution with stride d and dilation s, at least ``kernel`` long and
    cropped to it. Groups stay groups: ``a``'s images are laid out per group.
    Returns (channels of g, channels of a / groups, *kernel).
    """
    n, c = a.shape[:2]
    o, nd = g.shape[1], len(kernel)
    sp = tuple(range(3, 3 + nd))
    at = a.reshape(n, groups, c // groups, *a.shape[2:]).permute(2, 1, 0, *sp).reshape(c // groups, groups * n,
                                                                                    *a.shape[2:])
    gt = g.reshape(n, groups, o // groups, *g.shape[2:]).permute(1, 2, 0, *sp).reshape(o, n, *g.shape[2:])
    w = ConvNd.apply(at, gt, None, stride=dilation, padding=padding, dilation=stride, groups=groups)
    w = w[(slice(None), slice(None)) + tuple(slice(0, k) for k in kernel)]
    return w.transpose(0, 1)


def _input_grad_flat_1d(g, weight, groups, pshape, k, s, d, lo):
    """dL/dx of a 1-D convolution (any stride) as k strided additions over one flat buffer.

    The gradient is accumulated channel-major, as a flat array of (C, N) rows
    of length s * Lw (Lw = ceil(Lp / s)); input position s i + u d of a row is
    then flat index s (row Lw + i) + u d, so kernel offset u adds one strided
    run over the whole buffer. The output gradient is widened with zeros from
    Lo to Lw positions; those zeros are what spills past a row's end.
    """
    n, c_in, lp = pshape
    lw = -(-lp // s)
    c_out = g.shape[1]
    cg, og = c_in // groups, c_out // groups
    gw_ = xp.zeros((c_out, n, lw), dtype=g.dtype)
    gw_[:, :, :lo] = g.swapaxes(0, 1)
    wt = weight.reshape(groups, og, cg, k).transpose(0, 3, 2, 1).reshape(groups, k * cg, og)  # rows (u, c)
    gcol = xp.matmul(wt, gw_.reshape(groups, og, n * lw)).reshape(groups, k, cg, n * lw)
    if groups > 1:
        gcol = gcol.swapaxes(0, 1)
    gcol = gcol.reshape(k, c_in * n * lw)
    size = c_in * n * lw
    buf = xp.zeros(s * size + d * (k - 1), dtype=g.dtype)
    for u in range(k):
        buf[u * d:u * d + s * size:s] += gcol[u]
    return buf[:s * size].reshape(c_in, n, s * lw)[:, :, :lp].swapaxes(0, 1)


def _input_grad_rows(g, w3, pshape, kernel, dilation, out):
    """dL/dx of a stride-1 2-D convolution with whole padded rows as the unit of work.

    The output gradient is widened with zero columns to the padded input
    width Wp, so that output position (i, j) and input position (i + u d, j + v d)
    sit at flat offsets p and p + (u d Wp + v d) of their planes. Each kernel
    offset then adds one contiguous run of Ho * Wp values per (n, c), instead
    of Ho short rows of Wo: the same sum as ``col2im``, with far fewer, longer
    inner loops. The zero columns contribute nothing. The columns are
    computed one kernel row at a time into one reused buffer, which keeps the
    temporary kh times smaller.
    """
    n, c_in, hp, wp = pshape
    (kh, kw), (dh, dw), (ho, wo) = kernel, dilation, out
    groups, og = w3.shape[:2]
    cg = c_in // groups
    gw_ = xp.zeros((g.shape[1], n, ho, wp), dtype=g.dtype)
    gw_[..., :wo] = g.swapaxes(0, 1)
    g3 = gw_.reshape(groups, og, -1)
    w5 = w3.reshape(groups, og, cg, kh, kw)
    length = ho * wp
    gcol = xp.empty((groups, cg * kw, n * length), dtype=g.dtype)
    buf = xp.zeros((n, c_in, hp * wp + (kw - 1) * dw), dtype=g.dtype)
    for u in range(kh):
        wu = xp.ascontiguousarray(w5[:, :, :, u, :].reshape(groups, og, cg * kw).swapaxes(1, 2))
        xp.matmul(wu, g3, out=gcol)
        rows = gcol.reshape(c_in, kw, n, length)
        for v in range(kw):
            off = u * dh * wp + v * dw
            buf[:, :, off:off + length] += rows[:, v].swapaxes(0, 1)
    return buf[:, :, :hp * wp].reshape(n, c_in, hp, wp)


class ConvTransposeNd(Function):
    """Transposed convolution: the adjoint (input gradient) of :class:`ConvNd` (seed 002 §4.9).

    Each input pixel scatters ``x[n, c] * w[c, o]`` into the output window it
    would have been read from; output size
    (L - 1) s - 2p + d (k - 1) + output_padding + 1.
    """

    def forward(self, x, weight, bias=None, stride=(1,), padding=(0,), output_padding=(0,), dilation=(1,),
                groups=1):
        self.work = weight.size * x.shape[0] * _prod(x.shape[2:])  # multiply-adds, about
        with small_work(self.work):
            return self._forward(x, weight, bias, stride, padding, output_padding, dilation, groups)

    def _forward(self, x, weight, bias, stride, padding, output_padding, dilation, groups):
        nd = x.ndim - 2
        n, c_in = x.shape[:2]
        spatial = x.shape[2:]
        kernel = weight.shape[2:]
        c_out = weight.shape[1] * groups
        out = tuple((spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1)
                    + output_padding[i] + 1 for i in range(nd))
        full = tuple(max((spatial[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1, padding[i] + out[i])
                     for i in range(nd))
        x2 = _to_channel_major(x)
        x3 = x2.reshape(groups, c_in // groups, -1)
        if c_out > spatial[-1]:
            cg = c_out // groups
            wk = weight.reshape(groups, c_in // groups, cg, -1).swapaxes(2, 3).reshape(groups, c_in // groups, -1)
            buf = _scatter_channel_last(x3, wk, groups, n, spatial, (n, c_out) + full, kernel, stride, dilation)
        else:
            w3 = weight.reshape(groups, c_in // groups, -1)
            col = xp.matmul(w3.swapaxes(1, 2), x3)
            col = col.reshape((c_out,) + tuple(kernel) + (n,) + tuple(spatial))
            buf = col2im(col, (n, c_out) + full, kernel, stride, dilation, spatial)
        y = buf[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(padding, out))]
        if bias is not None:
            y = y + bias.reshape((1, -1) + (1,) * nd)
        self.x2, self.weight = x2, weight
        self.has_bias = bias is not None
        self.geom = (x.shape, full, kernel, stride, padding, dilation, groups, out)
        return xp.ascontiguousarray(y)

    def backward(self, g):
        with small_work(self.work):
            return self._backward(g)

    def _backward(self, g):
        xshape, full, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        n, c_in = xshape[:2]
        spatial = xshape[2:]
        weight = self.weight
        gpad = xp.zeros(g.shape[:2] + tuple(full), dtype=g.dtype)
        gpad[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(padding, out))] = g
        col = im2col(gpad, kernel, stride, dilation, spatial)  # (C_out * K, N * spatial)
        col3 = col.reshape(groups, -1, col.shape[1])
        gx = gw = gb = None
        if need_x:
            w3 = weight.reshape(groups, c_in // groups, -1)
            gx = _from_channel_major(xp.matmul(w3, col3).reshape(c_in, -1), n, spatial)
        if need_w:
            x3 = self.x2.reshape(groups, c_in // groups, -1)
            gw = xp.matmul(x3, col3.swapaxes(1, 2)).reshape(weight.shape)
        if need_b:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb

    def backward_graph(self, g):
        """The adjoint's gradients, differentiable again (create_graph; seed 002 §4.9).

        dL/dx is the convolution of g with the same weight (cropped: with
        output_padding >= stride it would be longer than x); dL/dW the
        convolution of :func:`_weight_grad_graph` with the roles of x and g
        exchanged; dL/db a sum.
        """
        xshape, full, kernel, stride, padding, dilation, groups, out = self.geom
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        x, weight = self.inputs[:2]
        pads = tuple((p, p) for p in padding)
        gx = gw = gb = None
        if need_x:
            gx = ConvNd.apply(g, weight, None, stride=stride, padding=pads, dilation=dilation, groups=groups)
            gx = gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in xshape[2:])]
        if need_w:
            gw = _weight_grad_graph(g, x, groups, kernel, stride, pads, dilation)
        if need_b:
            gb = g.sum(dim=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


# ------------------------------------------------------------------ argument checking (shared by F and nn)


def ntuple(value, n, name, fn):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        value = tuple(value)
    else:
        value = (value,) * n
    for v in value:
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return value


def same_padding(kernel, dilation):
    """(before, after) per dim so that stride-1 output size equals input size; extra on the right, like PyTorch."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def batched_layout(nd):
    """How a batched input of ``nd`` spatial dims is laid out, for error messages: '(N, C, H, W)' for 2."""
    return f"(N, C, {('L', 'H, W', 'D, H, W')[nd - 1]})"


def _check_tensor_pair(fn, x, weight, nd, transposed):
    if x.ndim != nd + 2:
        raise ValueError(
            f"{fn}: expected a batched input of {nd + 2} dims {batched_layout(nd)}, "
            f"got shape {tuple(x.shape)}"
        )
    if weight.ndim != nd + 2:
        raise ValueError(f"{fn}: expected a weight of {nd + 2} dims, got shape {tuple(weight.shape)}")
    if x.dtype != weight.dtype:
        raise TypeError(f"{fn}: input dtype {x.dtype} and weight dtype {weight.dtype} differ")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating point input, got dtype {x.dtype}")


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, nd=2):
    """Shared body of ``conv1d``/``conv2d`` with PyTorch's argument rules and error messages."""
    fn = f"conv{nd}d"
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check_tensor_pair(fn, x, weight, nd, False)
    stride = ntuple(stride, nd, "stride", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{fn}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{fn}: in_channels ({c_in}) and out_channels ({c_out}) must be divisible by groups ({groups})")
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"{fn}: weight of shape {tuple(weight.shape)} expects input with {weight.shape[1] * groups} channels "
            f"(groups={groups}), got input of shape {tuple(x.shape)}"
        )
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions (stride={stride})")
            pads = same_padding(kernel, dilation)
        else:
            raise ValueError(f"{fn}: padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    else:
        pads = tuple((p, p) for p in ntuple(padding, nd, "padding", fn))
        if any(p < 0 for p, _ in pads):
            raise ValueError(f"{fn}: padding must be non-negative, got {padding!r}")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{fn}: bias must have shape ({c_out},), got {tuple(bias.shape)}")
    for i in range(nd):
        size = x.shape[2 + i] + sum(pads[i])
        if size < dilation[i] * (kernel[i] - 1) + 1:
            raise ValueError(
                f"{fn}: input of shape {tuple(x.shape)} with padding {pads[i]} is smaller than the "
                f"(dilated) kernel {kernel} in spatial dim {i}"
            )
    out = ConvNd.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, nd=2):
    """Shared body of ``conv_transpose1d``/``conv_transpose2d`` (PyTorch's argument order)."""
    fn = f"conv_transpose{nd}d"
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check_tensor_pair(fn, x, weight, nd, True)
    stride = ntuple(stride, nd, "stride", fn)
    dilation = ntuple(dilation, nd, "dilation", fn)
    padding = ntuple(padding, nd, "padding", fn)
    output_padding = ntuple(output_padding, nd, "output_padding", fn)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation) or any(p < 0 for p in padding):
        raise ValueError(f"{fn}: stride/dilation must be positive and padding non-negative, got "
                         f"stride={stride}, dilation={dilation}, padding={padding}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op < 0 or op >= max(s, d):
            raise ValueError(f"{fn}: output_padding must be smaller than either stride or dilation, got "
                             f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    c_in = x.shape[1]
    if weight.shape[0] != c_in or c_in % groups:
        raise ValueError(
            f"{fn}: weight of shape {tuple(weight.shape)} expects input with {weight.shape[0]} channels "
            f"divisible by groups={groups}, got input of shape {tuple(x.shape)}"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{fn}: bias must have shape ({c_out},), got {tuple(bias.shape)}")
    kernel = weight.shape[2:]
    for i in range(nd):
        size = (x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + output_padding[i] + 1
        if size < 1:
            raise ValueError(f"{fn}: output size would be {size} in spatial dim {i} for input shape "
                             f"{tuple(x.shape)}; reduce padding")
    out = ConvTransposeNd.apply(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (seed 002 §4.2, seed 003): ``torch.nn.functional.conv1d``."""
    return conv(input, weight, bias, stride, padding, dilation, groups, nd=1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W), the sum of seed 000 §5: ``torch.nn.functional.conv2d``."""
    return conv(input, weight, bias, stride, padding, dilation, groups, nd=2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (seed 002 §4.2): ``torch.nn.functional.conv3d``."""
    return conv(input, weight, bias, stride, padding, dilation, groups, nd=3)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (seed 002 §4.9): ``torch.nn.functional.conv_transpose1d``."""
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd=1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (seed 002 §4.9): ``torch.nn.functional.conv_transpose2d``."""
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd=2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (seed 002 §4.3): ``torch.nn.functional.conv_transpose3d``."""
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd=3)


__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "ConvNd", "ConvTransposeNd", "im2col",
           "col2im"]
