"""Verdicts of the training-section experiments, computed from (synthetic) stored runs: both outcomes."""
import pytest

from gradiente.lab import Run, registry


def _run(config, final, logs=None, epochs=None):
    return Run(config=config, final=final, epochs=epochs or [], logs=logs or {}, meta={})


def test_xor_verdict_both_ways():
    exp = registry["xor"]()
    p = [_run({"model": "perceptron", "seed": s}, {"train_acc": 0.75}) for s in range(3)]
    good = [_run({"model": "mlp", "hidden": 4, "seed": s}, {"train_acc": 1.0}) for s in range(3)]
    ok, sentence = exp.verdict(p + good)
    assert ok is True and "3 of 3 seeds" in sentence
    bad = [_run({"model": "mlp", "hidden": 4, "seed": s}, {"train_acc": 0.75}) for s in range(3)]
    assert exp.verdict(p + bad)[0] is False
    assert exp.verdict(p)[0] is None


def test_learning_rate_verdict_reports_a_non_diverging_large_rate():
    exp = registry["learning_rate"]()

    def runs(large_diverged):
        out = []
        for k, lr, loss, div in (("too small", 1e-4, 2.3, False), ("good", 0.1, 0.04, False),
                                 ("too large", 8.0, 5.0, large_diverged)):
            out.append(_run({"setting": k, "lr": lr, "epochs": 8, "seed": 0},
                            {"train_loss": loss, "val_acc": 0.5, "diverged": div, "initial_loss": 2.3}))
        return out

    assert exp.verdict(runs(True))[0] is True
    ok, sentence = exp.verdict(runs(False))
    assert ok is False and "diverged in 0 of 1 runs" in sentence


def test_activations_verdict_needs_vanishing_sigmoid_and_stable_selu():
    exp = registry["activations"]()

    def runs(ratio, selu_std):
        out = []
        for a in ("sigmoid", "relu", "selu"):
            stds = selu_std if a == "selu" else [0.1] * 3
            out.append(_run({"activation": a, "seed": 0},
                            {"grad_ratio_first_last": ratio if a == "sigmoid" else 1.0, "act_std_last_init": stds[-1],
                             "dead_fraction": 0.1, "val_acc": 0.9}, logs={"act_std_init": stds}))
        return out

    assert exp.verdict(runs(1e-6, [0.9, 1.0, 1.1]))[0] is True
    assert exp.verdict(runs(0.5, [0.9, 1.0, 1.1]))[0] is False
    assert exp.verdict(runs(1e-6, [0.9, 0.3, 0.1]))[0] is False


def test_distillation_verdict_counts_seeds():
    exp = registry["distillation"]()

    def runs(pairs):
        return [_run({"seed": s}, {"student_from_labels_val_acc": a, "student_from_teacher_val_acc": b,
                                   "teacher_val_acc": 0.98, "teacher_params": 1, "params": 1,
                                   "flops_per_sample": 1, "teacher_flops_per_sample": 1})
                for s, (a, b) in enumerate(pairs)]

    ok, sentence = exp.verdict(runs([(0.8, 0.9), (0.85, 0.9), (0.9, 0.88)]))
    assert ok is True and "2 of 3 seeds" in sentence
    assert exp.verdict(runs([(0.9, 0.8), (0.9, 0.85)]))[0] is False


@pytest.mark.parametrize("name", ["optimizers", "minibatch", "initialization", "regularization",
                                  "normalization", "skip_connections", "depth_vs_width", "transfer"])
def test_verdicts_without_runs_are_inconclusive(name):
    supported, sentence = registry[name]().verdict([])
    assert supported is None and sentence
