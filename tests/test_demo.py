"""The README's demo: seed 004's XOR claim and the digits MLP, at reduced size."""
import pytest

from gradiente.demo import perceptron_truth_tables, train_digits_mlp, train_xor_mlp


def test_perceptron_rule_learns_and_or_but_not_xor():
    res = perceptron_truth_tables()
    assert res["AND"][0] == 4 and res["AND"][2]
    assert res["OR"][0] == 4 and res["OR"][2]
    assert res["XOR"][0] < 4 and not res["XOR"][2]


def test_mlp_learns_xor():
    correct, loss, _ = train_xor_mlp(hidden=4, steps=1500, seed=0)
    assert correct == 4 and loss < 0.05


def test_digits_mlp_short_run():
    pytest.importorskip("sklearn")
    res = train_digits_mlp(epochs=8, seed=0)
    assert res["test_acc"] >= 0.93
    assert res["params"] == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
