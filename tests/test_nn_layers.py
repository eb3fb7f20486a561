"""Dropout (seed 002 §2.7), normalisation (§2.8) and Embedding: PyTorch parity, gradchecks, errors."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente import nn

RNG = np.random.default_rng(2)


def _copy_params(ours, theirs, torch):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            p.data[...] = RNG.standard_normal(p.shape).astype(p.data.dtype)
            dict(theirs.named_parameters())[name].copy_(torch.tensor(p.numpy()))


# ------------------------------------------------------------------ batch norm
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_train_eval_and_running_stats_match_torch(cls, shape, momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, cls)(3, momentum=momentum), getattr(torch.nn, cls)(3, momentum=momentum)
    _copy_params(ours, theirs, torch)
    for step in range(4):
        x = (RNG.standard_normal(shape) * 2 + step).astype(np.float32)
        a, b = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yb = ours(a), theirs(b)
        w = RNG.standard_normal(shape).astype(np.float32)
        (ya * g.tensor(w)).sum().backward()
        (yb * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    for key, val in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), val.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-4, atol=1e-5)
    ours.eval(), theirs.eval()
    x = RNG.standard_normal(shape).astype(np.float32)
    a, b = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(a), theirs(b)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)
    ya.sum().backward(), yb.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert int(ours.num_batches_tracked.item()) == 4


def test_batchnorm_state_dict_keys_and_load_from_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm2d(4)
    theirs.train()
    theirs(torch.randn(3, 4, 2, 2))
    ours = nn.BatchNorm2d(4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    ours.eval(), theirs.eval()
    x = RNG.standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(g.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_batchnorm_without_running_stats_or_affine():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(g.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), atol=1e-5)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected 3 channels.*\(4, 5\)"):
        nn.BatchNorm1d(3)(g.randn(4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected 4-d input, got shape \(4, 3\)"):
        nn.BatchNorm2d(3)(g.randn(4, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(g.randn(1, 3))


def test_gradcheck_batch_norm_train_and_eval():
    x = g.tensor(RNG.standard_normal((4, 3, 2)), requires_grad=True)
    w = g.tensor(RNG.standard_normal(3), requires_grad=True)
    b = g.tensor(RNG.standard_normal(3), requires_grad=True)
    assert g.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    rm, rv = g.tensor(RNG.standard_normal(3)), g.tensor(RNG.random(3) + 0.5)
    assert g.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))


# ------------------------------------------------------------------ layer norm
@pytest.mark.parametrize("normalized_shape,shape", [(6, (4, 6)), ((3, 4), (2, 5, 3, 4))])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layernorm_matches_torch(normalized_shape, shape, affine, bias):
    torch = pytest.importorskip("torch")
    ours = nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias)
    theirs = torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias)
    _copy_params(ours, theirs, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = (RNG.standard_normal(shape) * 3 + 1).astype(np.float32)
    a, b = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(a), theirs(b)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = RNG.standard_normal(shape).astype(np.float32)
    (ya * g.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dict(theirs.named_parameters())[name].grad.numpy(),
                                   rtol=1e-4, atol=1e-4)


def test_gradcheck_layer_norm():
    x = g.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    w = g.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    b = g.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    assert g.gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))


def test_layernorm_shape_error():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\)\): expected input with trailing shape \(4,\), got shape \(2, 5\)"):
        nn.LayerNorm(4)(g.randn(2, 5))


# ------------------------------------------------------------------ dropout
def test_dropout_statistics_scaling_and_eval():
    g.manual_seed(3)
    layer = nn.Dropout(p=0.3)
    x = g.ones(200, 500)
    y = layer(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    layer.eval()
    assert layer(x) is x


def test_dropout_gradient_uses_the_same_mask_and_seed_repeats():
    g.manual_seed(5)
    x = g.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, y.numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy()[y.numpy() != 0], 2.0)
    g.manual_seed(5)
    x2 = g.randn(50, 40)
    np.testing.assert_array_equal(F.dropout(x2, 0.5).numpy(), y.numpy())


def test_dropout_p_edges_and_validation():
    x = g.randn(10, 10)
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)


def test_dropout2d_drops_whole_channels():
    g.manual_seed(0)
    y = nn.Dropout2d(0.5)(g.ones(20, 30, 4, 4)).numpy()
    per_channel = y.reshape(20, 30, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1)).all()
    assert 0.4 < (per_channel[..., 0] == 0).mean() < 0.6
    with pytest.raises(ValueError, match=r"dropout2d.*\(3, 4\)"):
        nn.Dropout2d()(g.ones(3, 4))


def test_gradcheck_dropout():
    x = g.tensor(RNG.standard_normal((4, 5)), requires_grad=True)

    def fn(x):
        g.manual_seed(11)
        return F.dropout(x, 0.4)

    assert g.gradcheck(fn, (x,))


def test_dropout_mask_statistics_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = np.ones((400, 400), dtype=np.float32)
    for p in (0.1, 0.5, 0.8):
        ours = F.dropout(g.tensor(x), p).numpy()
        theirs = torch.nn.functional.dropout(torch.tensor(x), p).numpy()
        assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01
        np.testing.assert_allclose(np.unique(ours[ours != 0]), np.unique(theirs[theirs != 0]), rtol=1e-6)


# ------------------------------------------------------------------ embedding
def test_embedding_matches_torch_with_padding_and_repeats():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Embedding(7, 4, padding_idx=2), torch.nn.Embedding(7, 4, padding_idx=2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
    assert (ours.weight.numpy()[2] == 0).all()
    idx = np.array([[1, 2, 1, 6], [0, 1, 2, 6], [3, 3, 3, 1]])
    ya, yb = ours(g.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy())
    w = RNG.standard_normal((3, 4, 4)).astype(np.float32)
    (ya * g.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_gradcheck_embedding():
    w = g.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    idx = g.tensor(np.array([[0, 4, 4], [2, 0, 1]]))
    assert g.gradcheck(lambda w: F.embedding(idx, w), (w,))


def test_embedding_errors_and_from_pretrained():
    emb = nn.Embedding(5, 3)
    with pytest.raises(ValueError, match="index 5 is out of range for num_embeddings=5"):
        emb(g.tensor([0, 5]))
    with pytest.raises(TypeError, match="integer"):
        emb(g.tensor([0.0, 1.0]))
    table = g.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(g.tensor([2, 0])).numpy(), [[4, 5], [0, 1]])


@pytest.mark.parametrize("V,shape", [(6, (3, 5)), (3000, (4, 900))])
def test_embedding_backward_sums_repeats_like_add_at(V, shape):
    idx = RNG.integers(0, V, shape)
    heavy, light = shape[1] // 3, shape[1] // 5
    idx[:, :heavy] = V - 1  # one index repeated many times
    idx[:, -light:] = RNG.integers(0, 4, (shape[0], light))  # a few indices repeated a few times
    w = g.tensor(RNG.standard_normal((V, 3)).astype(np.float32), requires_grad=True)
    up = RNG.standard_normal(shape + (3,)).astype(np.float32)
    (F.embedding(g.tensor(idx), w) * g.tensor(up)).sum().backward()
    ref = np.zeros((V, 3))
    np.add.at(ref, idx.reshape(-1), up.reshape(-1, 3).astype(np.float64))
    np.testing.assert_allclose(w.grad.numpy(), ref, rtol=1e-5, atol=1e-4)


def test_layer_norm_bias_without_weight_and_many_row_blocks():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((300, 7, 40)).astype(np.float32)  # more rows than one cache block
    b = RNG.standard_normal(40).astype(np.float32)
    xa, ba = g.tensor(x, requires_grad=True), g.tensor(b, requires_grad=True)
    xt, bt = torch.tensor(x, requires_grad=True), torch.tensor(b, requires_grad=True)
    ya = F.layer_norm(xa, (40,), None, ba)
    yt = torch.nn.functional.layer_norm(xt, (40,), None, bt)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = RNG.standard_normal(x.shape).astype(np.float32)
    (ya * g.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ba.grad.numpy(), bt.grad.numpy(), rtol=1e-4, atol=1e-3)
