"""The convolutional and generative lab experiments: registration, helpers, one cheap end-to-end run."""
import numpy as np
import pytest

from gradiente.lab import Run, get_experiment, registry
from gradiente.lab.experiments.conv_common import shift_images

NAMES = ("conv_mlp_vs_cnn", "conv_parameter_sharing", "conv_depth", "conv_filters", "conv_mnist1d",
         "generative_digits")


def test_experiments_are_registered_with_claims():
    for name in NAMES:
        assert name in registry
        exp = get_experiment(name)
        assert exp.claim and exp.seed_ref.startswith("seed") and exp.title
        quick, full = exp.configs(True), exp.configs(False)
        assert 0 < len(quick) <= len(full)


def test_shift_images_moves_pixels_and_fills_zeros():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    s = shift_images(x, 1, -1)
    np.testing.assert_array_equal(s[0, 0, 1:, :3], x[0, 0, :3, 1:])
    assert s[0, 0, 0].sum() == 0 and s[0, 0, :, 3].sum() == 0
    np.testing.assert_array_equal(shift_images(x, 0, 0), x)


def test_parameter_sharing_runs_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    from gradiente.lab.runner import execute

    exp = get_experiment("conv_parameter_sharing")
    runs = []
    for config in exp.configs(True)[:2] + exp.configs(True)[-2:]:
        r = execute("conv_parameter_sharing", config)
        assert r["status"] == "done", r["error"]
        runs.append(Run(r["config"], r["final"], r["epochs"], r["logs"], r["meta"]))
    supported, sentence = exp.verdict(runs)
    assert supported is True and "224 parameters" in sentence
    assert [p.endswith(".png") for p in exp.figure(runs, str(tmp_path))] == [True]
    assert len(exp.table(runs)) == 4
