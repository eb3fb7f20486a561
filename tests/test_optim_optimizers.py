"""Optimizers (seed 002 §3.7): 10-step trajectories against PyTorch, param groups, state_dict, errors."""
import copy

import numpy as np
import pytest

import gradiente as g

# (optimizer name, options): every option of every update rule at least once
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-8)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]

SHAPES = [(4, 3), (4,), (2, 4)]


def _init(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES], rng.standard_normal((8, 3)).astype(dtype), \
        rng.standard_normal((8, 2)).astype(dtype)


def _loss(m, params, x, y):
    """A small MLP loss, written once for gradiente and torch: mean((tanh(x W1^T + b1) W2^T - y)^2)."""
    w1, b1, w2 = params
    h = m.tanh(x @ w1.T + b1)
    return ((h @ w2.T - y) ** 2).mean()


def _run(m, name, kwargs, dtype, steps=10, groups=None):
    arrays, x, y = _init(dtype)
    params = [m.nn.Parameter(m.tensor(a.copy())) for a in arrays]
    xt, yt = m.tensor(x), m.tensor(y)
    cls = getattr(m.optim, name)
    opt = cls(groups(params) if groups else params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        _loss(m, params, xt, yt).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trajectory_matches_torch(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    ours, opt = _run(g, name, kwargs, dtype)
    ref, _ = _run(torch, name, kwargs, dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for a, b in zip(ours, ref):
        assert a.dtype == dtype  # no upcast of float32 parameters
        np.testing.assert_allclose(a, b, **tol)
    for state in opt.state.values():
        for v in state.values():
            if isinstance(v, g.Tensor):
                assert v.dtype == dtype


def _two_groups(params):
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.3}]


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1)), ("Adadelta", dict(lr=0.7)), ("RMSprop", dict(lr=0.01, momentum=0.5)),
])
def test_param_groups_with_own_lr_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, opt = _run(g, name, kwargs, np.float64, groups=_two_groups)
    ref, _ = _run(torch, name, kwargs, np.float64, groups=_two_groups)
    assert [grp["lr"] for grp in opt.param_groups] == [kwargs["lr"], 0.3]
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_group_options_override_defaults():
    ps = [g.nn.Parameter(g.ones(2)), g.nn.Parameter(g.ones(2))]
    opt = g.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "momentum": 0.9, "nesterov": True}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["lr"] == 0.1


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[1].get("maximize") or c[0] == "Adadelta"][:6]
                         + [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                            ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)), ("Adagrad", dict(lr=0.1))])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    full, _ = _run(g, name, kwargs, np.float32, steps=10)

    arrays, x, y = _init(np.float32)
    params = [g.nn.Parameter(g.tensor(a.copy())) for a in arrays]
    xt, yt = g.tensor(x), g.tensor(y)
    opt = getattr(g.optim, name)(params, **kwargs)
    for _ in range(5):
        opt.zero_grad()
        _loss(g, params, xt, yt).backward()
        opt.step()
    saved_params = [p.data.copy() for p in params]
    saved = copy.deepcopy(opt.state_dict())

    fresh = [g.nn.Parameter(g.tensor(a)) for a in saved_params]
    opt2 = getattr(g.optim, name)(fresh, **kwargs)
    opt2.load_state_dict(saved)
    for _ in range(5):
        opt2.zero_grad()
        _loss(g, fresh, xt, yt).backward()
        opt2.step()
    for a, p in zip(full, fresh):
        np.testing.assert_array_equal(a, p.data)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1)), ("Adadelta", dict()), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
])
def test_state_dict_layout_matches_torch_and_loads_torch_state(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, opt = _run(g, name, kwargs, np.float64, steps=3, groups=_two_groups)
    ref, topt = _run(torch, name, kwargs, np.float64, steps=3, groups=_two_groups)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    for i in sd["state"]:
        assert set(sd["state"][i]) == set(tsd["state"][i])
        for k, v in sd["state"][i].items():
            tv = tsd["state"][i][k]
            np.testing.assert_allclose(np.asarray(v.numpy() if isinstance(v, g.Tensor) else v),
                                       tv.numpy(), rtol=1e-10, atol=1e-12)
    for grp, tgrp in zip(sd["param_groups"], tsd["param_groups"]):
        assert grp["params"] == tgrp["params"]
        for k, v in grp.items():
            assert k in tgrp and tgrp[k] == v, k
    # a PyTorch state dict (tensors as arrays) loads and continues like PyTorch
    converted = {
        "state": {i: {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in st.items()}
                  for i, st in tsd["state"].items()},
        "param_groups": copy.deepcopy(tsd["param_groups"]),
    }
    arrays, x, y = _init(np.float64)
    params = [g.nn.Parameter(g.tensor(a.copy())) for a in ref]
    opt2 = getattr(g.optim, name)(_two_groups(params), **kwargs)
    opt2.load_state_dict(converted)
    tparams = [p for grp in topt.param_groups for p in grp["params"]]
    for _ in range(3):
        opt2.zero_grad()
        _loss(g, params, g.tensor(x), g.tensor(y)).backward()
        opt2.step()
        topt.zero_grad()
        _loss(torch, tparams, torch.tensor(x), torch.tensor(y)).backward()
        topt.step()
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_load_state_dict_copies_and_casts():
    p = g.nn.Parameter(g.ones(3))
    opt = g.optim.Adam([p], lr=0.1)
    p.grad = g.ones(3)
    opt.step()
    sd = opt.state_dict()
    opt2 = g.optim.Adam([g.nn.Parameter(g.ones(3))], lr=0.5)
    opt2.load_state_dict(sd)
    st = opt2.state[opt2.param_groups[0]["params"][0]]
    assert st["step"] == 1 and st["exp_avg"].dtype == np.float32
    assert st["exp_avg"].data is not sd["state"][0]["exp_avg"].data
    assert opt2.param_groups[0]["lr"] == 0.1


def test_load_state_dict_mismatch_errors():
    a, b = g.nn.Parameter(g.ones(3)), g.nn.Parameter(g.ones(2))
    opt = g.optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = g.ones(3), g.ones(2)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        g.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="has 1 parameters"):
        g.optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        g.optim.SGD([g.nn.Parameter(g.ones(4)), b], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_zero_grad_and_skip_params_without_grad():
    a, b = g.nn.Parameter(g.ones(3)), g.nn.Parameter(g.ones(2))
    opt = g.optim.Adam([a, b], lr=0.1)
    a.grad = g.ones(3)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2, np.float32))  # no grad: untouched, no state
    assert b not in opt.state and opt.state[a]["step"] == 1
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, np.zeros(3, np.float32))
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_returns_loss():
    w = g.nn.Parameter(g.tensor([2.0, -1.0]))
    opt = g.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.data, [1.0, -0.5])  # w - 0.25 * 2w


