"""Knowledge distillation (seed 002 §3.12): a student trained on a teacher's softened outputs."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset
from gradiente.nn import functional as F
from gradiente.train import DistillationTrainer, Trainer, distill


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n)


def test_one_epoch_equals_a_hand_written_loop():
    X, y = _data()
    teacher = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    student = nn.Linear(4, 3)
    twin = nn.Linear(4, 3)
    twin.load_state_dict(student.state_dict())
    t_before = {k: v.numpy().copy() for k, v in teacher.state_dict().items()}
    teacher.train()
    hist = distill(teacher, student, DataLoader(TensorDataset(X, y), batch_size=8),
                   optim.SGD(student.parameters(), lr=0.2), T=3.0, alpha=0.7, epochs=1)
    opt = optim.SGD(twin.parameters(), lr=0.2)
    losses = []
    for i in range(0, 24, 8):
        xb, yb = g.tensor(X[i:i + 8]), g.tensor(y[i:i + 8])
        with g.no_grad():
            t_logits = teacher(xb)
        loss = F.distillation_loss(twin(xb), t_logits, yb, T=3.0, alpha=0.7)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_array_equal(student.weight.numpy(), twin.weight.numpy())
    assert hist["loss"][0] == pytest.approx(np.mean(losses), rel=1e-6)
    for k, v in teacher.state_dict().items():  # the teacher never changes
        np.testing.assert_array_equal(v.numpy(), t_before[k])
    assert teacher.training and all(p.grad is None for p in teacher.parameters())


def test_soft_targets_match_pytorch_formula():
    torch = pytest.importorskip("torch")
    X, y = _data(8, seed=1)
    teacher, student = nn.Linear(4, 3), nn.Linear(4, 3)
    ref = torch.nn.Linear(4, 3)
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in student.state_dict().items()})
    T, alpha = 2.0, 0.6
    DistillationTrainer(teacher, student, optim.SGD(student.parameters(), lr=0.5), T=T, alpha=alpha,
                        progress=False).fit(DataLoader(TensorDataset(X, y), batch_size=8))
    xt = torch.from_numpy(X)
    with torch.no_grad():
        t_logits = torch.from_numpy(teacher(g.tensor(X)).numpy())
    s_logits = ref(xt)
    soft = torch.nn.functional.kl_div(torch.log_softmax(s_logits / T, 1), torch.log_softmax(t_logits / T, 1),
                                      reduction="batchmean", log_target=True)
    loss = alpha * T * T * soft + (1 - alpha) * torch.nn.functional.cross_entropy(s_logits, torch.from_numpy(y))
    loss.backward()
    with torch.no_grad():
        ref.weight -= 0.5 * ref.weight.grad
    np.testing.assert_allclose(student.weight.numpy(), ref.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_small_student_learns_digits_from_teacher():
    pytest.importorskip("sklearn")
    from gradiente.data import train_val_test_split
    from gradiente.data.datasets import load_digits
    X, y = load_digits()
    train, val, test = train_val_test_split(TensorDataset(X, y))
    loader = DataLoader(train, batch_size=64, shuffle=True)
    teacher = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    Trainer(teacher, optim.Adam(teacher.parameters(), lr=1e-2), nn.CrossEntropyLoss(), progress=False).fit(loader, epochs=6)
    student = nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10))
    hist = distill(teacher, student, loader, optim.Adam(student.parameters(), lr=1e-2), T=4.0, alpha=0.7,
                   epochs=10, val_loader=DataLoader(val, batch_size=256))
    assert hist["loss"][-1] < hist["loss"][0]
    acc = Trainer(student, optim.SGD(student.parameters(), lr=0.0), nn.CrossEntropyLoss(),
                  progress=False).evaluate(DataLoader(test, batch_size=256))["accuracy"]
    assert acc > 0.88


def test_distillation_errors():
    s = nn.Linear(4, 3)
    with pytest.raises(ValueError, match="temperature T must be positive"):
        DistillationTrainer(nn.Linear(4, 3), s, optim.SGD(s.parameters(), lr=0.1), T=0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        DistillationTrainer(nn.Linear(4, 3), s, optim.SGD(s.parameters(), lr=0.1), alpha=1.5)
    with pytest.raises(TypeError, match="teacher must be a Module"):
        DistillationTrainer(None, s, optim.SGD(s.parameters(), lr=0.1))
    X, y = _data(4)
    wrong = DistillationTrainer(nn.Linear(4, 5), s, optim.SGD(s.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match=r"student logits \(4, 3\) and teacher logits \(4, 5\)"):
        wrong.fit(DataLoader(TensorDataset(X, y), batch_size=4))
