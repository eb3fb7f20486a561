"""``Optimizer``: the base of every update rule, as ``torch.optim.Optimizer`` (seed 002 §3.7).

Training repeats forward, backward and a *step* that moves each parameter
against its gradient (seed 002 §3.5, §3.7). An optimizer holds:

- ``param_groups``: a list of dicts, each with its ``"params"`` and its own
  options (``lr``, ``momentum``, ...), so that, e.g., a pretrained body and a
  new head train with different learning rates (seed 002 §3.11);
- ``state``: per parameter buffers (momentum, moving averages, step count).

``state_dict()`` uses PyTorch's layout: ``{"state": {index: {...}},
"param_groups": [{..., "params": [indices]}]}`` with parameters numbered in
order across groups. As in PyTorch, the tensors it returns are the live
buffers (not copies); ``load_state_dict`` copies what it loads. The step
count is kept as a Python ``int`` (PyTorch keeps a scalar tensor); a loaded
tensor or array step is converted.

Subclasses implement ``_update_group(group)``, which updates in place (with
``out=`` arguments and a reused scratch buffer, so a step allocates nothing
new once the state exists) every parameter of the group that has a gradient.
"""
from collections import defaultdict
import copy
import numbers

from ..autograd import enable_grad, no_grad
from ..backend import xp
from ..tensor import Tensor


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _check_non_negative(owner, name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{owner}: invalid {name} value: {value} (expected >= 0)")


def _check_unit_interval(owner, name, value, closed=False):
    """``0 <= value < 1`` (``<= 1`` when ``closed``)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    if not (0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0):
        bound = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{owner}: invalid {name}: {value} (expected a value in {bound})")


class Optimizer:
    """Base class of all optimizers (seed 002 §3.7).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of
            dicts defining parameter groups (each with a ``"params"`` key).
        defaults: the options every group gets unless it sets its own.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, but got a "
                f"Tensor of shape {tuple(params.shape)}; pass [tensor] or model.parameters()"
            )
        if isinstance(params, dict):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{type(self).__name__}: parameters must be given as an ordered collection (a list), not a set: "
                "the order of a set changes between runs"
            )
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not param_groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # --------------------------------------------------------------- groups
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (e.g. a new head while fine-tuning)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' key")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must be given as an ordered collection (a list), not a set: "
                "the order of a set changes between runs"
            )
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            names = [p[0] for p in params]
            params = [p[1] for p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors (Parameters), but parameter {i} of the group "
                    f"is a {type(p).__name__}"
                )
            if p.grad_fn is not None:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (parameter {i} of the group was computed "
                    f"by {p.grad_fn.name}); optimize the leaf tensors it came from"
                )
            if p.data.dtype.kind not in "fc":
                raise TypeError(
                    f"{name}: parameter {i} has dtype {p.data.dtype}; only floating point tensors can be optimized"
                )
        seen = {}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(
                    f"{name}: a parameter appears more than once in the same parameter group "
                    f"(positions {seen[id(p)]} and {i}, shape {tuple(p.shape)}); it would be updated twice"
                )
            seen[id(p)] = i
        for j, other in enumerate(self.param_groups):
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(
                    f"{name}: some parameters appear in more than one parameter group (already in group {j})"
                )
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required option {key!r}")
            group.setdefault(key, default)
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group):
        """Check a group's options; subclasses raise ValueError on invalid values."""

    # ----------------------------------------------------------------- step
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to ``None`` by default, as PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss and returns it."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def _buffer(self, array, slot=0):
        """Scratch array number ``slot`` shaped like ``array``, reused across steps and parameters."""
        key = (array.shape, array.dtype, slot)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = xp.empty_like(array)
        return buf

    def _prepare_grad(self, g, d, weight_decay, maximize):
        """``-g`` when maximizing, plus ``weight_decay * d`` (the L2 term of seed 002 §3.10).

        Returns ``g`` itself when neither applies, otherwise scratch slot 0.
        """
        if not maximize and weight_decay == 0:
            return g
        s = self._buffer(d)
        if weight_decay == 0:
            return xp.negative(g, out=s)
        xp.multiply(d, weight_decay, out=s)
        if maximize:
            return xp.subtract(s, g, out=s)
        return xp.add(g, s, out=s)

    def _params_with_grad(self, group):
        """Yield ``(p, g)`` for every parameter of ``group`` that has a gradient (``g`` its array)."""
        for p in group["params"]:
            g = self._grad(p, group)
            if g is not None:
                yield p, g

    def _state(self, p, *zero_buffers):
        """The state of ``p``; on its first step, ``step`` 0 and a zero tensor for each of ``zero_buffers``."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            for key in zero_buffers:
                state[key] = Tensor(xp.zeros_like(p.data))
        return state

    @staticmethod
    def _grad(p, group):
        """The gradient array of ``p`` (or None), checked against the parameter's shape."""
        grad = p.grad
        if grad is None:
            return None
        g = grad.data
        if g.shape != p.data.shape:
            raise RuntimeError(
                f"optimizer step: the gradient of a parameter of shape {p.data.shape} has shape {g.shape}"
            )
        return g

    # ----------------------------------------------------------- state dict
    def state_dict(self):
        """The optimizer's state in PyTorch's layout (parameters as indices, in order across groups)."""
        index, groups, start = {}, [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(start, start + len(group["params"])))
            for i, p in enumerate(group["params"]):
                index[id(p)] = start + i
            start += len(group["params"])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in index and p in self.state and self.state[p]:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a :meth:`state_dict`: group options and per-parameter buffers (copied, cast to parameter dtype)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(group['params'])} parameters, "
                    f"the loaded one has {len(saved['params'])}"
                )
        id_map = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for p, idx in zip(group["params"], saved["params"]):
                id_map[idx] = p
        new_state = defaultdict(dict)
        for idx, values in state_dict["state"].items():
            key = idx if idx in id_map else _maybe_int(idx)
            if key not in id_map:
                raise ValueError(f"{name}.load_state_dict: state refers to parameter index {idx!r}, which no group has")
            p = id_map[key]
            new_state[p] = {k: self._load_value(p, k, v) for k, v in values.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            for k, v in saved.items():
                if k != "params":
                    group[k] = copy.deepcopy(v)
        self.state = new_state

    def _load_value(self, p, key, value):
        if key == "step":
            return int(round(float(value.item() if isinstance(value, Tensor) else value)))
        if value is None:
            return None
        arr = value.data if isinstance(value, Tensor) else xp.asarray(value)
        if arr.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state {key!r} has shape {arr.shape}, "
                f"its parameter has shape {p.data.shape}"
            )
        return Tensor(arr.astype(p.data.dtype, copy=True))

    def __getstate__(self):
        d = self.__dict__.copy()
        d["_scratch"] = {}
        return d

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k not in ("params", "param_names"):
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _maybe_int(key):
    try:
        return int(key)
    except (TypeError, ValueError):
        return key
