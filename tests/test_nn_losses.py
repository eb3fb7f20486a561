"""Losses (seed 002 §3.4, §3.12): parity with PyTorch, float64 gradchecks, reductions, errors."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente import nn

RNG = np.random.default_rng(1)


def _pair(torch, x):
    return g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _check(gout, tout, gins, tins, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    (gout.sum() if gout.ndim else gout).backward()
    (tout.sum() if tout.ndim else tout).backward()
    for a, b in zip(gins, tins):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


CE_SHAPES = [(6, 4), (3, 4, 2, 3), (4,)]


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_indices_matches_torch(shape, reduction, weighted, smoothing):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    batch = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    y = RNG.integers(0, 4, batch)
    if len(shape) > 1:
        y.reshape(-1)[0] = 1  # ignored below
    w = RNG.random(4).astype(np.float32) + 0.1 if weighted else None
    a, b = _pair(torch, x)
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=1 if len(shape) > 1 else -100)
    go = F.cross_entropy(a, g.tensor(y), weight=None if w is None else g.tensor(w), **kw)
    to = torch.nn.functional.cross_entropy(b, torch.tensor(y), weight=None if w is None else torch.tensor(w), **kw)
    _check(go, to, [a], [b])


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_probabilities_matches_torch(shape, reduction, smoothing):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    t = RNG.random(shape).astype(np.float32)
    t /= t.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    w = RNG.random(4).astype(np.float32)
    a, b = _pair(torch, x)
    ta, tb = _pair(torch, t)
    go = F.cross_entropy(a, ta, weight=g.tensor(w), reduction=reduction, label_smoothing=smoothing)
    to = torch.nn.functional.cross_entropy(b, tb, weight=torch.tensor(w), reduction=reduction,
                                           label_smoothing=smoothing)
    _check(go, to, [a, ta], [b, tb])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((5, 3, 2)).astype(np.float32)
    y = RNG.integers(0, 3, (5, 2))
    y[0, 0] = 2
    w = RNG.random(3).astype(np.float32)
    a, b = _pair(torch, x)
    go = F.nll_loss(a, g.tensor(y), weight=g.tensor(w), ignore_index=2, reduction=reduction)
    to = torch.nn.functional.nll_loss(b, torch.tensor(y), weight=torch.tensor(w), ignore_index=2,
                                      reduction=reduction)
    _check(go, to, [a], [b])


def test_cross_entropy_large_logits_stay_finite():
    x = g.tensor([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 1.0]], requires_grad=True)
    loss = F.cross_entropy(x, g.tensor([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(loss.item(), 1000.0, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy()[0], [0.5, -0.5, 0.0], atol=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = g.randn(5, 4, requires_grad=True)
    y = g.tensor([0, 3, 1, 1, 2])
    F.cross_entropy(x, y, reduction="sum").backward()
    p = F.softmax(x.detach(), dim=1).numpy()
    np.testing.assert_allclose(x.grad.numpy(), p - np.eye(4)[y.numpy()], atol=1e-6)


@pytest.mark.parametrize("fn,target_kind", [
    ("mse_loss", "real"), ("l1_loss", "real"), ("binary_cross_entropy", "prob"),
    ("binary_cross_entropy_with_logits", "prob"),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_match_torch(fn, target_kind, reduction):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((4, 3)) * 4).astype(np.float32)
    if fn == "binary_cross_entropy":
        x = 1 / (1 + np.exp(-x))
    t = RNG.random((4, 3)).astype(np.float32) if target_kind == "prob" else RNG.standard_normal((4, 3)).astype(np.float32)
    a, b = _pair(torch, x)
    ta, tb = _pair(torch, t)
    go = getattr(F, fn)(a, ta, reduction=reduction)
    to = getattr(torch.nn.functional, fn)(b, tb, reduction=reduction)
    _check(go, to, [a, ta], [b, tb])


def test_bce_weight_and_logits_pos_weight_match_torch():
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((5, 3)) * 30).astype(np.float32)
    t = (RNG.random((5, 3)) > 0.5).astype(np.float32)
    w = RNG.random(3).astype(np.float32)
    pw = (RNG.random(3) * 3).astype(np.float32)
    a, b = _pair(torch, x)
    go = nn.BCEWithLogitsLoss(weight=g.tensor(w), pos_weight=g.tensor(pw))(a, g.tensor(t))
    to = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw))(b, torch.tensor(t))
    _check(go, to, [a], [b])
    p = 1 / (1 + np.exp(-x / 10))
    p[0, 0], p[0, 1] = 0.0, 1.0  # log clamped at -100 like PyTorch
    a, b = _pair(torch, p.astype(np.float32))
    go = nn.BCELoss(weight=g.tensor(w), reduction="sum")(a, g.tensor(t))
    to = torch.nn.BCELoss(weight=torch.tensor(w), reduction="sum")(b, torch.tensor(t))
    _check(go, to, [a], [b], rtol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    torch = pytest.importorskip("torch")
    lp = np.log(RNG.dirichlet(np.ones(5), 3)).astype(np.float32)
    tp = RNG.dirichlet(np.ones(5), 3).astype(np.float32)
    tp[0, 1] = 0.0
    tgt = np.log(tp + 1e-3).astype(np.float32) if log_target else tp
    a, b = _pair(torch, lp)
    ta, tb = _pair(torch, tgt)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = torch.nn.functional.kl_div(b, tb, reduction=reduction, log_target=log_target)
    go = F.kl_div(a, ta, reduction=reduction, log_target=log_target)
    _check(go, to, [a], [b])


def test_distillation_loss_matches_torch_formula():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    s = RNG.standard_normal((6, 5)).astype(np.float32)
    t = (RNG.standard_normal((6, 5)) * 2).astype(np.float32)
    y = RNG.integers(0, 5, 6)
    T, alpha = 3.0, 0.7
    a, b = _pair(torch, s)
    go = nn.DistillationLoss(T=T, alpha=alpha)(a, g.tensor(t), g.tensor(y))
    soft = tf.kl_div(tf.log_softmax(b / T, 1), tf.softmax(torch.tensor(t) / T, 1), reduction="batchmean")
    to = alpha * T * T * soft + (1 - alpha) * tf.cross_entropy(b, torch.tensor(y))
    _check(go, to, [a], [b])


def test_distillation_loss_zero_when_student_is_teacher_and_alpha_one():
    z = g.randn(4, 3)
    loss = F.distillation_loss(z, z, g.tensor([0, 1, 2, 0]), T=2.0, alpha=1.0)
    assert abs(loss.item()) < 1e-6


def test_distillation_teacher_gets_no_gradient():
    s = g.randn(4, 3, requires_grad=True)
    t = g.randn(4, 3, requires_grad=True)
    F.distillation_loss(s, t, g.tensor([0, 1, 2, 0])).backward()
    assert s.grad is not None and t.grad is None


# ------------------------------------------------------------------ float64 gradchecks
def _d(shape, scale=1.0, positive=False):
    x = RNG.standard_normal(shape) * scale
    return g.tensor(np.abs(x) + 0.1 if positive else x, dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_cross_entropy(reduction):
    x = _d((3, 4, 2))
    y = g.tensor(np.array([[0, 1], [3, 2], [2, 2]]))
    w = g.tensor(np.array([0.5, 1.0, 2.0, 1.5]))
    assert g.gradcheck(lambda x: F.cross_entropy(x, y, weight=w, ignore_index=2, label_smoothing=0.2,
                                                 reduction=reduction), (x,))
    p = g.tensor(RNG.dirichlet(np.ones(4), 3), requires_grad=True)
    x2 = _d((3, 4))
    assert g.gradcheck(lambda x, p: F.cross_entropy(x, p, reduction=reduction, label_smoothing=0.1), (x2, p))


def test_gradcheck_pointwise_losses():
    x, y = _d((3, 4)), _d((3, 4))
    assert g.gradcheck(lambda a, b: F.mse_loss(a, b), (x, y))
    assert g.gradcheck(lambda a, b: F.l1_loss(a, b, reduction="sum"), (x, y))
    pr = g.tensor(RNG.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    tt = g.tensor(RNG.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    assert g.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=g.tensor(np.arange(1.0, 5.0))), (pr, tt))
    pw = g.tensor(np.array([0.5, 1.0, 2.0, 3.0]))
    assert g.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction="none"),
                       (_d((3, 4), 3.0), tt))
    lp = g.tensor(np.log(RNG.dirichlet(np.ones(4), 3)), requires_grad=True)
    tp = g.tensor(RNG.dirichlet(np.ones(4), 3), requires_grad=True)
    assert g.gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (lp, tp))
    assert g.gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (lp, _d((3, 4))))
    y = g.tensor(np.array([1, 0, 3]))
    assert g.gradcheck(lambda a: F.nll_loss(a, y, weight=g.tensor(np.array([1.0, 2.0, 3.0, 4.0]))), (_d((3, 4)),))
    teacher = g.tensor(RNG.standard_normal((3, 4)))
    assert g.gradcheck(lambda a: F.distillation_loss(a, teacher, y, T=2.0), (_d((3, 4)),))


# ------------------------------------------------------------------ modules, errors
def test_loss_modules_state_dict_keys_like_torch():
    torch = pytest.importorskip("torch")
    w = np.ones(3, dtype=np.float32)
    pairs = [
        (nn.CrossEntropyLoss(weight=g.tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))),
        (nn.BCEWithLogitsLoss(pos_weight=g.tensor(w)), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))),
        (nn.NLLLoss(), torch.nn.NLLLoss()),
    ]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_float_class_labels_raise():
    x = g.randn(4, 3)
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4,\).*\(4, 3\)"):
        F.cross_entropy(x, g.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match="nll_loss.*integer"):
        F.nll_loss(x, g.tensor([0.0, 1.0, 2.0, 1.0]))


def test_out_of_range_class_raises():
    with pytest.raises(ValueError, match="target 3 is out of bounds.*3 classes"):
        nn.CrossEntropyLoss()(g.randn(2, 3), g.tensor([0, 3]))
    with pytest.raises(ValueError, match="out of bounds"):
        F.nll_loss(g.randn(2, 3), g.tensor([-1, 0]))


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"cross_entropy.*\(2, 3\).*\(3,\)"):
        F.cross_entropy(g.randn(2, 3), g.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"mse_loss: target shape \(4,\) differs from input shape \(4, 1\)"):
        nn.MSELoss()(g.randn(4, 1), g.randn(4))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.cross_entropy(g.randn(2, 3), g.tensor([0, 1]), weight=g.ones(4))
    with pytest.raises(ValueError, match="student logits"):
        F.distillation_loss(g.randn(2, 3), g.randn(2, 4), g.tensor([0, 1]))


def test_bad_options_raise():
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .*\[0, 1\]"):
        F.binary_cross_entropy(g.tensor([0.5, 1.5]), g.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="mse_loss.*floating point"):
        F.mse_loss(g.randn(3), g.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="temperature"):
        nn.DistillationLoss(T=0)


def test_cross_entropy_any_shape_equals_log_softmax_and_nll_property():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies

    @hyp.settings(max_examples=25, deadline=None)
    @hyp.given(st.integers(1, 4), st.integers(1, 5), st.lists(st.integers(1, 3), max_size=2), st.integers(0, 10**6))
    def check(n, c, extra, seed):
        rng = np.random.default_rng(seed)
        shape = (n, c) + tuple(extra)
        x = rng.standard_normal(shape) * 4
        y = rng.integers(0, c, (n,) + tuple(extra))
        a = g.tensor(x, requires_grad=True)
        F.cross_entropy(a, g.tensor(y), reduction="sum").backward()
        logp = x - x.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        onehot = np.moveaxis(np.eye(c)[y], -1, 1)
        np.testing.assert_allclose(a.grad.numpy(), np.exp(logp) - onehot, atol=1e-5)
        b = g.tensor(x, requires_grad=True)
        ref = F.nll_loss(F.log_softmax(b, dim=1), g.tensor(y))
        np.testing.assert_allclose(F.cross_entropy(g.tensor(x), g.tensor(y)).item(), ref.item(), rtol=1e-5)

    check()
