"""``SGD``: (mini-batch) stochastic gradient descent with momentum and Nesterov (seed 002 §3.7; seed 003).

The update of seed 002 §3.7, theta_t = theta_{t-1} - lr * g, with PyTorch's options:

- ``weight_decay`` adds ``weight_decay * theta`` to the gradient (the L2
  penalty of seed 002 §3.10 folded into the gradient);
- ``momentum`` mu keeps a velocity v_t = mu * v_{t-1} + (1 - dampening) * g
  (v_1 = g), and the step uses v_t (seed 002 §3.7 "Momentum", seed 003);
- ``nesterov`` steps with g + mu * v_t: the gradient "looks ahead" along the
  velocity (seed 002 §3.7, "Nesterov Accelerated Gradient");
- ``maximize`` ascends instead of descending.
"""
from ..backend import xp
from ..tensor import Tensor
from .optimizer import Optimizer, _check_non_negative


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (seed 002 §3.7).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-3, PyTorch's).
        momentum (float): momentum factor mu (default 0).
        dampening (float): dampening of the gradient in the velocity (default 0).
        weight_decay (float): L2 penalty folded into the gradient (default 0).
        nesterov (bool): Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize (bool): maximise the objective instead of minimising it.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            _check_non_negative("SGD", key if key != "lr" else "learning rate", group[key])
        if not isinstance(group["dampening"], (int, float)):
            raise TypeError(f"SGD: dampening must be a number, got {type(group['dampening']).__name__}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum > 0 and zero dampening "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )

    def _update_group(self, group):
        lr, mu, damp = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        nesterov = group["nesterov"]
        for p, g in self._params_with_grad(group):
            d = p.data
            g = self._prepare_grad(g, d, float(group["weight_decay"]), group["maximize"])
            w = self._buffer(d, 1)
            if mu != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    state["momentum_buffer"] = buf = Tensor(g.copy())
                    m = buf.data
                else:
                    m = buf.data
                    xp.multiply(m, mu, out=m)
                    if damp != 0:
                        xp.add(m, xp.multiply(g, 1 - damp, out=w), out=m)
                    else:
                        xp.add(m, g, out=m)
                if nesterov:
                    xp.multiply(m, mu, out=w)
                    g = xp.add(g, w, out=w)
                else:
                    g = m
            xp.multiply(g, -lr, out=w)
            xp.add(d, w, out=d)
