"""The ``Tensor``: an n-dimensional array that remembers how it was made (seed 002 §2.4).

A tensor holds ``data`` (a NumPy array), ``grad`` (a tensor, after
``backward()``), ``requires_grad``, and ``grad_fn``: the :class:`Function`
that produced it, the link the backward pass follows.
"""
import numpy as _np

from . import backend
from .backend import xp

_DEFAULT_DTYPE = [_np.dtype(_np.float32)]


def get_default_dtype():
    return _DEFAULT_DTYPE[0]


def set_default_dtype(dtype):
    dtype = _np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating point dtypes are allowed, got {dtype}")
    _DEFAULT_DTYPE[0] = dtype


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (backend.ndarray, _np.ndarray, _np.generic)):
        arr = xp.asarray(data, dtype=dtype)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        arr = xp.asarray(data, dtype=dtype)
        if dtype is None and arr.dtype == _np.float64:
            arr = arr.astype(_DEFAULT_DTYPE[0])
    return arr


def as_tensor_like(a, b):
    """Pair the operands of a binary op, with PyTorch's type promotion where NumPy's differs.

    Python and NumPy scalars become Python numbers, which take the tensor's dtype. An integer or
    bool tensor meeting a floating tensor takes that tensor's dtype, and meeting a float number takes
    the default dtype (NumPy would give float64 in these cases, silently upcasting a float32 graph).
    """
    if type(a) is not Tensor and not isinstance(a, Tensor):
        a = _operand(a)
    if type(b) is not Tensor and not isinstance(b, Tensor):
        b = _operand(b)
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return (a, b) if a.data.dtype is b.data.dtype else _promote(a, b)
        if type(b) is float and a.data.dtype.kind != "f":
            return a.to(_DEFAULT_DTYPE[0]), b
        return a, b
    if type(a) is float and b.data.dtype.kind != "f":
        return a, b.to(_DEFAULT_DTYPE[0])
    return a, b


def _operand(x):
    if type(x) is int or type(x) is float:
        return x
    if isinstance(x, (_np.generic, int, float)) and _np.ndim(x) == 0 and not isinstance(x, (str, bytes)):
        return x.item() if isinstance(x, _np.generic) else x
    return Tensor(x)


def _promote(a, b):
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka == "f" and kb != "f":
        return a, b.to(a.data.dtype)
    if kb == "f" and ka != "f":
        return a.to(b.data.dtype), b
    return a, b


