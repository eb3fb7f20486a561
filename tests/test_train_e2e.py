"""End to end (seed 002 §3, §4.1): an MLP trained by the Trainer on the digits reaches high test accuracy."""
import numpy as np

import gradiente as g
from gradiente import nn, optim
from gradiente.data import DataLoader, TensorDataset, train_val_test_split
from gradiente.train import EarlyStopping, Trainer, confusion_matrix


def _data():
    """The scikit-learn digits (1,797 8x8 images); generated moons when scikit-learn is missing."""
    try:
        from gradiente.data.datasets import load_digits
        return load_digits(), 10
    except ImportError:
        from gradiente.data.datasets import make_moons
        return make_moons(1000, noise=0.1, random_state=0), 2


def test_mlp_reaches_high_test_accuracy():
    g.manual_seed(0)
    (X, y), classes = _data()
    train, val, test = train_val_test_split(TensorDataset(X, y))  # 80/10/10 (seed 002 §3.2)
    model = nn.Sequential(nn.Linear(X.shape[1], 128), nn.ReLU(), nn.Linear(128, classes))
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(),
                      metrics=("accuracy", "f1"), progress=False,
                      callbacks=[EarlyStopping("val_loss", patience=5, restore_best=True)])
    hist = trainer.fit(DataLoader(train, batch_size=64, shuffle=True), DataLoader(val, batch_size=512), epochs=40)
    logs = trainer.evaluate(DataLoader(test, batch_size=512))
    assert logs["accuracy"] >= 0.97, logs
    assert logs["f1"] >= 0.96
    assert hist["loss"][-1] < hist["loss"][0] / 5
    pred = trainer.predict(DataLoader(test, batch_size=512))
    cm = confusion_matrix(pred, test.dataset.tensors[1].numpy()[test.indices])
    assert cm.sum() == len(test) and np.trace(cm) / cm.sum() == logs["accuracy"]