def test_sgd_is_the_seed_update_rule():
    # seed 002 §3.7: theta_t = theta_{t-1} - lr * g; momentum: v_t = mu v_{t-1} + g, theta_t = theta_{t-1} - lr v_t
    w = g.nn.Parameter(g.tensor([1.0]))
    opt = g.optim.SGD([w], lr=0.1, momentum=0.5)
    for expected in (1.0 - 0.1 * 1.0, 0.9 - 0.1 * (0.5 * 1.0 + 1.0)):
        w.grad = g.tensor([1.0])
        opt.step()
        assert w.item() == pytest.approx(expected)


def test_add_param_group_and_named_params():
    lin = g.nn.Linear(3, 2)
    opt = g.optim.Adam(list(lin.named_parameters())[:1], lr=0.01)
    assert opt.param_groups[0]["param_names"] == ["weight"]
    opt.add_param_group({"params": [lin.bias], "lr": 0.1})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.1
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [lin.weight]})


def test_module_parameters_generator_is_accepted():
    model = g.nn.Sequential(g.nn.Linear(3, 4), g.nn.Linear(4, 1))
    opt = g.optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 4


def test_repr_lists_group_options():
    text = repr(g.optim.SGD([g.nn.Parameter(g.ones(1))], lr=0.1, momentum=0.9))
    assert "SGD (" in text and "momentum: 0.9" in text and "lr: 0.1" in text


