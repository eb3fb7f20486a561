"""The recurrent lab experiments: registered, and their measuring helpers are right."""
import numpy as np
import pytest

from gradiente.data.datasets.sequences import adding_problem
from gradiente.lab import Run, registry
from gradiente.lab.experiments.recurrent_common import hidden_grad_norms
from gradiente.lab.runner import Recorder
from gradiente.models.rnn import adding_model

NAMES = ("recurrent_vanishing", "recurrent_cost", "recurrent_mnist1d", "recurrent_charlm")


def test_registered_with_claims_and_small_quick_configs():
    for name in NAMES:
        exp = registry[name]()
        assert exp.claim and "seed" in exp.seed_ref
        assert 1 <= len(exp.configs(quick=True)) <= len(exp.configs(quick=False))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_hidden_grad_norms_match_the_layer(kind):
    net = adding_model(kind, 8).double()
    X, y = adding_problem(4, 6, random_state=0)
    X, y = X.double(), y.double()
    mse = lambda o, t: ((o - t) ** 2).mean()  # noqa: E731
    norms = hidden_grad_norms(net, X, y, mse)
    assert len(norms) == 6
    out, _ = net.rnn(X)
    out.retain_grad()
    mse(net.fc(out[:, -1]), y).backward()
    # the last step's total gradient is the direct one; earlier steps get theirs only through the recurrence
    np.testing.assert_allclose(norms[-1], np.linalg.norm(out.grad.numpy()[:, -1], axis=1).mean(), rtol=1e-10)
    assert np.all(out.grad.numpy()[:, :-1] == 0) and all(n > 0 for n in norms)


def test_cost_run_counts_parameters_exactly():
    exp = registry["recurrent_cost"]()
    runs = []
    for m in ("RNN", "LSTM", "GRU"):
        cfg = {"model": m, "hidden": 8, "repeats": 1, "seed": 0}
        runs.append(Run(cfg, exp.run(cfg, Recorder())))
    by = {r.config["model"]: r.final["params"] for r in runs}
    assert by == {"RNN": 8 * (32 + 8 + 2), "LSTM": 4 * 8 * (32 + 8 + 2), "GRU": 3 * 8 * (32 + 8 + 2)}
    supported, text = exp.verdict(runs)
    assert "GRU 0.750" in text


def test_vanishing_verdict_reads_the_numbers():
    exp = registry["recurrent_vanishing"]()
    def run(m, mse, kept=0.1):
        return Run({"model": m, "T": 100, "steps": 3000},
                   {"test_mse": mse, "grad_first_over_last_init": 1e-20, "grad_first_over_last_trained": kept})
    ok, text = exp.verdict([run("RNN", 0.16, 1e-18), run("LSTM", 0.004), run("GRU", 0.002)])
    assert ok is True and "0.1600" in text
    ok, _ = exp.verdict([run("RNN", 0.16, 1e-18), run("LSTM", 0.05), run("GRU", 0.002)])
    assert ok is False
    ok, _ = exp.verdict([run("RNN", 0.16, 0.1), run("LSTM", 0.004), run("GRU", 0.002)])
    assert ok is False  # the gradient must reach back further in the gated nets than in the RNN
