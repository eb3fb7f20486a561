"""The op table against numbers recorded from PyTorch (float64), so they are checked without torch.

The fixture is written by ``tests/fixtures/make_ops.py``; inputs come from the table's seeded
``make_inputs``, cotangents are stored beside the outputs and gradients.
"""
import os

import numpy as np
import pytest

import gradiente as g
from test_ops_table import CASES, as_list, make_inputs

REF = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "ops_reference.npz"))


def test_fixture_covers_the_table():
    recorded = {k.split("/")[0] for k in REF.files if "/" in k}
    assert recorded == {c.name for c in CASES}


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_matches_recorded_torch_float64(c):
    xs = [g.tensor(a, requires_grad=True) for a in make_inputs(c, dtype=np.float64)]
    outs = as_list(c.fn(g, *xs))
    diff, vs = [], []
    for j, o in enumerate(outs):
        ref = REF[f"{c.name}/out{j}"]
        assert tuple(o.shape) == ref.shape
        np.testing.assert_allclose(o.numpy(), ref, rtol=1e-10, atol=1e-12, err_msg=f"{c.name}: output {j}")
        if f"{c.name}/v{j}" in REF.files:
            diff.append(o)
            vs.append(g.tensor(REF[f"{c.name}/v{j}"]))
    if not diff:
        assert all(not o.requires_grad for o in outs)
        return
    g.autograd.backward(diff, vs)
    for i, x in enumerate(xs):
        got = x.grad.numpy() if x.grad is not None else np.zeros(x.shape)
        np.testing.assert_allclose(got, REF[f"{c.name}/grad{i}"], rtol=1e-10, atol=1e-12,
                                   err_msg=f"{c.name}: gradient of input {i}")
