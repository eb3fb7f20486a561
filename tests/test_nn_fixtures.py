"""nn components against recorded PyTorch values (tests/fixtures/make_nn.py); no PyTorch needed."""
import os

import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente import nn

REF = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "nn_reference.npz"))

ACTIVATIONS = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": lambda x: F.elu(x, 1.3), "selu": F.selu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, "tanh"),
    "softplus": F.softplus, "silu": F.silu, "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
}


def _run(fn, *arrays, w=None):
    ts = [g.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    (y * g.tensor(w) if w is not None else y).sum().backward()
    return y.detach().numpy(), [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_against_recorded_torch(name):
    y, (gx,) = _run(ACTIVATIONS[name], REF["act_x"], w=REF[f"act_{name}_w"])
    np.testing.assert_allclose(y, REF[f"act_{name}_y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, REF[f"act_{name}_gx"], rtol=1e-5, atol=1e-5)


def test_cross_entropy_against_recorded_torch():
    loss, (gz,) = _run(lambda z: F.cross_entropy(z, g.tensor(REF["ce_y"]), weight=g.tensor(REF["ce_weight"]),
                                                 ignore_index=2, label_smoothing=0.1), REF["ce_z"])
    np.testing.assert_allclose(loss, REF["ce_loss"], rtol=1e-5)
    np.testing.assert_allclose(gz, REF["ce_gz"], rtol=1e-5, atol=1e-6)


def test_bce_with_logits_against_recorded_torch():
    loss, (gz,) = _run(lambda z: F.binary_cross_entropy_with_logits(z, g.tensor(REF["bce_t"]),
                                                                    pos_weight=g.tensor(REF["bce_pw"])), REF["bce_z"])
    np.testing.assert_allclose(loss, REF["bce_loss"], rtol=1e-5)
    np.testing.assert_allclose(gz, REF["bce_gz"], rtol=1e-5, atol=1e-6)


def test_distillation_against_recorded_torch():
    loss, (gs,) = _run(lambda s: nn.DistillationLoss(T=3.0, alpha=0.6)(s, g.tensor(REF["kd_t"]), g.tensor(REF["kd_y"])),
                       REF["kd_s"])
    np.testing.assert_allclose(loss, REF["kd_loss"], rtol=1e-5)
    np.testing.assert_allclose(gs, REF["kd_gs"], rtol=1e-4, atol=1e-6)


def test_layer_norm_against_recorded_torch():
    y, (gx, gw, gb) = _run(lambda x, w, b: F.layer_norm(x, (5,), w, b), REF["ln_x"], REF["ln_weight"],
                           REF["ln_bias"], w=REF["ln_w"])
    np.testing.assert_allclose(y, REF["ln_y"], rtol=1e-5, atol=1e-5)
    for ours, key in ((gx, "ln_gx"), (gw, "ln_gweight"), (gb, "ln_gbias")):
        np.testing.assert_allclose(ours, REF[key], rtol=1e-4, atol=1e-5)


def test_batch_norm_running_stats_against_recorded_torch():
    bn = nn.BatchNorm2d(3)
    bn.weight.data[...] = [1.5, -0.5, 2.0]
    bn.bias.data[...] = [0.1, 0.2, -0.3]
    for k in range(3):
        np.testing.assert_allclose(bn(g.tensor(REF[f"bn_x{k}"])).detach().numpy(), REF[f"bn_y{k}"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), REF["bn_running_mean"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), REF["bn_running_var"], rtol=1e-5, atol=1e-6)
    bn.eval()
    np.testing.assert_allclose(bn(g.tensor(REF["bn_xeval"])).detach().numpy(), REF["bn_yeval"], rtol=1e-5, atol=1e-5)
