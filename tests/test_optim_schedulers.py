"""Learning-rate schedulers (seed 002 §3.8): lr sequences against PyTorch, state_dict, errors."""
import copy
import warnings

import numpy as np
import pytest

import gradiente as g

SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("LinearLR", dict(start_factor=0.1, total_iters=6)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=4)),
    ("ConstantLR", dict(factor=0.3, total_iters=4)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.9 ** e / (1 + e))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0 / (1 + e), lambda e: 0.5 ** e])),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
]


def _optimizer(m):
    a, b = m.nn.Parameter(m.zeros(2)), m.nn.Parameter(m.zeros(3))
    return m.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)


def _sequence(m, name, kwargs, steps=20):
    opt = _optimizer(m)
    sched = getattr(m.optim.lr_scheduler, name)(opt, **kwargs)
    seq = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [grp["lr"] for grp in opt.param_groups]
    return np.array(seq)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_lr_sequence_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = _sequence(g, name, kwargs)
    ref = _sequence(torch, name, kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0)


def test_sequential_warmup_then_cosine_matches_torch():
    torch = pytest.importorskip("torch")
    seqs = []
    for m in (g, torch):
        opt = _optimizer(m)
        sch = m.optim.lr_scheduler
        warm = sch.LinearLR(opt, start_factor=0.1, total_iters=3)
        cos = sch.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
        seq_sched = sch.SequentialLR(opt, [warm, cos], milestones=[3])
        seq = [seq_sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            seq_sched.step()
            seq.append(seq_sched.get_last_lr())
        seqs.append(np.array(seq))
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8]


@pytest.mark.parametrize("kwargs", [
    dict(factor=0.5, patience=2, cooldown=1, min_lr=[0.01, 0.1], threshold=0.01),
    dict(mode="max", factor=0.2, patience=1, threshold_mode="abs", threshold=0.02, min_lr=0.002),
    dict(patience=0, eps=0.05),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    seqs = []
    for m in (g, torch):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for v in PLATEAU_METRICS:
            sched.step(m.tensor(v))
            seq.append(sched.get_last_lr())
        seqs.append(np.array(seq))
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


def test_reduce_on_plateau_rule_without_torch():
    opt = _optimizer(g)
    sched = g.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    lrs = []
    for v in [1.0, 1.0, 1.0, 0.5, 0.6, 0.7]:
        sched.step(v)
        lrs.append(sched.get_last_lr()[0])
    # epoch 3 is the second epoch without improvement (> patience 1): halve; improvement at 4 resets
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_closed_form_step_with_epoch_matches_torch():
    torch = pytest.importorskip("torch")
    out = []
    for m in (g, torch):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step(7)
        out.append(sched.get_last_lr())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_scheduler_state_dict_round_trip():
    opt = _optimizer(g)
    sched = g.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    rest = []
    for _ in range(4):
        opt.step()
        sched.step()
        rest.append(sched.get_last_lr())

    opt2 = _optimizer(g)
    opt2.load_state_dict(saved_opt)
    sched2 = g.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10, last_epoch=3)
    sched2.load_state_dict(saved)
    rest2 = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        rest2.append(sched2.get_last_lr())
    assert rest == rest2


def test_lambda_state_dict_skips_plain_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _optimizer(g)
    sched = g.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, Decay()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"][0] is None and sd["lr_lambdas"][1] == {"rate": 0.5}
    sd["lr_lambdas"][1]["rate"] = 0.25
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[1].rate == 0.25


def test_warmup_sequence_values():
    # the linear warm-up without torch: factors 0.25, 0.5, 0.75, 1.0, 1.0 of the base lr
    opt = g.optim.SGD([g.nn.Parameter(g.zeros(1))], lr=0.4)
    sched = g.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    seq = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        seq.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(seq, [0.1, 0.2, 0.3, 0.4, 0.4], rtol=1e-12)


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: g.optim.lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda o: g.optim.lr_scheduler.MultiStepLR(o, milestones=[3, -1]), ValueError, "milestones"),
    (lambda o: g.optim.lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: g.optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError, "start_factor"),
    (lambda o: g.optim.lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: g.optim.lr_scheduler.ConstantLR(o, factor=2.0), ValueError, "factor"),
    (lambda o: g.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "expected 2 lr_lambdas"),
    (lambda o: g.optim.lr_scheduler.LambdaLR(o, 0.5), TypeError, "callable"),
    (lambda o: g.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor should be < 1.0"),
    (lambda o: g.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be 'min' or 'max'"),
    (lambda o: g.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold_mode"),
    (lambda o: g.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
    (lambda o: g.optim.lr_scheduler.StepLR(o, 2, last_epoch=4), KeyError, "initial_lr"),
    (lambda o: g.optim.lr_scheduler.StepLR("sgd", 2), TypeError, "expected a gradiente.optim.Optimizer"),
    (lambda o: g.optim.lr_scheduler.SequentialLR(o, [g.optim.lr_scheduler.StepLR(o, 2)], milestones=[3]),
     ValueError, "one milestone fewer"),
    (lambda o: g.optim.lr_scheduler.SequentialLR(o, [g.optim.lr_scheduler.ReduceLROnPlateau(o)], milestones=[]),
     ValueError, "ReduceLROnPlateau"),
    (lambda o: g.optim.lr_scheduler.ReduceLROnPlateau(o).step("bad"), TypeError, "metrics must be a number"),
])
def test_scheduler_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make(_optimizer(g))


def test_multistep_state_from_plain_dict_keeps_working():
    # a checkpoint stores the milestones Counter as a plain dict (keys may come back as strings)
    opt = _optimizer(g)
    sched = g.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    sd = sched.state_dict()
    sd["milestones"] = {str(k): v for k, v in sd["milestones"].items()}
    sched2 = g.optim.lr_scheduler.MultiStepLR(_optimizer(g), milestones=[1], gamma=0.5)
    sched2.load_state_dict(sd)
    for _ in range(4):
        sched2.step()
    assert sched2.get_last_lr()[0] == pytest.approx(0.1 * 0.5 ** 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched2.step(3)
    assert sched2.get_last_lr()[0] == pytest.approx(0.1 * 0.5)
