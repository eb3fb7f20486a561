"""Finite-difference gradient check of the backward pass (seed 002 §3.6), float64, PyTorch's tolerances.

The analytical Jacobian comes from the engine's backward pass, row by row
(one vector-Jacobian product per output element); the numerical one from
central differences, (f(x + eps) - f(x - eps)) / (2 eps). ``fast_mode``
compares a single random projection v^T J u instead of the whole matrix.
"""
import numpy as _np

from .autograd import no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False, raise_exception=True, seed=0):
    """Check the gradients of ``fn`` at ``inputs`` against finite differences.

    ``inputs`` is a tensor or a tuple of tensors; those with
    ``requires_grad=True`` are checked and must be float64. Returns True, or
    raises :class:`GradcheckError` naming the input and the worst entry
    (returns False instead when ``raise_exception=False``). The inputs'
    values and ``.grad`` are left as they were.
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    saved = [(t, t.grad) for t in inputs if isinstance(t, Tensor)]
    try:
        return _gradcheck(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed)
    finally:
        for t, grad in saved:
            t.grad = grad


def _gradcheck(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed):
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != _np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64")
    rng = _np.random.default_rng(seed)

    def numeric_outputs():
        with no_grad():
            return [o.data.astype(_np.float64).copy() for o in _outputs(fn, inputs)]

    outs = _outputs(fn, inputs)
    outs_diff = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    if not outs_diff:
        raise GradcheckError("gradcheck: no output requires grad")

    def vjp(vs):
        for i in checked:
            inputs[i].grad = None
        outs_now = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor) and o.requires_grad]
        from .autograd import backward
        backward(outs_now, [Tensor(v) for v in vs])
        return [inputs[i].grad.data.copy() if inputs[i].grad is not None else _np.zeros(inputs[i].shape) for i in checked]

    def fail(msg):
        if raise_exception:
            raise GradcheckError(msg)
        return False

    if fast_mode:
        vs = [rng.standard_normal(o.shape) for o in outs_diff]
        analytic = vjp(vs)
        for k, i in enumerate(checked):
            x = inputs[i]
            u = rng.standard_normal(x.shape)
            base = x.data.copy()
            x.data[...] = base + eps * u
            plus = numeric_outputs()
            x.data[...] = base - eps * u
            minus = numeric_outputs()
            x.data[...] = base
            idx = [j for j, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
            numerical = sum(float(((plus[j] - minus[j]) / (2 * eps) * v).sum()) for j, v in zip(idx, vs))
            a = float((analytic[k] * u).sum())
            if not abs(a - numerical) <= atol + rtol * abs(numerical):
                return fail(f"gradcheck (fast mode): input {i}: analytical v^T J u = {a:.8g}, numerical = {numerical:.8g}")
        return True

    out_sizes = [o.data.size for o in outs_diff]
    idx = [j for j, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    total = sum(out_sizes)
    analytic = [_np.zeros((total, inputs[i].data.size)) for i in checked]
    row = 0
    for j, o in enumerate(outs_diff):
        for r in range(o.data.size):
            vs = [_np.zeros(p.shape) for p in outs_diff]
            vs[j].reshape(-1)[r] = 1.0
            for k, g in enumerate(vjp(vs)):
                analytic[k][row] = g.reshape(-1)
            row += 1
    for k, i in enumerate(checked):
        x = inputs[i]
        flat = x.data.reshape(-1)
        numerical = _np.zeros((total, flat.size))
        for c in range(flat.size):
            orig = flat[c]
            flat[c] = orig + eps
            plus = numeric_outputs()
            flat[c] = orig - eps
            minus = numeric_outputs()
            flat[c] = orig
            numerical[:, c] = _np.concatenate([((plus[j] - minus[j]) / (2 * eps)).reshape(-1) for j in idx])
        bad = _np.abs(analytic[k] - numerical) > atol + rtol * _np.abs(numerical)
        if bad.any():
            r, c = _np.argwhere(bad)[0]
            return fail(
                f"gradcheck: Jacobian mismatch for input {i} at (output {r}, input element {c}): "
                f"analytical {analytic[k][r, c]:.8g}, numerical {numerical[r, c]:.8g} "
                f"({int(bad.sum())} of {bad.size} entries differ)"
            )
    return True
