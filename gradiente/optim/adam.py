"""``Adam`` and ``AdamW``: adaptive moment estimation (seed 002 §3.7, "Adam").

Adam adapts the step of every parameter with exponential moving averages of
the gradient and of its square (seed 002 §3.7). With g the gradient at step t:

    m_t = beta1 * m_{t-1} + (1 - beta1) * g
    v_t = beta2 * v_{t-1} + (1 - beta2) * g^2
    theta_t = theta_{t-1} - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

``amsgrad`` divides by the running maximum of v_t instead of v_t.
``weight_decay`` in ``Adam`` adds ``weight_decay * theta`` to the gradient (an
L2 penalty, seed 002 §3.10, whose effect the adaptive denominator rescales);
``AdamW`` instead *decouples* it: theta is shrunk by ``1 - lr * weight_decay``
before the Adam step, independently of the gradient statistics.
"""
from ..backend import xp
from ..tensor import Tensor
from .optimizer import Optimizer, _check_non_negative, _check_unit_interval


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (seed 002 §3.7).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate (default 1e-3).
        betas (tuple): decay rates (beta1, beta2) of the moving averages (default (0.9, 0.999)).
        eps (float): added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty added to the gradient (default 0).
        amsgrad (bool): use the running maximum of the second moment (default False).
        maximize (bool): maximise the objective instead of minimising it.
        decoupled_weight_decay (bool): apply weight decay as AdamW does (default False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        name = type(self).__name__
        _check_non_negative(name, "learning rate", group["lr"])
        _check_non_negative(name, "epsilon", group["eps"])
        _check_non_negative(name, "weight_decay", group["weight_decay"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            _check_unit_interval(name, f"beta parameter at index {i}", b)
        group["betas"] = tuple(betas)

    def _update_group(self, group):
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        amsgrad = group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p, g in self._params_with_grad(group):
            d = p.data
            state = self._state(p, "exp_avg", "exp_avg_sq")
            step = state["step"] = state["step"] + 1
            m, v = state["exp_avg"].data, state["exp_avg_sq"].data
            if decoupled and wd != 0:
                xp.multiply(d, 1 - lr * wd, out=d)
            g = self._prepare_grad(g, d, 0 if decoupled else wd, group["maximize"])
            w = self._buffer(d, 1)
            # m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g  (in place)
            xp.multiply(m, beta1, out=m)
            xp.add(m, xp.multiply(g, 1 - beta1, out=w), out=m)
            xp.multiply(v, beta2, out=v)
            xp.multiply(g, 1 - beta2, out=w)
            xp.multiply(w, g, out=w)
            xp.add(v, w, out=v)
            if amsgrad:
                if state.get("max_exp_avg_sq") is None:
                    state["max_exp_avg_sq"] = Tensor(xp.zeros_like(d))
                v = xp.maximum(state["max_exp_avg_sq"].data, v, out=state["max_exp_avg_sq"].data)
            # lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) == (lr*sqrt(bc2)/bc1) * m / (sqrt(v) + eps*sqrt(bc2)):
            # the bias corrections fold into two scalars, saving a pass over the parameter
            bc2_sqrt = (1 - beta2 ** step) ** 0.5
            step_size = lr * bc2_sqrt / (1 - beta1 ** step)
            xp.sqrt(v, out=w)
            xp.add(w, eps * bc2_sqrt, out=w)
            xp.divide(m, w, out=w)
            xp.multiply(w, -step_size, out=w)
            xp.add(d, w, out=d)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` (default weight_decay 1e-2).

    Each step first shrinks theta by ``1 - lr * weight_decay``, then takes the
    Adam step of the raw gradient (seed 002 §3.7, §3.10).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
