"""Recorded PyTorch references for the attention family, checked without torch (tests/fixtures/make_attn.py)."""
from pathlib import Path

import numpy as np

import gradiente as g
from gradiente.nn import functional as F
from gradiente.nn.transformer import TransformerEncoderLayer

FIX = Path(__file__).resolve().parent / "fixtures"


def test_sdpa_against_recorded_torch():
    d = np.load(FIX / "attn_sdpa.npz")
    q, k, v = (g.tensor(d[n], requires_grad=True) for n in ("q", "k", "v"))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=d["mask"])
    np.testing.assert_allclose(out.numpy(), d["out"], rtol=1e-5, atol=1e-6)
    (out * g.tensor(d["w"])).sum().backward()
    for t, n in ((q, "gq"), (k, "gk"), (v, "gv")):
        np.testing.assert_allclose(t.grad.numpy(), d[n], rtol=1e-5, atol=1e-6)


def test_prenorm_gelu_encoder_layer_against_recorded_torch():
    d = np.load(FIX / "attn_encoder_layer.npz")
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True)
    layer.load_state_dict({k[3:]: d[k] for k in d.files if k.startswith("sd.")})
    x = g.tensor(d["x"], requires_grad=True)
    out = layer(x, src_key_padding_mask=d["kpm"])
    np.testing.assert_allclose(out.numpy(), d["out"], rtol=1e-5, atol=1e-5)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), d["gx"], rtol=1e-4, atol=1e-5)
