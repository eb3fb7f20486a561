"""Reverse-mode automatic differentiation (seed 002 §3.6; seed 004, "diferenciación automática").

A :class:`Function` is one node of the computational graph. Its ``forward``
computes on raw arrays and saves what the local derivative needs; its
``backward`` receives dL/d(output) and returns dL/d(input) for every input:
the chain rule, one node at a time (the delta recursion of seed 000 §2).

:func:`backward` walks the graph once, in reverse topological order, with an
explicit stack (no recursion limit), accumulating the gradient of a tensor
that is used several times.
"""
from .backend import xp


class _GradMode:
    enabled = True


def is_grad_enabled():
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False


class no_grad:
    """``with no_grad():`` runs without recording the graph (evaluation, updates)."""

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = False
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """``with enable_grad():`` records the graph even inside ``no_grad``."""

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = True
        return self


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the backward of NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """Base class of every differentiable operation.

    Subclasses define ``forward(self, *arrays, **params)`` returning an array
    (or a tuple of arrays) and ``backward(self, *grad_outputs)`` returning one
    gradient per positional input (``None`` where no gradient is needed).
    ``self.needs_input_grad`` tells which inputs need one. Positional inputs
    that are not tensors (Python numbers, index tuples) pass through unchanged.
    """

    needs_input_grad = ()
    inputs = ()
    _retained = None

    @classmethod
    def apply(cls, *inputs, **params):
        fn = cls()
        requires_grad = False
        if _GradMode.enabled:
            for t in inputs:
                if isinstance(t, Tensor) and t.requires_grad:
                    requires_grad = True
                    break
        fn.requires_grad = requires_grad
        out = fn.forward(*[t.data if isinstance(t, Tensor) else t for t in inputs], **params)
        if requires_grad:
            fn.inputs = inputs
            fn.needs_input_grad = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
        if type(out) is tuple:
            fn.n_outputs = len(out)
            fn.output_shapes = [(o.shape, o.dtype) for o in out]
            return tuple(Tensor._wrap(o, requires_grad, fn if requires_grad else None, i) for i, o in enumerate(out))
        return Tensor._wrap(out, requires_grad, fn if requires_grad else None, 0)

    n_outputs = 1

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


def _topological_order(root_fns):
    """Functions reachable from ``root_fns``, each after every function that consumes it."""
    order, visited = [], set()
    stack = [(fn, False) for fn in root_fns]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        stack.append((fn, True))
        if fn.inputs is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its intermediate values were "
                "freed by the first backward(). Pass retain_graph=True to the first call if you "
                "need to backward twice."
            )
        for t in fn.inputs:
            if isinstance(t, Tensor) and t.grad_fn is not None and id(t.grad_fn) not in visited:
                stack.append((t.grad_fn, False))
    order.reverse()
    return order


def _accumulate_leaf(t, g):
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    if t._hooks:
        for hook in t._hooks:
            out = hook(Tensor._wrap(g, False, None, 0))
            if out is not None:
                g = out.data
    if t.grad is None:
        # a copy: the same array may also flow to other inputs, and grads accumulate in place
        t.grad = Tensor._wrap(g.copy(), False, None, 0)
    else:
        t.grad.data += g


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Compute d(sum of tensors)/d(leaf) for every leaf that requires grad (seed 002 §3.6)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
        grad_tensors = [grad_tensors]
    elif grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "the tensor was computed from inputs without requires_grad=True, or under no_grad()"
            )
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape {tuple(t.shape)}. "
                    "Pass a gradient: tensor.backward(gradient)"
                )
            g = xp.ones_like(t.data)
        else:
            g = g.data if isinstance(g, Tensor) else xp.asarray(g, dtype=t.data.dtype)
            if g.shape != t.data.shape:
                raise RuntimeError(f"backward: gradient has shape {g.shape} but the tensor has shape {t.data.shape}")
        if t.grad_fn is None:
            _accumulate_leaf(t, g)
            continue
        fn = t.grad_fn
        if fn._out_grads is None:
            fn._out_grads = [None] * fn.n_outputs
        idx = t._output_index
        fn._out_grads[idx] = g if fn._out_grads[idx] is None else fn._out_grads[idx] + g
        roots.append(fn)
    if not roots:
        return
    for fn in _topological_order(roots):
        grads = fn._out_grads
        fn._out_grads = None
        if grads is None:
            continue
        if fn._retained:
            for idx, t in fn._retained:
                if grads[idx] is not None:
                    if t.grad is None:
                        t.grad = Tensor._wrap(grads[idx].copy(), False, None, 0)
                    else:
                        t.grad.data += grads[idx]
        if fn.n_outputs == 1:
            in_grads = fn.backward(grads[0])
        else:
            out_shapes = fn.output_shapes
            in_grads = fn.backward(*[
                g if g is not None else xp.zeros(s, dtype=d) for g, (s, d) in zip(grads, out_shapes)
            ])
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        for t, g, need in zip(fn.inputs, in_grads, fn.needs_input_grad):
            if not need or g is None:
                continue
            if t.grad_fn is None:
                _accumulate_leaf(t, g)
                continue
            if t._hooks:
                for hook in t._hooks:
                    out = hook(Tensor._wrap(g, False, None, 0))
                    if out is not None:
                        g = out.data
            parent = t.grad_fn
            buf = parent._out_grads
            if buf is None:
                buf = parent._out_grads = [None] * parent.n_outputs
            i = t._output_index
            if g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
            buf[i] = g if buf[i] is None else buf[i] + g
        if not retain_graph:
            _release(fn)


def _release(fn):
    """Free what ``fn`` saved for backward; a second backward through it then fails clearly."""
    n = fn.n_outputs
    fn.__dict__.clear()
    fn.inputs = None
    fn.n_outputs = n


Function._out_grads = None

from .tensor import Tensor  # noqa: E402  (circular: Tensor uses Function)
