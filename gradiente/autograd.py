"""Reverse-mode automatic differentiation (seed 002 §3.6; seed 004, "diferenciación automática").

A :class:`Function` is one node of the computational graph. Its ``forward``
computes on raw arrays and saves what the local derivative needs; its
``backward`` receives dL/d(output) and returns dL/d(input) for every input:
the chain rule, one node at a time (the delta recursion of seed 000 §2).

:func:`backward` walks the graph once, in reverse creation order (a
topological order: a node is always created after the nodes that made its
inputs), with a heap instead of recursion, so graph depth has no limit. The
gradient of a tensor used several times is the sum of its contributions,
complete before its node runs. See ``docs/engine.md``.

With ``create_graph=True`` the walk is the same, but every node runs its
``backward_graph``: the chain rule written with the differentiable operations
themselves, so the gradients it returns are tensors in a new graph and can be
differentiated again (Hessian-vector products, gradient penalties).
"""
import functools
import heapq
import itertools
import threading

from .backend import xp

class _AnomalyMode:
    detect_anomaly = False  # process-wide, as torch's anomaly mode


class _GradModeState(threading.local):
    """Whether operations are recorded: per thread, as in PyTorch (a new thread starts with it on).

    ``no_grad()`` in one thread (an optimizer step, an evaluation loop) leaves the graph
    recording of every other thread alone.
    """

    enabled = True


_GradMode = _GradModeState()


class detect_anomaly:
    """``with detect_anomaly():`` makes backward() fail at the first NaN/Inf gradient, naming its Function.

    As ``torch.autograd.detect_anomaly``: a NaN in a loss is easiest to fix where it first appears
    (``log(0)``, ``0/0``, an overflowing ``exp``). Every gradient is checked, so it is slower; use it
    for debugging. ``check_nan=False`` turns the check off inside a checked region.
    """

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)

    def __enter__(self):
        self.prev = _AnomalyMode.detect_anomaly
        _AnomalyMode.detect_anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        _AnomalyMode.detect_anomaly = self.prev
        return False


def set_detect_anomaly(mode):
    """Turn the NaN/Inf check of :class:`detect_anomaly` on or off for the rest of the program."""
    _AnomalyMode.detect_anomaly = bool(mode)


def is_anomaly_enabled():
    return _AnomalyMode.detect_anomaly


def _check_finite(fn, in_grads):
    for k, g in enumerate(in_grads):
        if g is not None and g.dtype.kind in "fc" and not xp.isfinite(g).all():
            kind = "nan" if xp.isnan(g).any() else "inf"
            raise RuntimeError(f"Function '{fn.name}Backward' returned {kind} values in its {k}th output "
                               f"(the gradient of its input {k}); detected by detect_anomaly()")


def is_grad_enabled():
    """Whether operations are recorded in the graph now (``torch.is_grad_enabled``)."""
    return _GradMode.enabled


class _GradModeContext:
    """Base of the grad-mode switches: usable with ``with`` and as a function decorator."""

    mode = True

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False

    def _clone(self):
        return type(self)()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self._clone():
                return func(*args, **kwargs)

        return wrapper


class _NoArgsContext(_GradModeContext):
    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or a function, as a decorator)")
        return cls()(orig_func)  # used as ``@no_grad`` without parentheses


class no_grad(_NoArgsContext):
    """``with no_grad():`` (or ``@no_grad()``) runs without recording the graph (evaluation, updates)."""

    mode = False


