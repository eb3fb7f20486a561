"""Differentiable operations on tensors (the ``torch.*`` function namespace).

Primitive ops live in ``elementwise``, ``reduce``, ``linalg`` and ``shape``;
fused kernels for the hot paths sit in their own modules beside them.
"""
from ..backend import xp
from ..tensor import Tensor, as_tensor_like, get_default_dtype
from . import elementwise as _ew, reduce as _red, linalg as _la, shape as _sh, activation as _act, padding as _padding


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def add(a, b):
    return _ew.Add.apply(*as_tensor_like(a, b))


def sub(a, b):
    return _ew.Sub.apply(*as_tensor_like(a, b))


def mul(a, b):
    return _ew.Mul.apply(*as_tensor_like(a, b))


def div(a, b):
    """a / b; integer operands divide in the default float dtype, as PyTorch (NumPy would give float64)."""
    a, b = as_tensor_like(a, b)
    if (not isinstance(a, Tensor) or a.data.dtype.kind != "f") and (not isinstance(b, Tensor) or b.data.dtype.kind != "f") \
            and not isinstance(a, float) and not isinstance(b, float):
        dt = get_default_dtype()
        a = a.to(dt) if isinstance(a, Tensor) else a
        b = b.to(dt) if isinstance(b, Tensor) else b
    return _ew.Div.apply(a, b)


def pow(a, b):
    return _ew.Pow.apply(*as_tensor_like(a, b))


def neg(a):
    return _ew.Neg.apply(_t(a))


def exp(a):
    return _ew.Exp.apply(_t(a))


def log(a):
    return _ew.Log.apply(_t(a))


def sqrt(a):
    return _ew.Sqrt.apply(_t(a))


def abs(a):
    return _ew.Abs.apply(_t(a))


def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    return _ew.Clamp.apply(_t(a), min=min, max=max)


clip = clamp


def maximum(a, b):
    return _ew.Maximum.apply(*as_tensor_like(a, b))


def minimum(a, b):
    return _ew.Minimum.apply(*as_tensor_like(a, b))


def where(condition, a=None, b=None):
    """``where(c, a, b)``: a where c holds, else b; ``where(c)`` alone is ``nonzero(c, as_tuple=True)``."""
    if a is None and b is None:
        return nonzero(condition, as_tuple=True)
    cond = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    a, b = as_tensor_like(a, b)
    return _ew.Where.apply(cond, a, b)


def sigmoid(a):
    return _act.Sigmoid.apply(_t(a))


def tanh(a):
    return _act.Tanh.apply(_t(a))


def relu(a):
    return _act.ReLU.apply(_t(a))


def sum(a, dim=None, keepdim=False):
    return _red.Sum.apply(_t(a), dim=dim, keepdim=keepdim)


def mean(a, dim=None, keepdim=False):
    a = _t(a)
    if a.data.dtype.kind not in "fc":
        raise TypeError(f"mean: expected a floating point tensor, got dtype {a.dtype}")
    return _red.Mean.apply(a, dim=dim, keepdim=keepdim)


def var(a, dim=None, unbiased=True, keepdim=False, correction=None):
    if correction is None:
        correction = 1 if unbiased else 0
    return _red.Var.apply(_t(a), dim=dim, correction=correction, keepdim=keepdim)


def std(a, dim=None, unbiased=True, keepdim=False, correction=None):
    return sqrt(var(a, dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction))


def amax(a, dim=None, keepdim=False):
    return _red.Max.apply(_t(a), dim=dim, keepdim=keepdim)


def amin(a, dim=None, keepdim=False):
    return _red.Min.apply(_t(a), dim=dim, keepdim=keepdim)


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a), dim)), stable for large |a| (seed 002 §2.5)."""
    a = _t(a)
    if a.data.dtype.kind not in "fc":
        raise TypeError(f"logsumexp: expected a floating point tensor, got dtype {a.dtype}")
    return _red.LogSumExp.apply(a, dim=dim, keepdim=keepdim)


def matmul(a, b):
    a, b = _t(a), _t(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension; use * for scalars")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied ({ka} != {kb})"
        )
    return _la.MatMul.apply(a, b)


def cat(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ref = tensors[0].shape
    d = dim % len(ref) if ref else 0
    for i, t in enumerate(tensors):
        if t.ndim != len(ref) or any(a != b for j, (a, b) in enumerate(zip(t.shape, ref)) if j != d):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {dim}; "
                f"tensor 0 has shape {tuple(ref)}, tensor {i} has shape {tuple(t.shape)}"
            )
    return _sh.Cat.apply(*tensors, dim=d)


concatenate = concat = cat


def stack(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(tensors[0].shape)} at entry 0 "
                f"and {tuple(t.shape)} at entry {i}"
            )
    return _sh.Stack.apply(*tensors, dim=dim % (tensors[0].ndim + 1))


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (int) or of the listed sizes, like ``torch.split``."""
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        if n % split_size_or_sections:
            sizes.append(n % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if builtins_sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} do not add up to {n}, the size of dimension {dim}")
    out, start = [], 0
    d = dim % tensor.ndim
    for s in sizes:
        index = (slice(None),) * d + (slice(start, start + s),)
        out.append(tensor[index])
        start += s
    return tuple(out)


