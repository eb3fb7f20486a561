"""The attention-family lab experiments: registered, small quick configs, one quick run, verdicts from numbers."""
import json

import numpy as np
import pytest

from gradiente.lab import Run, get_experiment
from gradiente.lab.runner import Recorder

NAMES = ["attention_cost", "attention_long_range", "attention_translation", "attention_maps",
         "attention_transfer", "attention_vit", "attention_families"]


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_claim_and_json_configs(name):
    exp = get_experiment(name)
    assert exp.claim and exp.seed_ref.startswith("seed") and exp.title
    quick, full = exp.configs(True), exp.configs(False)
    assert 1 <= len(quick) <= len(full)
    json.dumps(quick)
    json.dumps(full)


def test_cost_quick_run_and_verdict():
    exp = get_experiment("attention_cost")
    runs = []
    for cfg in [c for c in exp.configs(True) if c["length"] <= 128]:
        rec = Recorder("attention_cost", cfg)
        runs.append(Run(cfg, exp.run(cfg, rec)))
    lstm = [r for r in runs if r.config["model"] == "lstm"]
    assert [r.final["sequential_steps"] for r in lstm] == [r.config["length"] for r in lstm]
    assert all(r.final["sequential_steps"] == 1 for r in runs if r.config["model"] == "transformer")
    ok, sentence = exp.verdict(runs)
    assert isinstance(ok, bool) and "T^" in sentence
    assert len(exp.table(runs)) == len(runs)


def test_long_range_data_and_verdict():
    from gradiente.lab.experiments.attention_long_range import BASELINE_MSE, adding_batch
    x, y = adding_batch(np.random.default_rng(0), 2000, 50)
    assert x.shape == (2000, 50, 2) and (x[:, :, 1].sum(1) == 2).all()
    assert (x[:, :5, 1].sum(1) == 1).all()  # one marker in the first tenth
    assert abs(((y - 1.0) ** 2).mean() - BASELINE_MSE) < 0.02
    exp = get_experiment("attention_long_range")
    mk = lambda m, T, mse: Run({"model": m, "T": T}, {"test_mse": mse})  # noqa: E731
    assert exp.verdict([mk("lstm", 100, 0.15), mk("transformer", 100, 0.001)])[0] is True
    assert exp.verdict([mk("lstm", 100, 0.001), mk("transformer", 100, 0.1)])[0] is False


def test_translation_and_vit_verdicts_use_the_threshold():
    tr = get_experiment("attention_translation")
    mk = lambda a, b: Run({"epochs": 20}, {"greedy_exact_match": a, "beam_exact_match": b})  # noqa: E731
    assert tr.verdict([mk(0.97, 0.98)])[0] is True
    assert tr.verdict([mk(0.90, 0.93)])[0] is False
    assert tr.verdict([Run({"epochs": 3}, {"greedy_exact_match": 0.1, "beam_exact_match": 0.1})])[0] is None
    vit = get_experiment("attention_vit")
    assert vit.verdict([Run({"epochs": 40, "patch": 2}, {"test_acc": 0.96})])[0] is True
    assert vit.verdict([Run({"epochs": 40, "patch": 2}, {"test_acc": 0.90})])[0] is False