class Tensor:
    """An array with an optional gradient, the node type of gradiente's graph."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_output_index", "_hooks", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators (array + tensor -> Tensor)

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._output_index = 0
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array, requires_grad, grad_fn, index):
        t = Tensor.__new__(Tensor)
        if type(array) is not backend.ndarray:
            array = xp.asarray(array)
        t.data = array
        t.grad = None
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_index = index
        t._hooks = None
        return t

    # ----------------------------------------------------------- attributes
    @property
    def shape(self):
        return Size(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return "cpu" if xp is _np else "cuda"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return Size(self.data.shape) if dim is None else self.data.shape[dim]

    def numel(self):
        return int(self.data.size)

    nelement = numel

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def element_size(self):
        return self.data.itemsize

    # ------------------------------------------------ new tensors like this one
    def new_tensor(self, data, dtype=None, requires_grad=False):
        return Tensor(data, dtype=dtype or self.data.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return Tensor(xp.zeros(_shape_args(size), dtype=dtype or self.data.dtype), requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return Tensor(xp.ones(_shape_args(size), dtype=dtype or self.data.dtype), requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return Tensor(xp.full(_shape_args((size,)), fill_value, dtype=dtype or self.data.dtype),
                      requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __repr__(self):
        body = _np.array2string(backend.to_numpy(self.data), separator=", ", prefix="tensor(", precision=4)
        extra = ""
        if self.data.dtype not in (_DEFAULT_DTYPE[0], _np.int64, _np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}Backward>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data)

    __hash__ = object.__hash__  # by identity (``==`` is elementwise), in C: optimizer state dicts key on it

    # ----------------------------------------------------- autograd control
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        _backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(f"only tensors of floating point dtype can require gradients, got {self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data, False, None, 0)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (for inspecting dL/dh)."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
            return
        fn = self.grad_fn
        if fn._retained is None:
            fn._retained = []
        if all(t is not self for _, t in fn._retained):
            fn._retained.append((self._output_index, self))
        fn._hooked = True

    @property
    def retains_grad(self):
        fn = self.grad_fn
        return fn is not None and bool(fn._retained) and any(t is self for _, t in fn._retained)

    def register_hook(self, hook):
        """Call ``hook(grad)`` once the whole gradient of this tensor is known; it may return a new grad."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
        else:
            fn = self.grad_fn
            if fn._tensor_hooks is None:
                fn._tensor_hooks = []
            fn._tensor_hooks.append((self._output_index, hook))
            fn._hooked = True
        return _RemovableHandle(self, hook)

    # ---------------------------------------------------------- conversion
    def numpy(self):
        """The underlying array as NumPy (shares memory on the CPU)."""
        return backend.to_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {tuple(self.shape)}")
        return self.data.reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    def to(self, *args, dtype=None, device=None, **kwargs):
        for a in args:
            if isinstance(a, str) or a is None:
                device = a
            else:
                dtype = a
        if device not in (None, "cpu", self.device):
            raise RuntimeError(f"device {device!r} is not available; gradiente computes on {self.device!r}")
        if dtype is None or _np.dtype(dtype) == self.data.dtype:
            return self
        dtype = _np.dtype(dtype)
        if dtype.kind not in "fc":
            return Tensor._wrap(self.data.astype(dtype), False, None, 0)
        return Cast.apply(self, dtype=dtype)

    def type(self, dtype=None):
        if dtype is None:
            return _TYPE_NAMES.get(self.data.dtype.name, f"gradiente.{self.data.dtype.name}")
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(_np.float32)

    def double(self):
        return self.to(_np.float64)

    def half(self):
        return self.to(_np.float16)

    def long(self):
        return self.to(_np.int64)

    def int(self):
        return self.to(_np.int32)

    def bool(self):
        return self.to(_np.bool_)

    def cpu(self):
        return self

    def clone(self):
        if self.requires_grad:
            out = Reshape.apply(self, shape=self.data.shape)
            out.data = out.data.copy()
            return out
        return Tensor._wrap(self.data.copy(), False, None, 0)

    def contiguous(self):
        return self

    # ----------------------------------------------------------- in place
    def _check_inplace(self, name):
        if self.requires_grad and is_grad_enabled():
            kind = "a leaf tensor that requires grad" if self.grad_fn is None else "a tensor in the graph"
            raise RuntimeError(f"{name}: in-place operation on {kind}; wrap it in `with gradiente.no_grad():`")

    def zero_(self):
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, src):
        self._check_inplace("copy_")
        src = src.data if isinstance(src, Tensor) else xp.asarray(src)
        if xp.broadcast_shapes(src.shape, self.data.shape) != self.data.shape:
            raise RuntimeError(f"copy_: source shape {src.shape} does not broadcast to {self.data.shape}")
        self.data[...] = src
        return self

    def uniform_(self, a=0.0, b=1.0):
        from .random import get_generator
        self._check_inplace("uniform_")
        self.data[...] = get_generator().uniform(a, b, self.data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from .random import get_generator
        self._check_inplace("normal_")
        self.data[...] = get_generator().normal(mean, std, self.data.shape)
        return self

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        index = _index_arrays(index)
        value = value.data if isinstance(value, Tensor) else value
        split = _integers_first(index) if type(index) is tuple and len(index) > 1 else None
        if split is not None:
            self.data[split[0]][split[1]] = value  # the integer selection is a view: writes go through
        else:
            self.data[index] = value

    def _binary_inplace(self, other, op):
        self._check_inplace(op.__name__)
        op(self.data, other.data if isinstance(other, Tensor) else other, out=self.data, casting="same_kind")
        return self

    def add_(self, other, alpha=1):
        return self._binary_inplace(other if alpha == 1 else other * alpha, xp.add)

    def sub_(self, other, alpha=1):
        return self._binary_inplace(other if alpha == 1 else other * alpha, xp.subtract)

    def mul_(self, other):
        return self._binary_inplace(other, xp.multiply)

    def div_(self, other):
        return self._binary_inplace(other, xp.divide)

    def clamp_(self, min=None, max=None):
        self._check_inplace("clamp_")
        xp.clip(self.data, min, max, out=self.data)
        return self

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(op(self.data, other), False, None, 0)

    def __eq__(self, other):
        return self._compare(other, xp.equal)

    def __ne__(self, other):
        return self._compare(other, xp.not_equal)

    def __lt__(self, other):
        return self._compare(other, xp.less)

    def __le__(self, other):
        return self._compare(other, xp.less_equal)

    def __gt__(self, other):
        return self._compare(other, xp.greater)

    def __ge__(self, other):
        return self._compare(other, xp.greater_equal)

    def __and__(self, other):
        return self._compare(other, xp.logical_and if self.dtype == bool else xp.bitwise_and)

    def __or__(self, other):
        return self._compare(other, xp.logical_or if self.dtype == bool else xp.bitwise_or)

    def __invert__(self):
        return Tensor._wrap(~self.data, False, None, 0)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __getitem__(self, index):
        index = _index_arrays(index)
        if type(index) is tuple and len(index) > 1:
            split = _integers_first(index)
            if split is not None:  # PyTorch selects integer indices first (see _integers_first)
                return GetItem.apply(GetItem.apply(self, split[0]), split[1])
        return GetItem.apply(self, index)

    # ------------------------------------------------------------- methods
    def add(self, other, alpha=1):
        return ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other):
        return ops.div(self, other)

    def pow(self, other):
        return ops.pow(self, other)

    def neg(self):
        return ops.neg(self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def relu(self):
        return ops.relu(self)

    def softmax(self, dim=-1):
        return ops.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return ops.log_softmax(self, dim)

    def matmul(self, other):
        return ops.matmul(self, other)

    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction)

    def _reduce_with_indices(self, dim, keepdim, reducer, arg):
        if dim is None:
            return reducer(self)
        if self.ndim == 0:
            return ReturnTypes(self, Tensor._wrap(xp.zeros((), dtype=_np.int64), False, None, 0))
        d = int(dim)
        if not -self.ndim <= d < self.ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-self.ndim}, {self.ndim - 1}], "
                             f"but got {dim})")
        d %= self.ndim
        if self.data.shape[d] == 0:
            raise IndexError(f"max/min(): cannot reduce over dimension {d} of size 0 (shape {tuple(self.shape)})")
        idx = arg(self.data, axis=d, keepdims=True)
        values = MaxDim.apply(self, idx, dim=d, keepdim=keepdim)
        return ReturnTypes(values, Tensor._wrap(idx if keepdim else idx.squeeze(d), False, None, 0))

    def max(self, dim=None, keepdim=False):
        """Largest value; with ``dim``, ``(values, indices)`` and the gradient flows to the indices."""
        if isinstance(dim, Tensor):
            return ops.maximum(self, dim)
        return self._reduce_with_indices(dim, keepdim, ops.amax, xp.argmax)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return ops.minimum(self, dim)
        return self._reduce_with_indices(dim, keepdim, ops.amin, xp.argmin)

    def logsumexp(self, dim, keepdim=False):
        return ops.logsumexp(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        idx = xp.argmax(self.data, axis=dim, keepdims=keepdim) if dim is not None else xp.argmax(self.data)
        return Tensor._wrap(xp.asarray(idx), False, None, 0)

    def argmin(self, dim=None, keepdim=False):
        idx = xp.argmin(self.data, axis=dim, keepdims=keepdim) if dim is not None else xp.argmin(self.data)
        return Tensor._wrap(xp.asarray(idx), False, None, 0)

    def all(self):
        return Tensor._wrap(xp.asarray(self.data.all()), False, None, 0)

    def any(self):
        return Tensor._wrap(xp.asarray(self.data.any()), False, None, 0)

    def isnan(self):
        return Tensor._wrap(xp.isnan(self.data), False, None, 0)

    def isfinite(self):
        return Tensor._wrap(xp.isfinite(self.data), False, None, 0)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def round(self):
        return ops.round(self)

    def trunc(self):
        return ops.trunc(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def log1p(self):
        return ops.log1p(self)

    def square(self):
        return ops.square(self)

    def rsqrt(self):
        return ops.rsqrt(self)

    def clamp_min(self, min):
        return ops.clamp(self, min=min)

    def clamp_max(self, max):
        return ops.clamp(self, max=max)

    def prod(self, dim=None, keepdim=False):
        return ops.prod(self, dim, keepdim)

    def cumsum(self, dim):
        return ops.cumsum(self, dim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return ops.vector_norm(self, p, dim, keepdim)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)

    def tril(self, diagonal=0):
        return ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return ops.triu(self, diagonal)

    def flip(self, *dims):
        return ops.flip(self, _shape_args(dims))

    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def sort(self, dim=-1, descending=False, stable=False):
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def nonzero(self, as_tuple=False):
        return ops.nonzero(self, as_tuple)

    def mm(self, other):
        return ops.mm(self, other)

    def bmm(self, other):
        return ops.bmm(self, other)

    def dot(self, other):
        return ops.dot(self, other)

    def outer(self, other):
        return ops.outer(self, other)

    def equal(self, other):
        return ops.equal(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(ops.isclose(self, other, rtol, atol, equal_nan).data.all())

    def masked_fill(self, mask, value):
        mask = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        return ops.where(Tensor._wrap(mask, False, None, 0), value, self)

    # ---------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = _shape_args(shape)
        try:
            out_shape = _resolve_shape(shape, self.data.size)
        except ValueError:
            raise RuntimeError(f"shape {list(shape)} is invalid for input of size {self.data.size} "
                               f"(shape {tuple(self.shape)})") from None
        if out_shape == self.data.shape:
            return self
        return Reshape.apply(self, shape=out_shape)

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s = self.data.shape
        start, end = start_dim % self.ndim, end_dim % self.ndim
        n = 1
        for d in s[start:end + 1]:
            n *= d
        return self.reshape(s[:start] + (n,) + s[end + 1:])

    def unflatten(self, dim, sizes):
        s = self.data.shape
        d = dim % self.ndim
        return self.reshape(s[:d] + tuple(sizes) + s[d + 1:])

    def permute(self, *dims):
        dims = tuple(d % self.ndim for d in _shape_args(dims)) if self.ndim else ()
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims of shape {tuple(self.shape)}")
        if dims == tuple(range(self.ndim)):
            return self
        return Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        if self.ndim < 2 and self.ndim == 0:
            return self
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(*dims)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}; use transpose")
        return self.T

    swapaxes = transpose

    def unsqueeze(self, dim):
        d = dim % (self.ndim + 1)
        return self.reshape(self.data.shape[:d] + (1,) + self.data.shape[d:])

    def squeeze(self, dim=None):
        s = self.data.shape
        if dim is None:
            return self.reshape(tuple(n for n in s if n != 1))
        if self.ndim == 0:
            return self
        dims = {d % self.ndim for d in ((dim,) if isinstance(dim, int) else dim)}  # an int or a tuple
        return self.reshape(tuple(n for i, n in enumerate(s) if not (i in dims and n == 1)))

    def expand(self, *shape):
        shape = _shape_args(shape)
        pad = len(shape) - self.ndim
        full = tuple(self.data.shape[i - pad] if n == -1 else n for i, n in enumerate(shape))
        try:
            xp.broadcast_shapes(self.data.shape, full)
        except ValueError:
            raise RuntimeError(f"expand: shape {tuple(self.shape)} cannot be expanded to {full}") from None
        return Expand.apply(self, shape=full)

    def expand_as(self, other):
        return self.expand(*other.shape)

    def repeat(self, *sizes):
        sizes = _shape_args(sizes)
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.data.shape)
        out = x
        for d, r in enumerate(sizes):
            if r != 1:
                out = ops.cat([out] * r, dim=d)
        return out

    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)


