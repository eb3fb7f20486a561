"""Reductions along axes (sum, mean, max, min, var, logsumexp, prod, cumsum, norm), with keepdim.

Each backward spreads the reduced gradient back over the reduced axes (seed 002 §2.4 tensors,
§3.6 the chain rule); ``_normalize_axes`` accepts an int, a tuple or negative dims as PyTorch.
"""
from ..backend import xp
from ..autograd import Function, constant


def _normalize_axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    axes = []
    for d in dim:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        axes.append(d % ndim if ndim else 0)
    return tuple(axes)


def _expand_back(g, shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input shape."""
    if not keepdim and axes:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


def _reduced(out, shape, axes, keepdim):
    """A reduction's result kept with size-1 ``axes`` (``out``), returned as the caller asked (``keepdim``)."""
    return out if keepdim else out.reshape([n for i, n in enumerate(shape) if i not in axes])


def _output_spread(fn):
    """The kept-dims result ``fn.out`` of a reduction as its output tensor, spread over the reduced axes
    (create_graph: a factor of the derivative that is itself differentiated)."""
    out = fn.output(_reduced(fn.out, fn.a.shape, fn.axes, fn.keepdim))
    return _spread_graph(out, fn.a.shape, fn.axes, fn.keepdim)


def _spread_graph(g, shape, axes, keepdim):
    """:func:`_spread` for a gradient tensor (create_graph): a reshape and a broadcast in the graph."""
    if not keepdim and axes:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g.expand(*shape)


def _spread(g, shape, axes, keepdim):
    """A new array of ``shape`` holding the reduced gradient ``g`` repeated along ``axes``."""
    out = xp.empty(shape, dtype=g.dtype)
    out[...] = g if g.ndim == 0 else _expand_back(g, shape, axes, keepdim)
    return out


class Sum(Function):
    """d sum(a) / da = 1 everywhere."""

    def forward(self, a, dim=None, keepdim=False):
        self.shape = a.shape
        self.axes = _normalize_axes(dim, a.ndim)
        self.keepdim = keepdim
        return a.sum(axis=self.axes, keepdims=keepdim)

    def backward(self, g):
        return _spread(g, self.shape, self.axes, self.keepdim)

    def backward_graph(self, g):
        return _spread_graph(g, self.shape, self.axes, self.keepdim)


class Mean(Function):
    """mean(a) = sum(a) / n;  d mean(a) / da = 1 / n."""

    def forward(self, a, dim=None, keepdim=False):
        self.shape = a.shape
        self.axes = _normalize_axes(dim, a.ndim)
        self.keepdim = keepdim
        n = 1
        for ax in self.axes:
            n *= a.shape[ax]
        self.n = n
        if n == 0:
            with xp.errstate(invalid="ignore"):
                return a.sum(axis=self.axes, keepdims=keepdim) / n  # NaN, as PyTorch
        return a.sum(axis=self.axes, keepdims=keepdim) / n  # a Python int keeps the array's dtype

    def backward(self, g):
        return _spread(g / self.n, self.shape, self.axes, self.keepdim)

    def backward_graph(self, g):
        return _spread_graph(g / self.n, self.shape, self.axes, self.keepdim)


class Max(Function):
    """Gradient to the maxima; ties share it evenly (as ``torch.amax``)."""

    reducer = staticmethod(xp.max)

    def forward(self, a, dim=None, keepdim=False):
        self.a = a
        self.axes = _normalize_axes(dim, a.ndim)
        self.keepdim = keepdim
        self.out = self.reducer(a, axis=self.axes, keepdims=True)
        return _reduced(self.out, a.shape, self.axes, keepdim)

    def _share(self, dtype):
        """1 / (number of maxima) at each maximum of its reduced block, 0 elsewhere."""
        mask = (self.a == self.out).astype(dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return mask

    def backward(self, g):
        return _expand_back(g, self.a.shape, self.axes, self.keepdim) * self._share(g.dtype)

    def backward_graph(self, g):
        return _spread_graph(g, self.a.shape, self.axes, self.keepdim) * constant(self._share(g.dtype))


class Min(Max):
    reducer = staticmethod(xp.min)


class Var(Function):
    """var(a) = sum((a - mean)^2) / (n - correction); d var / da = 2 (a - mean) / (n - correction)."""

    def forward(self, a, dim=None, correction=1, keepdim=False):
        self.shape = a.shape
        self.axes = _normalize_axes(dim, a.ndim)
        self.keepdim = keepdim
        n = 1
        for ax in self.axes:
            n *= a.shape[ax]
        self.denom = max(n - correction, 0)
        self.centered = a - a.mean(axis=self.axes, keepdims=True)
        with xp.errstate(divide="ignore", invalid="ignore"):
            return (self.centered ** 2).sum(axis=self.axes, keepdims=keepdim) / a.dtype.type(self.denom)

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return g * self.centered * (2.0 / self.denom if self.denom else float("nan"))

    def backward_graph(self, g):
        a = self.inputs[0]
        centered = a - a.mean(dim=self.axes, keepdim=True)
        g = _spread_graph(g, self.shape, self.axes, self.keepdim)
        return g * centered * (2.0 / self.denom if self.denom else float("nan"))


class LogSumExp(Function):
    """log sum_i e^(a_i), computed as m + log sum_i e^(a_i - m) with m = max a (no overflow at large |a|).

    d/da_i = e^(a_i - out) = softmax(a)_i (the denominator of the softmax, seed 002 §2.5).
    """

    def forward(self, a, dim=None, keepdim=False):
        self.axes = _normalize_axes(dim, a.ndim)
        self.keepdim = keepdim
        m = a.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0).astype(a.dtype, copy=False)
        out = xp.log(xp.exp(a - m).sum(axis=self.axes, keepdims=True)) + m
        self.a, self.out = a, out
        return _reduced(out, a.shape, self.axes, keepdim)

    def backward(self, g):
        g = _expand_back(g, self.a.shape, self.axes, self.keepdim)
        return g * xp.exp(self.a - self.out)

    def backward_graph(self, g):
        lse = _output_spread(self)
        return _spread_graph(g, self.a.shape, self.axes, self.keepdim) * (self.inputs[0] - lse).exp()


class MaxDim(Function):
    """max (or min) along one dim, as ``torch.max(x, dim)``: the gradient goes to the returned index only
    (the max-pooling rule of seed 002 §2.6).

    ``index`` is the arg-max computed by the caller with ``keepdims=True``.
    """

    def forward(self, a, index, dim=0, keepdim=False):
        self.shape, self.index, self.dim = a.shape, index, dim
        self.keepdim = keepdim
        values = xp.take_along_axis(a, index, axis=dim)
        return values if keepdim else values.squeeze(dim)

    def backward(self, g):
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(grad, self.index, g, axis=self.dim)
        return grad, None

    def backward_graph(self, g):
        from .shape import GatherAdd
        if not self.keepdim:
            g = g.unsqueeze(self.dim)
        return GatherAdd.apply(g, shape=self.shape, index=self.index, dim=self.dim), None


class Prod(Function):
    """prod(a) along a dim;  d/da_i = product of the other elements (exact with zeros: no division; seed 002 §3.6)."""

    def forward(self, a, dim=None, keepdim=False):
        self.a, self.dim, self.keepdim = a, dim, keepdim
        return a.prod(axis=dim, keepdims=keepdim) if dim is not None else a.prod()

    def backward(self, g):
        a = self.a
        if self.dim is None:
            flat = a.reshape(-1)
            others = _prod_of_others(flat, 0).reshape(a.shape)
            return g * others
        d = self.dim % a.ndim
        if not self.keepdim:
            g = xp.expand_dims(g, d)
        return g * _prod_of_others(a, d)


def _prod_of_others(a, axis):
    """For each element, the product of the others along ``axis``: exclusive cumulative products."""
    n = a.shape[axis]
    ones = xp.ones_like(xp.take(a, [0], axis=axis)) if n else a
    before = xp.concatenate([ones, xp.cumprod(xp.take(a, range(n - 1), axis=axis), axis=axis)], axis=axis)
    rev = xp.flip(a, axis)
    after = xp.concatenate([ones, xp.cumprod(xp.take(rev, range(n - 1), axis=axis), axis=axis)], axis=axis)
    return before * xp.flip(after, axis)


class CumSum(Function):
    """Running sum along ``dim``;  its backward is the running sum of the gradient from the end (seed 002 §3.6)."""

    def forward(self, a, dim):
        self.dim = dim
        return xp.cumsum(a, axis=dim)

    def backward(self, g):
        return xp.flip(xp.cumsum(xp.flip(g, self.dim), axis=self.dim), self.dim)

    def backward_graph(self, g):
        return g.flip(self.dim).cumsum(self.dim).flip(self.dim)


class Norm2(Function):
    """||a||_2 = sqrt(sum a^2) along axes;  d/da = a / ||a|| (0 where the norm is 0, as PyTorch).

    The L2 norm of the regularisation and gradient-clipping sections (seed 002 §3.10).
    """

    def forward(self, a, dim=None, keepdim=False):
        self.a, self.axes, self.keepdim = a, _normalize_axes(dim, a.ndim), keepdim
        self.out = xp.sqrt((a * a).sum(axis=self.axes, keepdims=True))
        return _reduced(self.out, a.shape, self.axes, keepdim)

    def backward(self, g):
        g = _expand_back(g, self.a.shape, self.axes, self.keepdim)
        safe = xp.where(self.out == 0, 1, self.out).astype(self.out.dtype, copy=False)
        return g * self.a / safe

    def backward_graph(self, g):
        norm = _output_spread(self)
        safe = norm + constant((self.out == 0).astype(self.out.dtype))  # 1 where the norm is 0
        return _spread_graph(g, self.a.shape, self.axes, self.keepdim) * self.inputs[0] / safe