def chunk(tensor, chunks, dim=0):
    n = tensor.shape[dim]
    return split(tensor, -(-n // chunks), dim)


def pad(a, pad, mode="constant", value=None):
    """Pad like ``torch.nn.functional.pad``: ``pad`` lists (left, right) pairs from the last dim backwards.

    ``mode`` is 'constant' (``value``, default 0, any number of dims) or one of the
    border modes of ``ops/padding.py``: 'reflect', 'replicate', 'circular' (the last
    1 to 3 dims; seed 002 §4.2). Negative sizes crop, as in PyTorch.
    """
    a = _t(a)
    try:
        pad = tuple(_operator.index(p) for p in pad)
    except TypeError:
        raise TypeError(f"pad: padding sizes must be ints, got {pad!r}") from None
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)} ({pad!r})")
    if len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: padding length should be less than or equal to two times the input dimension "
                         f"but got padding length {len(pad)} and input of dimension {a.ndim}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))[::-1]  # first padded dim first
    if mode == "constant":
        return _constant_pad(a, pairs, 0.0 if value is None else value)
    if mode not in _padding.MODES:
        raise ValueError(f"pad: unrecognised padding mode {mode!r}; expected 'constant', 'reflect', 'replicate' "
                         "or 'circular'")
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument, got value={value!r}")
    return _padding.border_pad(a, pairs, mode)


def _constant_pad(a, pairs, value):
    """``value`` padding of the last ``len(pairs)`` dims; negative sizes crop first (a view), as in PyTorch."""
    lead = a.ndim - len(pairs)
    for i, (before, after) in enumerate(pairs):
        if a.shape[lead + i] + before + after < 0:
            raise ValueError(f"pad: padding {(before, after)} at dimension {lead + i} of input {list(a.shape)} "
                             f"would give a negative size, {a.shape[lead + i] + before + after}")
    if any(p < 0 for pair in pairs for p in pair):
        a = a[(slice(None),) * lead + tuple(slice(max(-b, 0), n - max(-e, 0))
                                            for (b, e), n in zip(pairs, a.shape[lead:]))]
    widths = ((0, 0),) * lead + tuple((max(b, 0), max(e, 0)) for b, e in pairs)
    return _sh.Pad.apply(a, widths=widths, value=value)


# ------------------------------------------------------------------ more of torch's namespace
def sin(a):
    return _ew.Sin.apply(_t(a))


def cos(a):
    return _ew.Cos.apply(_t(a))


def log1p(a):
    return _ew.Log1p.apply(_t(a))


def square(a):
    return pow(a, 2)


def rsqrt(a):
    return pow(a, -0.5)


def _rounding(a, ufunc):
    a = _t(a)
    if a.data.dtype.kind not in "fc":
        return Tensor._wrap(ufunc(a.data), False, None, 0)
    return _ew.Rounding.apply(a, ufunc=ufunc)


def floor(a):
    return _rounding(a, xp.floor)


def ceil(a):
    return _rounding(a, xp.ceil)


def round(a):
    """Round half to even, as ``torch.round``."""
    return _rounding(a, xp.round)


def trunc(a):
    return _rounding(a, xp.trunc)


def sign(a):
    return _rounding(a, xp.sign)


def prod(a, dim=None, keepdim=False):
    a = _t(a)
    if dim is not None:
        _red._normalize_axes(dim, a.ndim)
    return _red.Prod.apply(a, dim=dim, keepdim=keepdim)


def cumsum(a, dim):
    a = _t(a)
    return _red.CumSum.apply(a, dim=_red._normalize_axes(dim, a.ndim)[0])


