"""Shape primitives: reshape, permute, indexing, concatenation, stacking, padding, expand.

Their backward moves the gradient back to where each element came from.
"""
from ..autograd import Function, unbroadcast
from ..backend import xp


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, g):
        return g.transpose(xp.argsort(self.dims))


class Expand(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return xp.broadcast_to(a, shape)

    def backward(self, g):
        return unbroadcast(g, self.shape)


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """Basic and integer-array indexing; repeated indices accumulate their gradients."""

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, g):
        grad = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic_index(self.index):
            grad[self.index] = g
        else:
            xp.add.at(grad, self.index, g)
        return grad


class Cat(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    def backward(self, g):
        splits = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(g, splits, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return xp.stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(xp.moveaxis(g, self.dim, 0))


class Pad(Function):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis."""

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
