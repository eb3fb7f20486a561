"""Perceptron (seed 002 §2.1), Residual (§2.9) and regularisation penalties (§3.10)."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn

X = g.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=g.float32)


@pytest.mark.parametrize("name,y", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_learns_linearly_separable_gates(name, y):
    p = nn.Perceptron(2)
    history = p.fit(X, g.tensor(y), epochs=50)
    assert p.converged_ and history[-1] == 0
    np.testing.assert_array_equal(p(X).numpy().ravel(), y)


def test_perceptron_never_learns_xor():
    p = nn.Perceptron(2)
    history = p.fit(X, g.tensor([0, 1, 1, 0]), epochs=100)
    assert not p.converged_ and len(history) == 100 and min(history) > 0
    assert (p(X).numpy().ravel() != [0, 1, 1, 0]).any()


def test_perceptron_rule_by_hand():
    p = nn.Perceptron(2, lr=0.5)
    assert p.step(g.tensor([[1.0, 2.0]]), g.tensor([0])) == 1  # predicted 1 (step(0) = 1), target 0
    np.testing.assert_allclose(p.weight.numpy(), [[-0.5, -1.0]])
    np.testing.assert_allclose(p.bias.numpy(), [-0.5])
    assert list(p.state_dict()) == ["weight", "bias"]


def test_perceptron_errors():
    with pytest.raises(ValueError, match=r"Perceptron\(in_features=2\): expected input of shape \(N, 2\), got \(4, 3\)"):
        nn.Perceptron(2)(g.randn(4, 3))
    with pytest.raises(ValueError, match="targets must be 0 or 1"):
        nn.Perceptron(2).step(X, g.tensor([0, 2, 1, 0]))
    with pytest.raises(ValueError, match=r"targets must have shape \(4,\)"):
        nn.Perceptron(2).step(X, g.tensor([0, 1]))


def test_residual_adds_identity_and_its_gradient():
    lin = nn.Linear(3, 3)
    block = nn.Residual(lin)
    x = g.randn(5, 3, requires_grad=True)
    y = block(x)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() + lin(x).detach().numpy(), rtol=1e-6)
    y.sum().backward()
    expected = 1 + lin.weight.numpy().sum(axis=0)
    np.testing.assert_allclose(x.grad.numpy(), np.tile(expected, (5, 1)), rtol=1e-5)
    assert list(block.state_dict()) == ["fn.weight", "fn.bias"]


def test_residual_with_projection_and_shape_error():
    block = nn.Residual(nn.Linear(3, 4), shortcut=nn.Linear(3, 4, bias=False))
    assert tuple(block(g.randn(2, 3)).shape) == (2, 4)
    with pytest.raises(ValueError, match=r"Residual: F\(x\) has shape \(2, 4\) but the skip path has shape \(2, 3\)"):
        nn.Residual(nn.Linear(3, 4))(g.randn(2, 3))


def test_penalties_values_and_gradients():
    a = g.tensor([[1.0, -2.0], [0.5, 0.0]], requires_grad=True)
    b = g.tensor([3.0, -1.0], requires_grad=True)
    l1, l2 = nn.l1_penalty([a, b]), nn.l2_penalty([a, b])
    assert l1.item() == pytest.approx(7.5) and l2.item() == pytest.approx(15.25)
    en = nn.elastic_net_penalty([a, b], l1_ratio=0.25)
    assert en.item() == pytest.approx(0.25 * 7.5 + 0.75 * 15.25)
    en.backward()
    np.testing.assert_allclose(a.grad.numpy(), 0.25 * np.sign(a.numpy()) + 0.75 * 2 * a.numpy())
    assert a.dtype == np.float32 and l2.dtype == np.float32


def test_gradcheck_penalties():
    rng = np.random.default_rng(0)
    a = g.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = g.tensor(rng.standard_normal(4), requires_grad=True)
    assert g.gradcheck(lambda a, b: nn.elastic_net_penalty([a, b], 0.3), (a, b))


def test_l2_penalty_equals_sgd_weight_decay_with_half_lambda():
    optim = pytest.importorskip("gradiente.optim")
    g.manual_seed(0)
    m1 = nn.Linear(4, 2)
    m2 = nn.Linear(4, 2)
    m2.load_state_dict(m1.state_dict())
    x, y = g.randn(8, 4), g.randn(8, 2)
    lam = 0.1
    o1 = optim.SGD(m1.parameters(), lr=0.1, weight_decay=lam)
    o2 = optim.SGD(m2.parameters(), lr=0.1)
    for _ in range(3):
        o1.zero_grad(), o2.zero_grad()
        nn.MSELoss()(m1(x), y).backward()
        (nn.MSELoss()(m2(x), y) + (lam / 2) * nn.l2_penalty(m2.parameters())).backward()
        o1.step(), o2.step()
    np.testing.assert_allclose(m1.weight.numpy(), m2.weight.numpy(), rtol=1e-5, atol=1e-6)


def test_penalty_errors():
    with pytest.raises(ValueError, match="at least one tensor"):
        nn.l2_penalty([])
    with pytest.raises(ValueError, match="l1_ratio"):
        nn.elastic_net_penalty([g.ones(2)], l1_ratio=2.0)
    with pytest.raises(TypeError, match="item 0"):
        nn.l1_penalty([np.ones(2)])


def test_more_constructor_errors():
    with pytest.raises(ValueError, match="Softplus: beta must be non-zero"):
        nn.Softplus(beta=0)
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings=5"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="max_norm"):
        nn.Embedding(5, 2, max_norm=1.0)
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="PReLU: num_parameters"):
        nn.PReLU(0)
    with pytest.raises(TypeError, match="Residual: fn must be a Module"):
        nn.Residual(lambda x: x)
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        g.nn.functional.batch_norm(g.randn(4, 3), None, None, training=False)
