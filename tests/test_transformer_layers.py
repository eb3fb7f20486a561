"""Transformer layers and stacks (seed 002 §4.8): PyTorch parity of outputs and every gradient, errors."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.nn.transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
    generate_square_subsequent_mask,
)


def _load(tm, gm):
    sd = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    assert list(sd) == list(gm.state_dict())
    for k, v in gm.state_dict().items():
        assert tuple(v.shape) == sd[k].shape, k
    gm.load_state_dict(sd)


def _compare(torch, tm, gm, targs, tkw, gargs, gkw, atol=2e-5):
    _load(tm, gm)
    rng = np.random.default_rng(0)
    go = gm(*gargs, **gkw)
    to = tm(*targs, **tkw)
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), rtol=1e-5, atol=atol)
    w = rng.standard_normal(go.shape).astype(np.float32)
    (go * g.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    gp = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(gp[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=atol, err_msg=name)
    for a, b in zip(gargs, targs):
        if a.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=atol)


def _inputs(torch, *arrays):
    return [g.tensor(a, requires_grad=True) for a in arrays], [torch.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch_with_padding_mask(norm_first, activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(dim_feedforward=32, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    tm, gm = torch.nn.TransformerEncoderLayer(16, 4, **kw), TransformerEncoderLayer(16, 4, **kw)
    x = np.random.default_rng(1).standard_normal((3, 5, 16)).astype(np.float32)
    kpm = np.zeros((3, 5), bool)
    kpm[0, -2:] = True
    (gx,), (tx,) = _inputs(torch, x)
    _compare(torch, tm, gm, [tx], dict(src_key_padding_mask=torch.tensor(kpm)), [gx], dict(src_key_padding_mask=kpm))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch_with_causal_mask(norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(dim_feedforward=32, dropout=0.0, norm_first=norm_first)
    tm, gm = torch.nn.TransformerDecoderLayer(16, 4, **kw), TransformerDecoderLayer(16, 4, **kw)
    rng = np.random.default_rng(2)
    x, mem = rng.standard_normal((5, 3, 16)).astype(np.float32), rng.standard_normal((6, 3, 16)).astype(np.float32)
    mkpm = np.zeros((3, 6), bool)
    mkpm[1, -3:] = True
    (gx, gmem), (tx, tmem) = _inputs(torch, x, mem)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    _compare(torch, tm, gm, [tx, tmem], dict(tgt_mask=tmask, memory_key_padding_mask=torch.tensor(mkpm)),
             [gx, gmem], dict(tgt_mask=generate_square_subsequent_mask(5), memory_key_padding_mask=mkpm))


def test_full_transformer_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32, dropout=0.0,
              batch_first=True)
    tm, gm = torch.nn.Transformer(**kw), Transformer(**kw)
    rng = np.random.default_rng(3)
    s, t = rng.standard_normal((2, 6, 16)).astype(np.float32), rng.standard_normal((2, 4, 16)).astype(np.float32)
    (gs, gt), (ts, tt) = _inputs(torch, s, t)
    _compare(torch, tm, gm, [ts, tt], dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4)),
             [gs, gt], dict(tgt_mask=generate_square_subsequent_mask(4)), atol=5e-5)


def test_encoder_stack_with_final_norm_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    tm = torch.nn.TransformerEncoder(tl, 3, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    gm = TransformerEncoder(TransformerEncoderLayer(8, 2, 16, dropout=0.0), 3, norm=nn.LayerNorm(8))
    x = np.random.default_rng(4).standard_normal((4, 2, 8)).astype(np.float32)
    (gx,), (tx,) = _inputs(torch, x)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    _compare(torch, tm, gm, [tx], dict(mask=mask), [gx], dict(mask=generate_square_subsequent_mask(4)))


def test_square_subsequent_mask_values():
    m = generate_square_subsequent_mask(3).numpy()
    assert m.dtype == np.float32
    np.testing.assert_array_equal(np.isneginf(m), np.triu(np.ones((3, 3), bool), 1))
    np.testing.assert_array_equal(m[np.tril_indices(3)], 0.0)
    assert Transformer.generate_square_subsequent_mask(2).shape == (2, 2)


def test_transformer_init_is_xavier_and_layers_are_independent_copies():
    g.manual_seed(0)
    m = Transformer(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=8)
    l0, l1 = m.encoder.layers[0], m.encoder.layers[1]
    assert l0.linear1.weight is not l1.linear1.weight
    with g.no_grad():
        l0.linear1.weight.data[...] = 0
    assert np.abs(l1.linear1.weight.numpy()).sum() > 0
    bound = np.sqrt(6 / (16 + 8))
    assert np.abs(m.encoder.layers[1].linear1.weight.numpy()).max() <= bound
    keys = list(m.state_dict())
    assert "encoder.layers.0.self_attn.in_proj_weight" in keys and "decoder.layers.0.multihead_attn.out_proj.weight" in keys
    assert "encoder.norm.weight" in keys and "decoder.norm.bias" in keys


def test_encoder_layer_dropout_train_vs_eval():
    g.manual_seed(0)
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.3, batch_first=True)
    x = g.randn(2, 4, 8)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    layer.train()
    assert not np.allclose(layer(x).numpy(), layer.eval()(x).numpy())


def test_encoder_layer_float64_gradcheck():
    g.manual_seed(0)
    layer = TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True, norm_first=True, activation="gelu").double()
    x = g.randn(2, 3, 4, dtype=g.float64, requires_grad=True)
    assert g.gradcheck(lambda a: layer(a, is_causal=True), (x,))


def test_layer_errors():
    with pytest.raises(ValueError, match="activation"):
        TransformerEncoderLayer(8, 2, activation="swish")
    layer = TransformerEncoderLayer(8, 2, 16, batch_first=True)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer\(d_model=8\).*got \(2, 3, 6\)"):
        layer(g.randn(2, 3, 6))
    dec = TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match="memory"):
        dec(g.randn(3, 2, 8), g.randn(3, 2, 5))
    with pytest.raises(TypeError, match="encoder_layer must be a Module"):
        TransformerEncoder("layer", 2)
    t = Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        t(g.randn(3, 2, 8), g.randn(3, 4, 8))
    with pytest.raises(ValueError, match="sz must be"):
        generate_square_subsequent_mask(-1)
    with pytest.raises(TypeError, match="decoder_layer must be a Module"):
        TransformerDecoder(None, 1)
