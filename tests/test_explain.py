"""`gradiente explain backprop` reproduces seed 002 §3.6 with the engine's own derivatives."""
import pytest

import gradiente as g
from gradiente.cli import main
from gradiente.explain import seed_002_example, to_dot, trace


def test_seed_002_worked_example_numbers():
    tr = seed_002_example()
    assert tr.node("z1").value == 1 and tr.node("y").value == 3
    expected = {"y": 2, "b2": 2, "w21": 2, "z1": 8, "b1": 8, "w11": 8, "w12": -16}
    for name, value in expected.items():
        assert tr.grad(name) == pytest.approx(value), name


def test_printout_shows_local_and_chained_derivatives():
    text = seed_002_example().format()
    assert "dL/dw12 = dL/d(x2*w12) * d(x2*w12)/dw12 = 8 * -2 = -16" in text
    assert "dL/dz1 = dL/d(z1*w21) * d(z1*w21)/dz1 = 2 * 4 = 8" in text


def test_trace_of_a_user_graph_with_fan_out():
    a = g.tensor(2.0, dtype=g.float64, requires_grad=True)
    b = a * a + a.exp()
    tr = trace(b, {"a": a, "b": b})
    assert tr.grad("a") == pytest.approx(2 * 2.0 + float(g.tensor(2.0, dtype=g.float64).exp()))
    assert "da +=" in tr.format().replace("db/da +", "da +")


def test_trace_leaves_user_grads_accumulated():
    w = g.tensor(3.0, requires_grad=True)
    (w * 2).backward()
    tr = trace(w * w, {"w": w})
    assert tr.grad("w") == pytest.approx(6.0)
    assert w.grad.item() == pytest.approx(2.0 + 6.0)


def test_trace_rejects_a_constant():
    with pytest.raises(ValueError, match="requires_grad"):
        trace(g.tensor(1.0) * 2)


def test_dot_and_cli(tmp_path, capsys):
    dot = to_dot(seed_002_example())
    assert dot.startswith("digraph") and "dL/dw12 = -16" in dot
    path = tmp_path / "g.dot"
    assert main(["explain", "backprop", "--dot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "dL/dw12" in out and path.read_text().startswith("digraph")