def vector_norm(a, p="fro", dim=None, keepdim=False):
    """Vector norm over ``dim`` (all elements by default): p = 2 ('fro'), 1, inf, or any p > 0."""
    a = _t(a)
    if p in ("fro", 2, 2.0):
        return _red.Norm2.apply(a, dim=dim, keepdim=keepdim)
    if p in (1, 1.0):
        return abs(a).sum(dim=dim, keepdim=keepdim)
    if p == float("inf"):
        return abs(a).amax(dim=dim, keepdim=keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return (abs(a) ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)
    raise ValueError(f"norm: unsupported p={p!r}; expected 'fro', 1, 2, inf or a positive number")


def _index_array(index, name):
    idx = index.data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {idx.dtype}")
    return idx


def gather(input, dim, index):
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (``torch.gather``)."""
    input = _t(input)
    idx = _index_array(index, "gather")
    d = _red._normalize_axes(dim, input.ndim)[0]
    if idx.ndim != input.ndim:
        raise RuntimeError(f"gather: index has {idx.ndim} dims but input has {input.ndim} (shape {tuple(input.shape)})")
    if any(n > input.shape[i] for i, n in enumerate(idx.shape) if i != d):
        raise RuntimeError(f"gather: index shape {tuple(idx.shape)} is larger than input shape "
                           f"{tuple(input.shape)} outside dimension {d}")
    if idx.size and (idx.min() < 0 or idx.max() >= input.shape[d]):
        raise IndexError(f"gather: index out of range for dimension {d} of size {input.shape[d]}")
    return _sh.Gather.apply(input, idx, dim=d)


def index_select(input, dim, index):
    input = _t(input)
    idx = _index_array(index, "index_select")
    if idx.ndim != 1:
        raise IndexError(f"index_select: index must be 1-D, got shape {tuple(idx.shape)}")
    d = _red._normalize_axes(dim, input.ndim)[0]
    return input[(slice(None),) * d + (Tensor._wrap(idx, False, None, 0),)]


def tril(a, diagonal=0):
    a = _t(a)
    if a.ndim < 2:
        raise RuntimeError(f"tril: input must have at least 2 dims, got shape {tuple(a.shape)}")
    return _sh.Triangle.apply(a, diagonal=diagonal, upper=False)


def triu(a, diagonal=0):
    a = _t(a)
    if a.ndim < 2:
        raise RuntimeError(f"triu: input must have at least 2 dims, got shape {tuple(a.shape)}")
    return _sh.Triangle.apply(a, diagonal=diagonal, upper=True)


def flip(a, dims):
    a = _t(a)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return _sh.Flip.apply(a, dims=_red._normalize_axes(dims, a.ndim))


def unbind(a, dim=0):
    a = _t(a)
    d = _red._normalize_axes(dim, a.ndim)[0]
    return tuple(a[(slice(None),) * d + (i,)] for i in range(a.shape[d]))


def mm(a, b):
    a, b = _t(a), _t(b)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


def bmm(a, b):
    a, b = _t(a), _t(b)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with the same batch size, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


def dot(a, b):
    a, b = _t(a), _t(b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


def outer(a, b):
    a, b = _t(a), _t(b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def softmax(a, dim):
    from .activation import softmax as _softmax
    return _softmax(_t(a), dim=dim)


def log_softmax(a, dim):
    from .activation import log_softmax as _log_softmax
    return _log_softmax(_t(a), dim=dim)


def sort(a, dim=-1, descending=False, stable=False):
    """``(values, indices)``; the values are differentiable (gathered at the indices)."""
    a = _t(a)
    if a.ndim == 0:
        return _sh_returns(a, Tensor._wrap(xp.zeros((), dtype=xp.int64), False, None, 0))
    d = _red._normalize_axes(dim, a.ndim)[0]
    idx = xp.argsort(-a.data if descending else a.data, axis=d, kind="stable")
    return _sh_returns(_sh.Gather.apply(a, idx, dim=d), Tensor._wrap(idx, False, None, 0))


def argsort(a, dim=-1, descending=False, stable=False):
    return sort(a, dim, descending, stable)[1]


def topk(a, k, dim=-1, largest=True, sorted=True):
    a = _t(a)
    d = _red._normalize_axes(dim, a.ndim)[0]
    if not 0 <= k <= a.shape[d]:
        raise RuntimeError(f"topk: k={k} is out of range for dimension {d} of size {a.shape[d]}")
    values, idx = sort(a, d, descending=largest)
    sl = (slice(None),) * d + (slice(0, k),)
    return _sh_returns(values[sl], idx[sl])


def _sh_returns(values, indices):
    from ..tensor import ReturnTypes
    return ReturnTypes(values, indices)


def nonzero(a, as_tuple=False):
    data = _t(a).data
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(Tensor._wrap(i, False, None, 0) for i in idx)
    return Tensor._wrap(xp.stack(idx, axis=1) if idx else xp.zeros((1, 0), dtype=xp.int64), False, None, 0)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _t(a), _t(b)
    return Tensor._wrap(xp.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan), False, None, 0)


def equal(a, b):
    """True when both have the same shape and elements."""
    a, b = _t(a), _t(b)
    return a.shape == b.shape and bool((a.data == b.data).all())


import builtins as _builtins  # noqa: E402
import operator as _operator  # noqa: E402

builtins_sum = _builtins.sum
