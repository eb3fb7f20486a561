"""Shape primitives: reshape, permute, indexing, concatenation, stacking, padding, expand (seed 002 §2.4).

Their backward moves the gradient back to where each element came from.
"""
from ..autograd import Function, sum_to, unbroadcast
from ..backend import xp


class Reshape(Function):
    """The same numbers in a new shape (a tensor's shape, seed 002 §2.4); the gradient is reshaped back."""

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)

    def backward_graph(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    """Reorder the dims; the gradient goes through the inverse permutation."""

    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        return g.transpose(xp.argsort(self.dims))

    def backward_graph(self, g):
        return g.permute(*(int(d) for d in xp.argsort(self.dims)))


class Expand(Function):
    """Broadcast size-1 dims to a larger shape (a view); the gradient is summed back over them."""

    def forward(self, a, shape):
        self.shape = a.shape
        return xp.broadcast_to(a, shape)

    def backward(self, g):
        return unbroadcast(g, self.shape)

    def backward_graph(self, g):
        return sum_to(g, self.shape)


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """Basic and advanced indexing (seed 002 §2.4); repeated indices accumulate their gradients.

    Basic indices (ints, slices, None, ...) select a view, so the gradient is
    written back into the same view. Advanced indices (integer arrays, bool
    masks) may repeat elements: their gradient is summed per source element
    with one ``bincount`` over flat positions (much faster than ``np.add.at``).
    """

    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        return a[index]

    def backward(self, g):
        return _index_add(g, self.shape, self.index)

    def backward_graph(self, g):
        return IndexAdd.apply(g, shape=self.shape, index=self.index)


def _index_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index``, repeated positions summed: GetItem's backward."""
    if _is_basic_index(index):
        grad = xp.zeros(shape, dtype=g.dtype)
        grad[index] = g
        return grad
    size = 1
    for n in shape:
        size *= n
    positions = xp.arange(size).reshape(shape)[index]
    grad = xp.bincount(positions.reshape(-1), weights=g.reshape(-1), minlength=size)
    return grad.astype(g.dtype, copy=False).reshape(shape)


class IndexAdd(Function):
    """GetItem's backward as an operation (for create_graph, seed 002 §3.6): zeros with ``g`` added at
    ``index``. It is linear in g, and its own gradient is the indexing again."""

    def forward(self, g, shape, index):
        self.index = index
        return _index_add(g, shape, index)

    def backward(self, gg):
        return gg[self.index]

    def backward_graph(self, gg):
        return GetItem.apply(gg, self.index)


class Gather(Function):
    """out[i][j] = a[i][index[i][j]] along ``dim`` (``torch.gather``); the gradient is scattered back, summed
    (picking the probability of the true class in a loss, seed 002 §3.4).

    As in PyTorch, ``index`` may be smaller than ``a`` in the other dims: only that leading block is read.
    """

    def forward(self, a, index, dim):
        self.shape, self.index, self.dim = a.shape, index, dim
        self.block = _leading_block(index, dim)
        return xp.take_along_axis(a[self.block], index, axis=dim)

    def backward(self, g):
        return _gather_add(g, self.shape, self.index, self.dim, self.block), None

    def backward_graph(self, g):
        return GatherAdd.apply(g, shape=self.shape, index=self.index, dim=self.dim), None


def _leading_block(index, dim):
    """The slices of the block that ``index`` reads: all of ``dim``, the leading part of the other dims."""
    return tuple(slice(None) if i == dim else slice(0, n) for i, n in enumerate(index.shape))


def _gather_add(g, shape, index, dim, block):
    """Zeros of ``shape`` with ``g`` added where Gather read it (repeats summed): Gather's backward."""
    size = 1
    for n in shape:
        size *= n
    flat = xp.arange(size).reshape(shape)[block]
    positions = xp.take_along_axis(flat, index, axis=dim)
    grad = xp.bincount(positions.reshape(-1), weights=g.reshape(-1), minlength=size)
    return grad.astype(g.dtype, copy=False).reshape(shape)


class GatherAdd(Function):
    """Gather's backward as an operation (for create_graph, seed 002 §3.6): linear in g, and its own
    gradient is the gather again."""

    def forward(self, g, shape, index, dim):
        self.index, self.dim, self.block = index, dim, _leading_block(index, dim)
        return _gather_add(g, shape, index, dim, self.block)

    def backward(self, gg):
        return xp.take_along_axis(gg[self.block], self.index, axis=self.dim)

    def backward_graph(self, gg):
        return Gather.apply(gg, self.index, dim=self.dim)


class Triangle(Function):
    """tril / triu: keep the lower (upper) triangle of the last two dims; the gradient is masked alike.

    The causal mask of masked self-attention (seed 002 §4.8).
    """

    def forward(self, a, diagonal=0, upper=False):
        n, m = a.shape[-2:]
        self.mask = (xp.triu if upper else xp.tril)(xp.ones((n, m), dtype=bool), diagonal)
        return xp.where(self.mask, a, xp.zeros((), dtype=a.dtype))

    def backward(self, g):
        return xp.where(self.mask, g, xp.zeros((), dtype=g.dtype))

    def backward_graph(self, g):
        return g.masked_fill(~self.mask, 0.0)


class Flip(Function):
    """Reverse the order along ``dims``; the gradient is reversed back (e.g. a reversed sequence, seed 002 §4.5)."""

    def forward(self, a, dims):
        self.dims = dims
        return xp.flip(a, dims).copy()

    def backward(self, g):
        return xp.flip(g, self.dims)

    def backward_graph(self, g):
        return g.flip(*self.dims)


class Cat(Function):
    """Join along an existing dim (e.g. [h, x] of the LSTM, seed 000 §6); the gradient is split back."""

    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    def backward(self, g):
        splits = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(g, splits, axis=self.dim))

    def backward_graph(self, g):
        out, start = [], 0
        for n in self.sizes:
            out.append(g[(slice(None),) * self.dim + (slice(start, start + n),)])
            start += n
        return tuple(out)


class Stack(Function):
    """Join along a new dim (e.g. the hidden states of all time steps, seed 002 §4.5); the gradient is unstacked."""

    def forward(self, *arrays, dim=0):
        self.dim = dim
        return xp.stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(xp.moveaxis(g, self.dim, 0))

    def backward_graph(self, g):
        return tuple(g.unbind(self.dim))


class Pad(Function):
    """Constant padding (the zero padding of convolutions, seed 002 §4.2); ``widths`` is NumPy's
    ((before, after), ...) per axis. The gradient is the un-padded block."""

    def forward(self, a, widths, value=0.0):
        self.slices = tuple(slice(b, b + n) for (b, _), n in zip(widths, a.shape))
        return xp.pad(a, widths, constant_values=value)

    def backward(self, g):
        return g[self.slices]


class Cast(Function):
    """Change of dtype; the gradient is cast back."""

    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.in_dtype) if self.in_dtype.kind in "fc" else None

    def backward_graph(self, g):
        return g.to(self.in_dtype) if self.in_dtype.kind in "fc" else None