class enable_grad(_NoArgsContext):
    """``with enable_grad():`` (or ``@enable_grad()``) records the graph even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: as a call (takes effect at once), a ``with`` block, or a decorator."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def _clone(self):
        return _GradModeBlock(self.mode)

    def __call__(self, func):
        _GradMode.enabled = self.prev  # used as a decorator: the mode applies inside the function only
        return super().__call__(func)


class _GradModeBlock(_GradModeContext):
    def __init__(self, mode):
        self.mode = mode


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


def constant(data):
    """An array as a tensor outside the graph (a mask or a saved factor inside ``backward_graph``)."""
    return Tensor._wrap(data, False, None, 0)


def sum_to(grad, shape):
    """:func:`unbroadcast` for a gradient tensor: the same sum, recorded in the graph (create_graph)."""
    if grad.data.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.data.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad.reshape(shape)


_sequence = itertools.count()


class Function:
    """Base class of every differentiable operation.

    Subclasses define ``forward(self, *arrays, **params)`` returning an array
    (or a tuple of arrays) and ``backward(self, *grad_outputs)`` returning one
    gradient per positional input (``None`` where no gradient is needed).
    ``backward_graph`` is the same derivative for ``create_graph=True``: it takes
    and returns tensors and is written with differentiable operations on the
    input tensors ``self.inputs`` (and on :meth:`output` for a saved result).
    ``self.needs_input_grad`` (set before ``forward`` runs) tells which inputs
    need one. Positional inputs that are not tensors (Python numbers, index
    tuples, arrays) pass through unchanged; keyword arguments are parameters.
    """

    needs_input_grad = ()
    inputs = ()
    n_outputs = 1
    _out_grads = None  # gradient buffers, one per output, filled during backward()
    _retained = None  # [(output index, tensor)] of outputs that retain_grad()
    _tensor_hooks = None  # [(output index, hook)] registered on outputs
    _hooked = False  # True once an output has a hook or retains its grad

    @classmethod
    def apply(cls, *inputs, **params):
        fn = cls()
        grad_on = _GradMode.enabled
        arrays, needs, requires_grad = [], [], False
        for t in inputs:  # a plain loop: cheaper than comprehensions for one to three inputs
            if isinstance(t, Tensor):
                arrays.append(t.data)
                need = grad_on and t.requires_grad
                needs.append(need)
                requires_grad = requires_grad or need
            else:
                arrays.append(t)
                needs.append(False)
        fn.needs_input_grad = tuple(needs)
        try:
            out = fn.forward(*arrays, **params)
        except ValueError as exc:
            if "broadcast" not in str(exc):
                raise
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))
            raise RuntimeError(f"{cls.__name__}: the shapes {shapes} cannot be broadcast together (each "
                               "dimension must match or be 1, counting from the last)") from None
        if requires_grad:
            fn.inputs = inputs
            fn._seq = next(_sequence)
        else:
            fn = None
        if type(out) is tuple:
            if fn is not None:
                fn.n_outputs = len(out)
                fn.output_shapes = [(o.shape, o.dtype) for o in out]
            return tuple(Tensor._wrap(o, requires_grad, fn, i) for i, o in enumerate(out))
        return Tensor._wrap(out, requires_grad, fn, 0)

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward_graph(self, *grad_outputs):
        raise RuntimeError(f"{self.name}Backward does not support create_graph=True (higher-order gradients)")

    def output(self, data, index=0):
        """Output ``index`` of this node (its array ``data``) as a tensor in the graph, for ``backward_graph``."""
        return Tensor._wrap(data, True, self, index)

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


_FREED = (
    "Trying to backward through the graph a second time (or to directly access saved tensors after "
    "they have already been freed): the first backward() released what {} saved. Pass "
    "retain_graph=True to the first backward() if you need to backward twice."
)


def _run_hooks(hooks, g):
    for hook in hooks:
        out = hook(Tensor._wrap(g, False, None, 0))
        if out is not None:
            # a copy: the hook may keep its tensor, and gradients may later be updated in place
            new = xp.array(out.data if isinstance(out, Tensor) else out, dtype=g.dtype)
            if new.shape != g.shape:
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!s} returned a gradient of shape "
                                   f"{tuple(new.shape)}; expected {tuple(g.shape)}")
            g = new
    return g


def _deposit(fn, index, g, heap):
    """Add ``g`` to the gradient buffer of output ``index`` of ``fn`` (queue fn at its first gradient)."""
    buf = fn._out_grads
    if buf is None:
        buf = fn._out_grads = [None] * fn.n_outputs
        heapq.heappush(heap, (-fn._seq, fn))  # sequence numbers are unique: fn is never compared
    buf[index] = g if buf[index] is None else buf[index] + g


def _route(t, g, leaves, heap):
    """Hand the gradient ``g`` of input ``t`` on: to the leaves' sums, or to the node that made ``t``."""
    if t.grad_fn is None:
        _add_leaf(leaves, t, g)
    else:
        _deposit(t.grad_fn, t._output_index, g, heap)


