"""Positional encodings, patch embedding, translation model (greedy, beam), ViT, GPT and the text data (seed 002 §4.8)."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.data.datasets.text import CharVocab, Vocab, bag_of_words, family_sentences
from gradiente.models.gpt import GPT
from gradiente.models.transformer import Seq2SeqTransformer, exact_match
from gradiente.models.vit import ViT
from gradiente.nn import functional as F
from gradiente.nn.positional import sinusoidal_table


def test_sinusoidal_table_formula():
    pe = sinusoidal_table(50, 8)
    pos, i = 7, 2
    assert pe[pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / 8)), rel=1e-6)
    assert pe[pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 8)), rel=1e-6)
    enc = nn.SinusoidalPositionalEncoding(8, max_len=50)
    x = g.zeros(2, 5, 8)
    np.testing.assert_allclose(enc(x).numpy()[1], pe[:5])
    assert "pe" not in enc.state_dict()
    seq_first = nn.SinusoidalPositionalEncoding(8, max_len=50, batch_first=False)
    np.testing.assert_allclose(seq_first(g.zeros(5, 2, 8)).numpy()[:, 0], pe[:5])
    with pytest.raises(ValueError, match="exceeds max_len"):
        enc(g.zeros(1, 51, 8))


def test_learned_positions_get_gradients():
    pos = nn.LearnedPositionalEmbedding(10, 4)
    x = g.zeros(3, 6, 4, requires_grad=True)
    pos(x).sum().backward()
    np.testing.assert_array_equal(pos.weight.grad.numpy()[:6], 3.0)
    np.testing.assert_array_equal(pos.weight.grad.numpy()[6:], 0.0)
    with pytest.raises(ValueError, match="exceed max_len"):
        pos(g.zeros(1, 11, 4))


def test_patch_embedding_equals_strided_conv():
    torch = pytest.importorskip("torch")
    pe = nn.PatchEmbedding(8, 4, in_chans=2, embed_dim=5)
    conv = torch.nn.Conv2d(2, 5, 4, stride=4)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(pe.weight.numpy()))
        conv.bias.copy_(torch.tensor(pe.bias.numpy()))
    x = np.random.default_rng(0).standard_normal((3, 2, 8, 8)).astype(np.float32)
    ref = conv(torch.tensor(x)).flatten(2).transpose(1, 2).detach().numpy()
    np.testing.assert_allclose(pe(g.tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="not divisible"):
        nn.PatchEmbedding(8, 3)
    with pytest.raises(ValueError, match=r"PatchEmbedding: expected input of shape \(N, 2, 8, 8\)"):
        pe(g.zeros(1, 1, 8, 8))


def test_patch_embedding_gradcheck():
    pe = nn.PatchEmbedding(4, 2, in_chans=1, embed_dim=3).double()
    x = g.randn(2, 1, 4, 4, dtype=g.float64, requires_grad=True)
    assert g.gradcheck(pe, (x,))


def _copy_task(n=48, L=3, V=6, seed=0):
    rng = np.random.default_rng(seed)
    body = rng.integers(3, V, (n, L))
    src = np.concatenate([body, np.full((n, 1), 2)], 1)
    tgt = np.concatenate([np.full((n, 1), 1), body, np.full((n, 1), 2)], 1)
    return src, tgt


def test_translation_model_learns_copy_and_decoders_agree():
    g.manual_seed(0)
    src, tgt = _copy_task()
    m = Seq2SeqTransformer(6, 6, d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=64, dropout=0.0)
    # lr 2e-3: at 5e-3 the loss spikes and the end point depends on float rounding
    opt = g.optim.Adam(m.parameters(), lr=2e-3)
    for _ in range(400):
        logits = m(src, tgt[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 6), g.tensor(tgt[:, 1:].reshape(-1)), ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    vocab = Vocab([str(i) for i in range(3, 6)])
    greedy = m.greedy_decode(src, max_len=5)
    beam = m.beam_search(src, beam_size=3, max_len=5)
    assert exact_match(greedy, tgt[:, 1:], vocab) >= 0.9
    assert exact_match(beam, tgt[:, 1:], vocab) >= exact_match(greedy, tgt[:, 1:], vocab) - 0.05
    one = m.beam_search(src[:4], beam_size=1, max_len=5)
    assert [vocab.decode(r) for r in one] == [vocab.decode(r) for r in greedy[:4]]  # beam 1 is greedy
    with pytest.raises(ValueError, match="beam_size"):
        m.beam_search(src, beam_size=0)
    with pytest.raises(ValueError, match="src must be an"):
        m(src[0], tgt)


def test_vit_shapes_and_training_step():
    g.manual_seed(0)
    vit = ViT(8, 2, 10, dim=16, depth=1, heads=2, mlp_dim=32)
    x = g.randn(4, 1, 8, 8)
    out = vit(x)
    assert out.shape == (4, 10)
    F.cross_entropy(out, g.tensor(np.arange(4))).backward()
    assert vit.cls_token.grad is not None and vit.patch_embed.weight.grad is not None
    assert vit(g.randn(4, 8, 8)).shape == (4, 10)
    assert "encoder.layers.0.self_attn.in_proj_weight" in vit.state_dict()


def test_gpt_causality_learning_and_sampling():
    g.manual_seed(0)
    text = "abcabcabcabcabcabcabcabc"
    voc = CharVocab(text)
    ids = voc.encode(text)
    m = GPT(len(voc), block_size=8, n_layer=1, n_head=2, n_embd=16)
    x = ids[None, :8]
    a = m(x).numpy()
    x2 = x.copy()
    x2[0, -1] = (x2[0, -1] + 1) % len(voc)
    b = m(x2).numpy()
    np.testing.assert_allclose(a[0, :-1], b[0, :-1], atol=1e-6)  # the future never leaks into the past
    opt = g.optim.Adam(m.parameters(), lr=1e-2)
    X = np.stack([ids[i:i + 8] for i in range(12)])
    Y = np.stack([ids[i + 1:i + 9] for i in range(12)])
    for _ in range(60):
        loss = F.cross_entropy(m(X).reshape(-1, len(voc)), g.tensor(Y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = m.generate(voc.encode("ab"), 6, temperature=0.5, top_k=1)
    assert voc.decode(out[0]) == "abcabcab"
    g.manual_seed(1)
    s1 = m.generate(voc.encode("a"), 5, temperature=2.0)
    g.manual_seed(1)
    np.testing.assert_array_equal(s1, m.generate(voc.encode("a"), 5, temperature=2.0))
    with pytest.raises(ValueError, match="temperature"):
        m.generate(voc.encode("a"), 1, temperature=0)
    with pytest.raises(ValueError, match="block_size"):
        m(np.zeros((1, 9), dtype=np.int64))


def test_text_data_helpers():
    v = Vocab(["uno", "dos"])
    ids = v.encode(["dos", "uno"], 6, bos=True)
    assert ids[0] == v.bos_id and ids[3] == v.eos_id and ids[-1] == v.pad_id
    assert v.decode(ids[1:]) == ["dos", "uno"]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        v.encode(["tres"], 5)
    s, y = family_sentences("train")
    st, yt = family_sentences("test")
    assert len(s) == 40 and len(st) == 20 and set(y) == {0, 1, 2, 3}
    assert not set(s) & set(st)
    Xtr, Xte, vocab = bag_of_words(s, st)
    assert Xtr.shape == (40, len(vocab)) and Xte.shape == (20, len(vocab))
    with pytest.raises(ValueError, match="split"):
        family_sentences("dev")
    with pytest.raises(ValueError, match="character"):
        CharVocab("ab").encode("abc")


def test_number_translation_data():
    pytest.importorskip("num2words")
    from gradiente.data.datasets.text import number_translation_data, spanish_words
    assert spanish_words(1234) == "mil doscientos treinta y cuatro"
    d = number_translation_data(50, 10, max_number=999)
    assert not set(d["train_numbers"]) & set(d["test_numbers"])
    n = d["train_numbers"][0]
    assert d["tgt_vocab"].decode(d["train_tgt"][0][1:]) == spanish_words(n).split()
    assert "".join(d["src_vocab"].decode(d["train_src"][0])) == str(n)
    with pytest.raises(ValueError, match="do not fit"):
        number_translation_data(900, 200, max_number=999)
