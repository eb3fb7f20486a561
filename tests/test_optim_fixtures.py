"""Optimizers, schedulers and clipping against recorded PyTorch numbers (no torch needed).

The reference is written by ``tests/fixtures/make_optim.py``.
"""
import json
import os

import numpy as np
import pytest

import gradiente as g

PATH = os.path.join(os.path.dirname(__file__), "fixtures", "optim_reference.npz")
REF = np.load(PATH)
META = json.loads(str(REF["meta"]))


@pytest.mark.parametrize("i", range(len(META["optimizers"])),
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(META["optimizers"])])
def test_optimizer_trajectory_matches_recorded_torch(i):
    name, kwargs = META["optimizers"][i]
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    n = META["n_params"]
    params = [g.nn.Parameter(g.tensor(REF[f"opt{i}_init{j}"].copy())) for j in range(n)]
    opt = getattr(g.optim, name)(params, **kwargs)
    for t in range(META["steps"]):
        for j, p in enumerate(params):
            p.grad = g.tensor(REF[f"opt{i}_grads{j}"][t])
        opt.step()
    for j, p in enumerate(params):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, REF[f"opt{i}_final{j}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("i", range(len(META["schedulers"])), ids=[n for n, _ in META["schedulers"]])
def test_scheduler_sequence_matches_recorded_torch(i):
    name, kwargs = META["schedulers"][i]
    opt = g.optim.SGD([{"params": [g.nn.Parameter(g.zeros(1))]},
                       {"params": [g.nn.Parameter(g.zeros(1))], "lr": 0.5}], lr=0.1)
    sched = getattr(g.optim.lr_scheduler, name)(opt, **kwargs)
    seq = [sched.get_last_lr()]
    for _ in range(20):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr())
    np.testing.assert_allclose(np.array(seq), REF[f"sched{i}"], rtol=1e-12)


def test_plateau_matches_recorded_torch():
    opt = g.optim.SGD([g.nn.Parameter(g.zeros(1))], lr=0.1)
    sched = g.optim.lr_scheduler.ReduceLROnPlateau(opt, **META["plateau"])
    seq = []
    for v in META["plateau_metrics"]:
        sched.step(v)
        seq.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(seq, REF["plateau"], rtol=1e-12)


@pytest.mark.parametrize("k", range(len(META["norm_types"])), ids=META["norm_types"])
def test_clip_grad_norm_matches_recorded_torch(k):
    n = META["n_params"]
    params = [g.nn.Parameter(g.zeros(*REF[f"clip_in{j}"].shape)) for j in range(n)]
    for j, p in enumerate(params):
        p.grad = g.tensor(REF[f"clip_in{j}"].copy())
    total = g.nn.utils.clip_grad_norm_(params, META["max_norm"], float(META["norm_types"][k]))
    np.testing.assert_allclose(total.item(), REF[f"clip{k}_total"], rtol=1e-5)
    for j, p in enumerate(params):
        np.testing.assert_allclose(p.grad.numpy(), REF[f"clip{k}_out{j}"], rtol=1e-5, atol=1e-7)