def _accumulate_leaf(t, g, owned):
    """``t.grad += g``; ``owned`` says ``g`` is a fresh array no one else holds (else it is copied)."""
    if t._hooks:
        g = _run_hooks(t._hooks, g)
        owned = False
    if g.dtype is not t.data.dtype and g.dtype != t.data.dtype:
        g, owned = g.astype(t.data.dtype), True
    if t.grad is None:
        if not owned or g.base is not None or not g.flags.writeable:
            g = g.copy()
        t.grad = Tensor._wrap(g, False, None, 0)
    else:
        t.grad.data += g


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(sum of tensors . grad_tensors)/d(leaf) into every leaf's ``.grad`` (seed 002 §3.6).

    Like ``torch.autograd.backward``. With ``create_graph=True`` the backward pass is itself
    recorded: the gradients are tensors with a ``grad_fn``, differentiable again, and
    ``retain_graph`` defaults to True.
    """
    if retain_graph is None:
        retain_graph = create_graph
    if isinstance(tensors, Tensor):
        tensors, grad_tensors = [tensors], [grad_tensors]
    elif grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"backward: got {len(tensors)} tensors but {len(grad_tensors)} gradients")
    only = None if inputs is None else {id(t) for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}
    # (an empty ``inputs`` accumulates into no leaf: autograd.grad uses that for non-leaf inputs)
    heap, leaves = [], {}
    for k, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {k} of tensors does not require grad and does not have a grad_fn: the tensor was "
                "computed from inputs without requires_grad=True, or under no_grad()"
            )
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape {tuple(t.shape)}. "
                    "Pass a gradient: tensor.backward(gradient)"
                )
            g = xp.array(1, dtype=t.data.dtype).reshape(t.data.shape)
        else:
            g = xp.array(g.data if isinstance(g, Tensor) else g, dtype=t.data.dtype)  # a copy
            if g.shape != t.data.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {tuple(g.shape)} but the tensor has shape {tuple(t.shape)}"
                )
        if create_graph:  # the given gradient may itself be in a graph (a Hessian-vector product's v)
            given = grad_tensors[k]
            if isinstance(given, Tensor) and given.requires_grad:
                g = given.to(g.dtype)
            else:
                g = constant(g)
        if t.grad_fn is None:
            _add_leaf(leaves, t, g)
        else:
            _deposit(t.grad_fn, t._output_index, g, heap)
    if create_graph:
        return _backward_graph(heap, leaves, retain_graph, only)
    pop = heapq.heappop
    try:
        while heap:
            fn = pop(heap)[1]
            grads = _take_grads(fn, graph=False)
            if len(grads) == 1:
                in_grads = fn.backward(grads[0])
            else:
                in_grads = fn.backward(*[
                    g if g is not None else xp.zeros(s, dtype=d) for g, (s, d) in zip(grads, fn.output_shapes)
                ])
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if _AnomalyMode.detect_anomaly:
                _check_finite(fn, in_grads)
            for t, g, need in zip(fn.inputs, in_grads, fn.needs_input_grad):
                if not need or g is None:
                    continue
                data = t.data
                if g.shape != data.shape:
                    raise RuntimeError(
                        f"{fn.name}.backward returned a gradient of shape {tuple(g.shape)} for an input of "
                        f"shape {tuple(data.shape)}"
                    )
                if g.dtype is not data.dtype and g.dtype != data.dtype:
                    g = g.astype(data.dtype)
                _route(t, g, leaves, heap)
            if not retain_graph:
                _release(fn, len(grads))
    except BaseException:
        _drop_buffers(heap)
        raise
    given = set()  # arrays already handed to a leaf: a second leaf gets a copy
    for t, g in leaves.values():
        if only is not None and id(t) not in only:
            continue
        k = id(g)
        _accumulate_leaf(t, g, k not in given)
        given.add(k)


def _take_grads(fn, graph):
    """The complete output gradients of ``fn`` (its buffer emptied), after its output hooks ran."""
    grads = fn._out_grads
    fn._out_grads = None
    if fn.inputs is None:
        raise RuntimeError(_FREED.format(f"{fn.name}Backward"))
    if fn._hooked:
        _output_hooks(fn, grads, graph)
    return grads


def _release(fn, n_outputs):
    """Free what ``fn`` saved once its backward ran; a second backward through it then fails clearly."""
    d = fn.__dict__
    seq = d["_seq"]
    d.clear()
    d["inputs"], d["_seq"] = None, seq
    if n_outputs != 1:
        d["n_outputs"] = n_outputs


def _drop_buffers(heap):
    """After an error: leave no half-filled gradient buffers behind for the next backward()."""
    for _, fn in heap:
        fn._out_grads = None


def _backward_graph(heap, leaves, retain_graph, only):
    """The walk of :func:`backward` for ``create_graph=True``: gradients are tensors, each node runs its
    ``backward_graph`` with recording on, and leaves get a ``.grad`` that is differentiable again."""
    pop = heapq.heappop
    with enable_grad():
        try:
            while heap:
                fn = pop(heap)[1]
                grads = _take_grads(fn, graph=True)
                if len(grads) == 1:
                    in_grads = fn.backward_graph(grads[0])
                else:
                    in_grads = fn.backward_graph(*[
                        g if g is not None else constant(xp.zeros(s, dtype=d))
                        for g, (s, d) in zip(grads, fn.output_shapes)
                    ])
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                if _AnomalyMode.detect_anomaly:
                    _check_finite(fn, [None if g is None else g.data for g in in_grads])
                for t, g, need in zip(fn.inputs, in_grads, fn.needs_input_grad):
                    if not need or g is None:
                        continue
                    data = t.data
                    if g.data.shape != data.shape:
                        raise RuntimeError(
                            f"{fn.name}.backward_graph returned a gradient of shape {tuple(g.shape)} for an input "
                            f"of shape {tuple(data.shape)}"
                        )
                    if g.data.dtype != data.dtype:
                        g = g.to(data.dtype)
                    _route(t, g, leaves, heap)
                if not retain_graph:
                    _release(fn, len(grads))
        except BaseException:
            _drop_buffers(heap)
            raise
        for t, g in leaves.values():
            if only is None or id(t) in only:
                _accumulate_leaf_graph(t, g)


def _accumulate_leaf_graph(t, g):
    """``t.grad = t.grad + g`` out of place, keeping the graph of ``g`` (as PyTorch with create_graph)."""
    if t._hooks:
        g = _run_hooks_graph(t._hooks, g)
    if g.data.dtype != t.data.dtype:
        g = g.to(t.data.dtype)
    if t.grad is None:
        # a constant gradient may be shared (the caller's, another leaf's): the leaf gets its own copy
        t.grad = g if g.requires_grad else constant(g.data.copy())
    else:
        t.grad = t.grad + g


def _run_hooks_graph(hooks, g):
    for hook in hooks:
        out = hook(g)
        if out is not None:
            if not isinstance(out, Tensor):
                out = constant(xp.array(out, dtype=g.data.dtype))
            if out.data.shape != g.data.shape:
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!s} returned a gradient of shape "
                                   f"{tuple(out.shape)}; expected {tuple(g.shape)}")
            g = out
    return g


def _output_hooks(fn, grads, graph=False):
    """Hooks registered on fn's outputs see their complete gradient, then retain_grad() copies it."""
    if fn._tensor_hooks:
        run = _run_hooks_graph if graph else _run_hooks
        for i, hook in fn._tensor_hooks:
            if grads[i] is not None:
                grads[i] = run((hook,), grads[i])
    if fn._retained:
        _retain(fn, grads, graph)


