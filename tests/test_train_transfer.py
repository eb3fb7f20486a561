"""Transfer learning (seed 002 §3.11): freeze, replace the head, fine-tune with per-group learning rates."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, Subset, TensorDataset
from gradiente.train import (Trainer, count_parameters, freeze, param_groups_for_finetune, replace_head,
                             unfreeze)


def _net():
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))


def test_freeze_stops_parameter_grads_but_not_the_flow():
    model = _net()
    freeze(model[2])
    assert all(not p.requires_grad for p in model[2].parameters())
    assert count_parameters(model, trainable_only=True) == 4 * 6 + 6
    assert count_parameters(model) == 4 * 6 + 6 + 6 * 3 + 3
    model(g.randn(5, 4)).sum().backward()
    assert model[2].weight.grad is None and model[0].weight.grad is not None
    unfreeze(model[2])
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(TypeError, match="freeze: expected a Module"):
        freeze(g.zeros(2))


def test_replace_head_by_index_name_and_dotted_path():
    model = _net()
    old = replace_head(model, "2", nn.Linear(6, 5))
    assert isinstance(old, nn.Linear) and old.out_features == 3
    assert model(g.randn(2, 4)).shape == (2, 5)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
            self.classifier = nn.Sequential(nn.Dropout(0.1), nn.Linear(6, 3))

        def forward(self, x):
            return self.classifier(self.body(x))

    net = Net()
    freeze(net)
    replace_head(net, "classifier.1", nn.Linear(6, 7))
    assert "classifier.1.weight" in net.state_dict() and net.classifier[1].weight.requires_grad
    assert not net.body[0].weight.requires_grad
    replace_head(net, "classifier", nn.Linear(6, 2))
    assert net(g.randn(3, 4)).shape == (3, 2)
    with pytest.raises(AttributeError, match=r"no submodule 'head'.*\['body', 'classifier'\]"):
        replace_head(net, "head", nn.Linear(6, 2))
    with pytest.raises(AttributeError, match="no submodule 'nope'"):
        replace_head(net, "nope.fc", nn.Linear(6, 2))
    with pytest.raises(TypeError, match="new head must be a Module"):
        replace_head(net, "classifier", lambda x: x)


def test_param_groups_for_finetune():
    model = _net()
    groups = param_groups_for_finetune(model, head_lr=0.1, body_lr=0.01)
    assert [gr["lr"] for gr in groups] == [0.01, 0.1]
    assert groups[1]["params"] == [model[2].weight, model[2].bias]
    assert groups[0]["params"] == [model[0].weight, model[0].bias]
    freeze(model[0])
    only_head = param_groups_for_finetune(model, head_lr=0.1, body_lr=0.01)
    assert len(only_head) == 1
    assert len(param_groups_for_finetune(unfreeze(model), 0.1, None)) == 1
    assert param_groups_for_finetune(model, 0.1, 0.01, head="0")[1]["params"] == [model[0].weight, model[0].bias]
    with pytest.raises(ValueError, match="body_lr must be a non-negative number"):
        param_groups_for_finetune(model, 0.1, -1)
    with pytest.raises(ValueError, match="has no trainable parameters"):
        param_groups_for_finetune(model, 0.1, 0.01, head="1")
    with pytest.raises(ValueError, match="head_lr is required"):
        param_groups_for_finetune(model, None, 0.01)
    with pytest.raises(AttributeError, match="no submodule 'fc'"):
        param_groups_for_finetune(model, 0.1, 0.01, head="fc")
    with pytest.raises(ValueError, match="has no submodules"):
        param_groups_for_finetune(nn.Linear(2, 2), 0.1, 0.01)


def test_finetune_step_matches_pytorch_param_groups():
    torch = pytest.importorskip("torch")
    model = _net()
    ref = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, 8)
    opt = optim.SGD(param_groups_for_finetune(model, head_lr=0.5, body_lr=0.05), lr=0.5, momentum=0.9)
    topt = torch.optim.SGD([{"params": ref[0].parameters(), "lr": 0.05}, {"params": ref[2].parameters()}],
                           lr=0.5, momentum=0.9)
    Trainer(model, opt, nn.CrossEntropyLoss(), progress=False).fit(DataLoader(TensorDataset(x, y), batch_size=4), epochs=2)
    for _ in range(2):
        for i in (0, 4):
            loss = torch.nn.functional.cross_entropy(ref(torch.from_numpy(x[i:i + 4])), torch.from_numpy(y[i:i + 4]))
            topt.zero_grad()
            loss.backward()
            topt.step()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), ref.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6)


def test_feature_extractor_on_new_digit_classes():
    """Pretrain on digits 0-4, freeze the body, train a new head for digits 5-9 (seed 002 §3.11)."""
    pytest.importorskip("sklearn")
    from gradiente.data.datasets import load_digits
    X, y = load_digits()
    old = np.flatnonzero(y.numpy() < 5)
    new = np.flatnonzero(y.numpy() >= 5)
    ds_old = TensorDataset(X[old], y[old])
    ds_new = TensorDataset(X[new], y[new] - 5)
    body = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
    model = nn.Sequential(body, nn.Linear(64, 5))
    Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), progress=False).fit(
        DataLoader(ds_old, batch_size=64, shuffle=True), epochs=8)
    freeze(body)
    w_body = body[0].weight.numpy().copy()
    replace_head(model, "1", nn.Linear(64, 5))
    perm = np.random.default_rng(0).permutation(len(ds_new))
    train, test = Subset(ds_new, perm[:200]), Subset(ds_new, perm[200:])  # few labelled examples
    opt = optim.Adam(param_groups_for_finetune(model, head_lr=2e-2, body_lr=None), lr=2e-2)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), progress=False)
    trainer.fit(DataLoader(train, batch_size=32, shuffle=True), epochs=25)
    np.testing.assert_array_equal(body[0].weight.numpy(), w_body)
    assert trainer.evaluate(DataLoader(test, batch_size=256))["accuracy"] > 0.85
