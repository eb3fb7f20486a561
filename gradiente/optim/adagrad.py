"""``Adagrad``: a learning rate per parameter, shrunk by the sum of its squared gradients (seed 002 §3.7).

With g the gradient at step t (after ``maximize`` and ``weight_decay``):

    lr_t = lr / (1 + (t - 1) * lr_decay)
    G_t = G_{t-1} + g^2                        (G_0 = initial_accumulator_value)
    theta_t = theta_{t-1} - lr_t * g / (sqrt(G_t) + eps)

Parameters with large past gradients take smaller steps; since G only
grows, the effective learning rate decreases over training (what Adadelta
and RMSprop correct, seed 002 §3.7).
"""
from ..backend import xp
from ..tensor import Tensor
from .optimizer import Optimizer, _check_non_negative


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (seed 002 §3.7).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-2).
        lr_decay (float): learning rate decay per step (default 0).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        initial_accumulator_value (float): starting value of the sum of squares (default 0).
        eps (float): added to the denominator (default 1e-10).
        maximize (bool): maximise the objective instead of minimising it.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        # as PyTorch, the state exists from construction: step 0 and the initial sum
        group = self.param_groups[-1]
        for p in group["params"]:
            state = self.state[p]
            state["step"] = 0
            state["sum"] = Tensor(xp.full_like(p.data, group["initial_accumulator_value"]))

    def _validate_group(self, group):
        _check_non_negative("Adagrad", "learning rate", group["lr"])
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_non_negative("Adagrad", key, group[key])

    def _update_group(self, group):
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        for p, g in self._params_with_grad(group):
            d = p.data
            state = self.state[p]
            if "sum" not in state:
                state["step"] = 0
                state["sum"] = Tensor(xp.full_like(d, group["initial_accumulator_value"]))
            step = state["step"] = state["step"] + 1
            acc = state["sum"].data
            g = self._prepare_grad(g, d, float(group["weight_decay"]), group["maximize"])
            w = self._buffer(d, 1)
            clr = lr / (1 + (step - 1) * lr_decay)
            xp.add(acc, xp.multiply(g, g, out=w), out=acc)
            xp.sqrt(acc, out=w)
            xp.add(w, eps, out=w)
            xp.divide(g, w, out=w)
            xp.multiply(w, -clr, out=w)
            xp.add(d, w, out=d)
