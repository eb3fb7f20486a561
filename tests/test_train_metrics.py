"""Classification metrics (seed 002 §3.2-§3.3): accuracy, confusion matrix, precision / recall / F1."""
import os

import numpy as np
import pytest

import gradiente as g
from gradiente.train import metrics as M

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "train_metrics.npz")


def test_against_recorded_scikit_learn_numbers():
    ref = np.load(FIX)
    pred, true = ref["y_pred"], ref["y_true"]
    np.testing.assert_array_equal(M.confusion_matrix(pred, true), ref["confusion"])
    p, r, f = M.precision_recall_f1(pred, true, average=None)
    np.testing.assert_allclose(p, ref["precision"])
    np.testing.assert_allclose(r, ref["recall"])
    np.testing.assert_allclose(f, ref["f1"])
    np.testing.assert_allclose(M.precision_recall_f1(g.tensor(pred), g.tensor(true)), ref["macro"])
    assert M.accuracy(pred, true) == pytest.approx(np.mean(pred == true))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_labels_match_scikit_learn(seed):
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 5, 200)
    logits = rng.standard_normal((200, 5)).astype(np.float32)
    logits[np.arange(200), true] += rng.uniform(0, 2, 200).astype(np.float32)
    pred = logits.argmax(1)
    assert M.accuracy(g.tensor(logits), g.tensor(true)) == pytest.approx(skm.accuracy_score(true, pred))
    np.testing.assert_array_equal(M.confusion_matrix(logits, true, num_classes=5),
                                  skm.confusion_matrix(true, pred, labels=range(5)))
    for avg in ("macro", "micro", "weighted"):
        ref = skm.precision_recall_fscore_support(true, pred, average=avg, zero_division=0)[:3]
        np.testing.assert_allclose(M.precision_recall_f1(logits, true, average=avg), ref, rtol=1e-12)
    assert M.f1_score(pred, true) == pytest.approx(skm.f1_score(true, pred, average="macro"))
    assert M.precision(pred, true) == pytest.approx(skm.precision_score(true, pred, average="macro"))
    assert M.recall(pred, true) == pytest.approx(skm.recall_score(true, pred, average="macro"))


def test_binary_scores_and_one_hot_targets():
    probs = np.array([[0.9], [0.2], [0.6], [0.4]], np.float32)
    target = np.array([[1.0], [0.0], [0.0], [1.0]], np.float32)
    assert M.accuracy(probs, target) == 0.5
    assert M.accuracy(probs[:, 0], np.array([1, 0, 1, 0])) == 1.0
    assert M.accuracy(np.array([2.0, -1.0]), np.array([1, 0]), threshold=0.0) == 1.0
    one_hot = np.eye(3, dtype=np.float32)[[0, 2, 1]]
    assert M.accuracy(np.eye(3, dtype=np.float32)[[0, 2, 2]], one_hot) == pytest.approx(2 / 3)


def test_accumulators_equal_whole_set_values():
    rng = np.random.default_rng(3)
    true = rng.integers(0, 4, 50)
    logits = rng.standard_normal((50, 4))
    acc, f1 = M.get_metric("accuracy"), M.get_metric("f1")
    mean = M.get_metric(lambda o, t: M.accuracy(o, t))
    for i in range(0, 50, 16):  # batches of 16, 16, 16, 2
        for m in (acc, f1, mean):
            m.update(logits[i:i + 16], true[i:i + 16])
    assert acc.compute() == pytest.approx(M.accuracy(logits, true))
    assert f1.compute() == pytest.approx(M.f1_score(logits, true))
    assert mean.compute() == pytest.approx(M.accuracy(logits, true))


def test_classes_absent_from_first_batch_grow_the_matrix():
    m = M.ConfusionMetric("recall")
    m.update(np.array([0, 1]), np.array([0, 1]))
    m.update(np.array([3, 2]), np.array([3, 3]))
    assert m.cm.shape == (4, 4)
    assert m.compute() == pytest.approx(M.recall(np.array([0, 1, 3, 2]), np.array([0, 1, 3, 3])))


def test_metric_errors():
    with pytest.raises(ValueError, match="do not match target"):
        M.accuracy(np.zeros((4, 3)), np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="metrics=\\(\\)"):
        M.accuracy(np.array([0.3, 0.2]), np.array([0.5, 1.7]))
    with pytest.raises(ValueError, match="num_classes=2"):
        M.confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        M.confusion_matrix(np.array([0, -1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="average must be"):
        M.precision_recall_f1(np.array([0]), np.array([0]), average="samples")
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        M.get_metric("auc")
    with pytest.raises(ValueError, match="empty"):
        M.accuracy(np.zeros(0, np.int64), np.zeros(0, np.int64))
