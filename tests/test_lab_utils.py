"""The lab's helpers: parameter count, FLOPs per sample from the layers, peak memory, the training loop."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.lab.nets import MLP, activation, norm_layer
from gradiente.lab.utils import (count_flops, count_parameters, cross_entropy, grad_norms, peak_memory,
                                 register_flops, train)


def test_count_parameters():
    m = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2, bias=False))
    assert count_parameters(m) == 4 * 8 + 8 + 16
    m[0].weight.requires_grad_(False)
    assert count_parameters(m, trainable_only=True) == 8 + 16


def test_linear_flops_by_hand():
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    per_sample = (2 * 4 * 8 + 8) + (2 * 8 * 2 + 2)
    assert count_flops(m, g.randn(5, 4)) == per_sample
    assert count_flops(m, g.randn(5, 4), per_sample=False) == 5 * per_sample
    # leading dimensions (a sequence of vectors) multiply the cost
    assert count_flops(m, g.randn(3, 7, 4)) == 7 * per_sample


def test_conv_flops_by_hand():
    m = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(m, g.randn(2, 3, 10, 10)) == 2 * 3 * 9 * 8 * 100
    m = nn.Conv2d(4, 8, 3, groups=2)  # 8x8 output, bias adds one per output
    assert count_flops(m, g.randn(1, 4, 10, 10)) == (2 * 2 * 9 + 1) * 8 * 64


def test_flops_match_torch_flop_counter():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    cases = [
        (nn.Linear(6, 5, bias=False), torch.nn.Linear(6, 5, bias=False), (4, 6)),
        (nn.Conv2d(3, 4, 3, stride=2, bias=False), torch.nn.Conv2d(3, 4, 3, stride=2, bias=False), (2, 3, 9, 9)),
        (nn.Conv1d(2, 3, 5, bias=False), torch.nn.Conv1d(2, 3, 5, bias=False), (2, 2, 12)),
    ]
    for ours, ref, shape in cases:
        with FlopCounterMode(display=False) as counter:
            ref(torch.randn(*shape))
        assert count_flops(ours, g.randn(*shape), per_sample=False) == counter.get_total_flops()


def test_recurrent_and_attention_flops_by_hand():
    lstm = nn.LSTM(3, 5, num_layers=2)
    T, N = 7, 2
    cell = lambda i, h: 2 * 4 * h * (i + h) + 10 * 4 * h  # noqa: E731
    assert count_flops(lstm, g.randn(T, N, 3), batch_dim=1) == T * (cell(3, 5) + cell(5, 5))
    gru = nn.GRUCell(3, 4)
    assert count_flops(gru, g.randn(6, 3)) == 2 * 3 * 4 * 7 + 10 * 3 * 4
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = g.randn(2, 5, 8)
    L = S = 5
    expected = 2 * 8 * (3 * L * 8) + 2 * L * 8 * 8 + 4 * L * S * 8 + 5 * 2 * L * S
    assert count_flops(mha, (x, x, x)) == expected


def test_register_flops_for_a_new_layer():
    class Scale(nn.Module):
        def forward(self, x):
            return x * 2

    register_flops("Scale")(lambda m, ins, out: int(np.prod(out)))
    m = nn.Sequential(Scale(), nn.Linear(3, 1, bias=False))
    assert count_flops(m, g.randn(4, 3)) == 3 + 6
    # the forward is restored afterwards
    assert "forward" not in m[0].__dict__


def test_peak_memory_sees_numpy_allocations():
    with peak_memory() as m:
        a = np.ones(1_000_000, dtype=np.float64)
        del a
    assert m["peak_bytes"] >= 8_000_000


def test_grad_norms_and_training_loop_learn():
    X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = MLP(2, [16, 16], 2, act="tanh")
    opt = g.optim.Adam(model.parameters(), lr=0.02)
    out = train(model, opt, cross_entropy, X, y, epochs=40, batch_size=16, X_val=X, y_val=y)
    hist = out["history"]
    assert hist[-1]["train_loss"] < 0.5 * hist[0]["train_loss"] and hist[-1]["val_acc"] > 0.9
    assert not out["diverged"]
    model.zero_grad()
    cross_entropy(model(g.tensor(X)), g.tensor(y)).backward()
    norms = grad_norms(model)
    assert len(norms) == 3 and all(n > 0 for n in norms)


def test_training_loop_stops_on_divergence():
    X = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    y = np.zeros((32, 1), dtype=np.float32)
    model = nn.Linear(2, 1)
    opt = g.optim.SGD(model.parameters(), lr=50.0)
    with np.errstate(all="ignore"):
        out = train(model, opt, lambda out, t: ((out - t) ** 2).mean(), X, y, epochs=200, batch_size=8)
    assert out["diverged"] and len(out["history"]) < 200


def test_nets_errors():
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        activation("swishy")
    with pytest.raises(ValueError, match="unknown normalisation 'group'"):
        norm_layer("group", 4)
    m = MLP(4, [8, 8], 3, residual=True, norm="layer")
    assert not m.blocks[0].residual and m.blocks[1].residual
    assert m(g.randn(2, 4)).shape == (2, 3)
