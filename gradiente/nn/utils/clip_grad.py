"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (seed 002 §3.7).

A step moves each parameter by lr times its gradient (seed 002 §3.7); when a
gradient explodes (deep or recurrent networks, seed 002 §4.5) one step can
throw the parameters far away. Clipping bounds the step:

- by norm: all gradients together are seen as one vector; when its
  ``norm_type``-norm N exceeds ``max_norm`` every gradient is scaled by
  ``max_norm / (N + 1e-6)``, so the direction is kept;
- by value: every component is clamped to ``[-clip_value, clip_value]``.

Both act in place on ``p.grad`` of parameters that have one.
"""
import math

from ...backend import xp
from ...tensor import Tensor


def _grads(parameters, name):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: expected Tensors (parameters), but item {i} is a {type(p).__name__}")
        if p.grad is not None:
            grads.append(p.grad.data)
    return grads


def _norm_type(norm_type, name):
    try:
        norm_type = float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: norm_type must be a number (or 'inf'), got {norm_type!r}") from None
    if math.isnan(norm_type) or norm_type < 0:
        raise ValueError(f"{name}: norm_type must be >= 0 or inf, got {norm_type}")
    return norm_type


def _non_negative(value, what, name):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {what} must be a number, got {value!r}") from None
    if value < 0:
        raise ValueError(f"{name}: {what} must be >= 0, got {value}")
    return value


def _vector_norm(a, p):
    """The p-norm of ``a`` seen as one vector, in ``a``'s dtype (a NumPy scalar)."""
    if p == 2.0:
        flat = a.reshape(-1)
        return xp.sqrt(xp.dot(flat, flat))
    if math.isinf(p):
        return xp.abs(a).max() if a.size else a.dtype.type(0)
    if p == 0.0:
        return a.dtype.type(xp.count_nonzero(a))
    if p == 1.0:
        return xp.abs(a).sum(dtype=a.dtype)
    return (xp.abs(a) ** p).sum(dtype=a.dtype) ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The ``norm_type``-norm of all ``tensors`` (or arrays) together, as a 0-d tensor."""
    name = "get_total_norm"
    norm_type = _norm_type(norm_type, name)
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    arrays = [t.data if isinstance(t, Tensor) else xp.asarray(t) for t in tensors]
    if not arrays:
        return Tensor(0.0)
    dtype = arrays[0].dtype
    norms = xp.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = _vector_norm(norms, norm_type)  # as PyTorch: the norm of the per-tensor norms
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({float(total)}), so it cannot "
            "be clipped; set error_if_nonfinite=False to clip anyway (the gradients become NaN)"
        )
    return Tensor(xp.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1 (in place)."""
    grads = _grads(parameters, "clip_grads_with_norm_")
    if not grads:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else xp.asarray(total_norm)
    dtype = total.dtype if total.dtype.kind == "f" else grads[0].dtype
    coef = dtype.type(max_norm) / (total.astype(dtype) + dtype.type(1e-6))
    if coef < 1:
        for gr in grads:
            xp.multiply(gr, coef.astype(gr.dtype), out=gr)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Clip the gradients of ``parameters`` so that their joint norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor), as PyTorch does.
    """
    name = "clip_grad_norm_"
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)
    max_norm = _non_negative(max_norm, "max_norm", name)
    grads = _grads(parameters, name)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient component of ``parameters`` to ``[-clip_value, clip_value]`` (in place)."""
    name = "clip_grad_value_"
    clip_value = _non_negative(clip_value, "clip_value", name)
    for gr in _grads(parameters, name):
        xp.clip(gr, -clip_value, clip_value, out=gr)
