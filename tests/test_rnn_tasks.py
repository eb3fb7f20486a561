"""Sequence tasks, recurrent models and the character language model: shapes, semantics, short training."""
import numpy as np
import pytest

import gradiente as g
from gradiente.data.datasets import sequences as S
from gradiente.models.charlm import CharLM, batchify, evaluate_char_lm, from_text, train_char_lm
from gradiente.models.rnn import RecurrentNet, adding_model, copy_model, forecaster, mnist1d_gru


def test_adding_problem_semantics():
    X, y = S.adding_problem(500, 20, random_state=0)
    assert X.shape == (500, 20, 2) and y.shape == (500, 1) and X.dtype == np.float32
    x = X.numpy()
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    assert np.all(x[:, :10, 1].sum(axis=1) == 1)  # one marker in each half
    np.testing.assert_allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), y.numpy()[:, 0], rtol=1e-6)
    assert abs(((y.numpy() - 1) ** 2).mean() - 1 / 6) < 0.03  # the "always 1" baseline
    X2, _ = S.adding_problem(500, 20, random_state=0)
    np.testing.assert_array_equal(X2.numpy(), x)
    with pytest.raises(ValueError, match="adding_problem: seq_len must be an integer >= 2"):
        S.adding_problem(5, 1)


def test_copy_task_semantics():
    X, y = S.copy_task(4, n_symbols=5, length=3, delay=2, random_state=0)
    T = 2 * 3 + 2 + 1
    assert X.shape == (4, T, 7) and y.shape == (4, T) and y.dtype == np.int64
    ids = X.numpy().argmax(-1)
    np.testing.assert_array_equal(y.numpy()[:, -3:], ids[:, :3])  # written back at the end
    assert np.all(ids[:, 3 + 2] == 6) and np.all(y.numpy()[:, :-3] == 5)
    np.testing.assert_allclose(X.numpy().sum(-1), 1.0)


def test_sines_and_windows():
    X, Y = S.sines(3, 30, noise=0.0, random_state=0)
    np.testing.assert_allclose(X.numpy()[:, 1:], Y.numpy()[:, :-1])
    with pytest.raises(ValueError, match="noise must be >= 0"):
        S.sines(3, 30, noise=-1)
    Xw, Yw = S.char_lm_windows(np.arange(20), 5, stride=3)
    np.testing.assert_array_equal(Yw.numpy(), Xw.numpy() + 1)
    assert Xw.shape == (5, 5)
    with pytest.raises(ValueError, match="fewer than seq_len"):
        S.char_lm_windows(np.arange(4), 5)
    corpus = S.default_corpus()
    assert len(corpus) > 2500 and "LSTM" in corpus


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("readout,bi", [("last", False), ("last", True), ("all", False), ("mean", True),
                                        ("flatten", True)])
def test_recurrent_net_shapes(kind, readout, bi):
    m = RecurrentNet(kind, 3, 5, 4, bidirectional=bi, readout=readout, seq_len=7)
    out = m(g.randn(2, 7, 3))
    assert out.shape == ((2, 7, 4) if readout == "all" else (2, 4))
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_recurrent_net_last_state_matches_output_and_lengths():
    m = RecurrentNet("GRU", 3, 5, 2)
    x = g.randn(3, 6, 3)
    out, h = m.rnn(x)
    np.testing.assert_allclose(m(x).numpy(), m.fc(out[:, -1]).numpy(), rtol=1e-6)
    # with lengths, the readout uses each sequence's own last valid state
    short = m(x[:, :4])
    padded = m(x, lengths=[4, 4, 4])
    np.testing.assert_allclose(padded.numpy(), short.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="unknown kind"):
        RecurrentNet("Transformer", 3, 5, 2)
    with pytest.raises(ValueError, match="needs seq_len"):
        RecurrentNet("GRU", 3, 5, 2, readout="flatten")


def test_builders():
    assert mnist1d_gru()(g.randn(4, 40)).shape == (4, 10)
    assert sum(p.numel() for p in mnist1d_gru().parameters()) == 5134  # the paper's 5k-parameter GRU
    assert copy_model("GRU", 5)(g.randn(2, 9, 7)).shape == (2, 9, 6)
    assert forecaster()(g.randn(2, 9, 1)).shape == (2, 9, 1)


def test_gru_learns_short_adding_problem():
    g.manual_seed(0)
    m = adding_model("GRU", 16)
    opt = g.optim.Adam(m.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    Xte, yte = S.adding_problem(256, 8, random_state=1)
    for _ in range(150):
        X, y = S.adding_problem(64, 8, random_state=rng)
        loss = ((m(X) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with g.no_grad():
        mse = float(((m(Xte) - yte) ** 2).mean().item())
    assert mse < 0.02  # well below the 1/6 baseline


def test_char_lm_trains_and_samples():
    g.manual_seed(0)
    model, vocab, ids = from_text("abcabcabcabc" * 30, embedding_dim=8, hidden_size=16)
    before = evaluate_char_lm(model, ids[:200])
    hist = train_char_lm(model, ids, epochs=6, seq_len=16, batch_size=4, lr=2e-2)
    after = evaluate_char_lm(model, ids[:200])
    assert after < 0.3 * before and hist[-1]["train_loss"] < hist[0]["train_loss"]
    text = model.sample(vocab, "ab", length=20, temperature=0.1)
    assert len(text) == 22 and text.startswith("abcabc")
    g.manual_seed(1)
    a = model.sample(vocab, length=15, temperature=2.0)
    g.manual_seed(1)
    assert model.sample(vocab, length=15, temperature=2.0) == a and len(a) == 15
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.sample(vocab, temperature=0)
    with pytest.raises(ValueError, match="unknown kind"):
        CharLM(5, kind="CNN")
    with pytest.raises(ValueError, match="cannot fill"):
        batchify(np.arange(3), 4)


def test_char_lm_from_file(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("hola mundo\n", encoding="utf-8")
    model, vocab, ids = from_text(path=str(p), hidden_size=8, kind="GRU")
    assert vocab.decode(ids) == "hola mundo\n" and model.head.out_features == len(vocab)


def test_digit_rows_shape():
    pytest.importorskip("sklearn")
    X, y = S.digit_rows()
    assert X.shape == (1797, 8, 8) and y.shape == (1797,)


def test_forecaster_beats_persistence_on_sines():
    g.manual_seed(0)
    X, Y = S.sines(64, 40, noise=0.02, random_state=0)
    Xte, Yte = S.sines(64, 40, noise=0.02, random_state=1)
    m = forecaster("GRU", 16)
    opt = g.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(80):
        loss = ((m(X) - Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with g.no_grad():
        mse = float(((m(Xte) - Yte) ** 2)[:, 5:].mean().item())  # after a few steps of warm-up
    persistence = float(((Xte.numpy() - Yte.numpy()) ** 2)[:, 5:].mean())  # "tomorrow = today"
    assert mse < 0.5 * persistence


def test_copy_task_loss_drops_below_blank_guessing():
    g.manual_seed(0)
    K, L, D = 4, 3, 2
    m = copy_model("LSTM", K, 32)
    opt = g.optim.Adam(m.parameters(), lr=1e-2)
    F = g.nn.functional
    rng = np.random.default_rng(0)
    for _ in range(200):
        X, y = S.copy_task(64, K, L, D, random_state=rng)
        logits = m(X)
        loss = F.cross_entropy(logits.reshape(-1, K + 1), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    T = 2 * L + D + 1
    assert float(loss.item()) < 0.75 * L * np.log(K) / T  # below "blank, then a random symbol"