_TYPE_NAMES = {"float32": "gradiente.FloatTensor", "float64": "gradiente.DoubleTensor",
               "float16": "gradiente.HalfTensor", "int64": "gradiente.LongTensor",
               "int32": "gradiente.IntTensor", "bool": "gradiente.BoolTensor", "uint8": "gradiente.ByteTensor"}


class _RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    def __init__(self, tensor, hook):
        self.tensor, self.hook = tensor, hook

    def remove(self):
        t = self.tensor
        if t.grad_fn is None:
            if t._hooks and self.hook in t._hooks:
                t._hooks.remove(self.hook)
        elif t.grad_fn._tensor_hooks:
            t.grad_fn._tensor_hooks[:] = [(i, h) for i, h in t.grad_fn._tensor_hooks if h is not self.hook]


class Size(tuple):
    """A shape, printed like PyTorch's ``torch.Size``."""

    def __repr__(self):
        return f"Size({list(self)})"

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n


class ReturnTypes(tuple):
    """``(values, indices)`` as returned by ``max(dim)`` and ``min(dim)``."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def _resolve_shape(shape, size):
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError("bad shape")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError("bad shape")
    return shape


def _index_arrays(index):
    """Turn tensors inside an index into arrays (bool masks, integer arrays)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _integers_first(index):
    """Split an index that mixes integers with integer arrays or masks into (integers, the rest).

    PyTorch applies integer indices first, as selections, and the rest afterwards; NumPy counts an
    integer as one more advanced index, which moves the result's dimensions when a slice or None
    separates it from an array: ``x[0, :, [1, 2]]`` has shape (n, 2) in PyTorch, (2, n) in NumPy.
    Returns None when the index has no such mix (the common case: one NumPy index is the same).
    """
    ints = arrays = False
    for i in index:
        if isinstance(i, (int, _np.integer)) and not isinstance(i, bool):
            ints = True
        elif isinstance(i, (list, backend.ndarray, _np.ndarray)) and _np.ndim(i) > 0:
            arrays = True
    if not (ints and arrays):
        return None
    first, rest = [], []
    for i in index:
        if isinstance(i, (int, _np.integer)) and not isinstance(i, bool):
            first.append(i)
        elif i is None:
            rest.append(i)
        elif i is Ellipsis:
            first.append(i)
            rest.append(i)
        else:
            dims = _np.ndim(i) if getattr(i, "dtype", None) == bool else 1
            first.extend([slice(None)] * dims)
            rest.append(i)
    return tuple(first), tuple(rest)


from . import ops  # noqa: E402  (circular: ops need Tensor)
from .autograd import backward as _backward, is_grad_enabled  # noqa: E402
from .ops.reduce import MaxDim  # noqa: E402
from .ops.shape import Cast, Expand, GetItem, Permute, Reshape  # noqa: E402