def _retain(fn, grads, graph=False):
    for i, t in fn._retained:
        g = grads[i]
        if g is None:
            continue
        if graph:
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            t.grad = Tensor._wrap(g.copy(), False, None, 0)
        else:
            t.grad.data += g


def _add_leaf(leaves, t, g):
    entry = leaves.get(id(t))
    leaves[id(t)] = (t, g) if entry is None else (t, entry[1] + g)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(outputs)/d(inputs) returned as a tuple, without touching any ``.grad`` (``torch.autograd.grad``).

    Useful for saliency maps (dL/dx of an input image) or for inspecting dL/dh of a hidden layer.
    With ``create_graph=True`` the gradients are differentiable: a gradient penalty, or a
    Hessian-vector product ``grad((grad(f, x, create_graph=True)[0] * v).sum(), x)``.
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {k} does not require grad")
    saved = [(t, t.grad) for t in inputs]
    added = []
    for t in inputs:
        t.grad = None
        if t.grad_fn is not None and not t.retains_grad:
            t.retain_grad()
            added.append(t)
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=[t for t in inputs if t.grad_fn is None])
        result = tuple(t.grad for t in inputs)
    finally:
        for t in added:
            fn = t.grad_fn
            if fn._retained:
                fn._retained[:] = [(i, r) for i, r in fn._retained if r is not t]
        for t, old in saved:
            t.grad = old
    if not allow_unused and any(r is None for r in result):
        k = next(i for i, r in enumerate(result) if r is None)
        raise RuntimeError(f"grad: input {k} was not used in the graph of the outputs; pass allow_unused=True "
                           "to get None for it")
    return result


from .tensor import Tensor  # noqa: E402  (circular: Tensor uses Function)
