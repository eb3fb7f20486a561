"""Differentiable operations on tensors (the ``torch.*`` function namespace).

Primitive ops live in ``elementwise``, ``reduce``, ``linalg`` and ``shape``;
fused kernels for the hot paths sit in their own modules beside them.
"""
from ..backend import xp
from ..tensor import Tensor, as_tensor_like
from . import elementwise as _ew, reduce as _red, linalg as _la, shape as _sh, activation as _act


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def add(a, b):
    return _ew.Add.apply(*as_tensor_like(a, b))


def sub(a, b):
    return _ew.Sub.apply(*as_tensor_like(a, b))


def mul(a, b):
    return _ew.Mul.apply(*as_tensor_like(a, b))


def div(a, b):
    return _ew.Div.apply(*as_tensor_like(a, b))


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


def where(condition, a, b):
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


def pad(a, pad, mode="constant", value=0.0):
    """Pad like ``torch.nn.functional.pad``: ``pad`` lists (left, right) pairs from the last dim backwards."""
    a = _t(a)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2*{a.ndim}, got {len(pad)}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return _sh.Pad.apply(a, widths=tuple(widths), value=value)


import builtins as _builtins  # noqa: E402

builtins_sum = _builtins.sum
