"""Tensor constructors with PyTorch's names (``tensor``, ``zeros``, ``randn``, ...; tensors: seed 002 §2.4)."""
import numpy as _np

from .backend import xp
from .random import get_generator
from .tensor import Tensor, _to_array, get_default_dtype


def _dims(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, _np.integer)) or s < 0:
            raise ValueError(f"sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _check_device(device):
    """gradiente computes on the CPU: accept ``device="cpu"`` (as PyTorch code passes it), refuse others."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available; gradiente computes on 'cpu'")


def _make(array, dtype, requires_grad):
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return Tensor._wrap(array, False, None, 0).requires_grad_(requires_grad) if requires_grad else Tensor._wrap(array, False, None, 0)


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor from data (a copy); Python floats become float32, ints int64."""
    _check_device(device)
    arr = _to_array(data, dtype)
    arr = arr.copy() if isinstance(data, (xp.ndarray, Tensor)) else arr
    return _make(arr, None, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """A tensor sharing memory with ``data`` where possible."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor(data, dtype=dtype)


def from_numpy(array):
    return Tensor._wrap(xp.asarray(array), False, None, 0)


def zeros(*shape, dtype=None, requires_grad=False, device=None, size=None):
    _check_device(device)
    size = shape if size is None else (tuple(size),)
    return _make(xp.zeros(_dims(size), dtype=dtype or get_default_dtype()), None, requires_grad)


def ones(*shape, dtype=None, requires_grad=False, device=None, size=None):
    _check_device(device)
    size = shape if size is None else (tuple(size),)
    return _make(xp.ones(_dims(size), dtype=dtype or get_default_dtype()), None, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    if dtype is None:
        dtype = get_default_dtype() if isinstance(fill_value, float) else _np.asarray(fill_value).dtype
    return _make(xp.full(_dims((size,)), fill_value, dtype=dtype), None, requires_grad)


def empty(*shape, dtype=None, requires_grad=False, device=None, size=None):
    _check_device(device)
    size = shape if size is None else (tuple(size),)
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    return _make(xp.zeros(t.shape, dtype=dtype or t.dtype), None, requires_grad)


def ones_like(t, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    return _make(xp.ones(t.shape, dtype=dtype or t.dtype), None, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    return _make(xp.full(t.shape, fill_value, dtype=dtype or t.dtype), None, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    return _make(xp.eye(n, m, dtype=dtype or get_default_dtype()), None, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    if end is None:
        start, end = 0, start
    arr = xp.arange(start, end, step)
    if dtype is None and arr.dtype == _np.float64:
        dtype = get_default_dtype()
    return _make(arr, dtype, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    _check_device(device)
    return _make(xp.linspace(start, end, steps).astype(dtype or get_default_dtype()), None, requires_grad)


def rand(*shape, dtype=None, requires_grad=False, device=None, size=None):
    """Uniform on [0, 1), from the seeded generator."""
    _check_device(device)
    size = shape if size is None else (tuple(size),)
    arr = get_generator().random(_dims(size), dtype=_np.float64).astype(dtype or get_default_dtype())
    return _make(xp.asarray(arr), None, requires_grad)


def randn(*shape, dtype=None, requires_grad=False, device=None, size=None):
    """Standard normal, from the seeded generator."""
    _check_device(device)
    size = shape if size is None else (tuple(size),)
    arr = get_generator().standard_normal(_dims(size)).astype(dtype or get_default_dtype())
    return _make(xp.asarray(arr), None, requires_grad)


def randint(low, high=None, size=None, dtype=None, requires_grad=False, device=None):
    """Integers uniform in [low, high); ``randint(high, size)`` as PyTorch."""
    _check_device(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing the 'size' argument (a tuple)")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    arr = get_generator().integers(low, high, size=_dims((size,)) if not isinstance(size, int) else (size,))
    return _make(xp.asarray(arr, dtype=dtype or _np.int64), None, False)


def randperm(n, dtype=None, device=None):
    _check_device(device)
    return _make(xp.asarray(get_generator().permutation(n), dtype=dtype or _np.int64), None, False)


def rand_like(t, dtype=None, device=None):
    _check_device(device)
    return rand(*t.shape, dtype=dtype or t.dtype)


def randn_like(t, dtype=None, device=None):
    _check_device(device)
    return randn(*t.shape, dtype=dtype or t.dtype)