# ------------------------------------------------------------------ errors
def _p():
    return g.nn.Parameter(g.ones(2))


@pytest.mark.parametrize("make,exc,match", [
    (lambda: g.optim.SGD([_p()], lr=-0.1), ValueError, "learning rate.*-0.1"),
    (lambda: g.optim.Adam([_p()], lr=-1e-3), ValueError, "learning rate"),
    (lambda: g.optim.SGD([_p()], lr=0.1, momentum=-0.5), ValueError, "momentum"),
    (lambda: g.optim.SGD([_p()], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
    (lambda: g.optim.SGD([_p()], lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (lambda: g.optim.SGD([_p()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
    (lambda: g.optim.Adam([_p()], betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    (lambda: g.optim.Adam([_p()], betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
    (lambda: g.optim.AdamW([_p()], betas=(0.9,)), ValueError, "betas must be a pair"),
    (lambda: g.optim.Adam([_p()], eps=-1e-8), ValueError, "epsilon"),
    (lambda: g.optim.Adagrad([_p()], lr_decay=-0.1), ValueError, "lr_decay"),
    (lambda: g.optim.Adagrad([_p()], initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
    (lambda: g.optim.Adadelta([_p()], rho=1.5), ValueError, "rho"),
    (lambda: g.optim.RMSprop([_p()], alpha=-0.1), ValueError, "alpha"),
    (lambda: g.optim.SGD([_p()], lr="fast"), TypeError, "must be a number"),
])
def test_invalid_options_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_invalid_params_raise():
    p = _p()
    with pytest.raises(ValueError, match="more than once"):
        g.optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        g.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors.*ndarray"):
        g.optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors.*float"):
        g.optim.Adam([1.0, 2.0])
    with pytest.raises(TypeError, match=r"iterable of Tensors or dicts, but got a Tensor of shape \(2,\)"):
        g.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        g.optim.SGD(3, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        g.optim.Adam([])
    with pytest.raises(ValueError, match="non-leaf"):
        g.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        g.optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError, match="dtype int64"):
        g.optim.SGD([g.tensor([1, 2])], lr=0.1)


def test_gradient_of_wrong_shape_raises():
    p = _p()
    opt = g.optim.SGD([p], lr=0.1)
    p.grad = g.ones(3)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) has shape \(3,\)"):
        opt.step()


def test_numpy_scalar_options_are_accepted_and_keep_float32():
    p = g.nn.Parameter(g.ones(3))
    opt = g.optim.Adam([p], lr=np.float64(0.1), betas=(np.float32(0.9), 0.999))
    p.grad = g.ones(3)
    opt.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.data, 0.9, rtol=1e-6)  # first Adam step: lr * sign(g)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.5, momentum=0.9)), ("Adam", dict(lr=0.05)), ("RMSprop", dict(lr=0.02)),
    ("Adagrad", dict(lr=0.3)), ("AdamW", dict(lr=0.05)), ("Adadelta", dict(lr=5.0)),
])
def test_each_optimizer_learns_xor(name, kwargs):
    # seed 004: XOR needs a hidden layer; every optimizer must bring the 2-8-1 MLP's loss down
    g.manual_seed(0)
    x = g.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = g.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = g.nn.Sequential(g.nn.Linear(2, 8), g.nn.Tanh(), g.nn.Linear(8, 1))
    opt = getattr(g.optim, name)(model.parameters(), **kwargs)
    sched = g.optim.lr_scheduler.StepLR(opt, step_size=200, gamma=0.5)
    for _ in range(400):
        opt.zero_grad()
        loss = ((model(x).sigmoid() - y) ** 2).mean()
        loss.backward()
        g.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
    assert loss.item() < 0.05, loss.item()  # the untrained loss is about 0.25
    assert ((model(x).sigmoid().numpy() > 0.5) == (y.numpy() > 0.5)).all()
