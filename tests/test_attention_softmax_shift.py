"""The attention kernel's softmax shifts each (L, S) matrix by its max and redoes, with their own max,
the rows far below it (gradiente/ops/attention.py, ``_softmax``): check both kinds of rows against PyTorch."""
import numpy as np
import pytest

import gradiente as g
from gradiente.nn import functional as F
from test_attention_ops import assert_sdpa_matches_torch


def test_rows_far_below_their_matrix_max_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    N, h, L, S, E = 3, 2, 7, 9, 8
    q = rng.standard_normal((N, h, L, E)).astype(np.float32)
    k = rng.standard_normal((N, h, S, E)).astype(np.float32)
    v = rng.standard_normal((N, h, S, E)).astype(np.float32)
    # one query of one head scores 80 higher than every other row: the matrix's max leaves the other
    # rows' exponentials near e^-80, below the kernel's threshold, so they take the per-row path
    q[1, 0, 2] = k[1, 0, 4] * (80 * np.sqrt(E) / (k[1, 0, 4] @ k[1, 0, 4]))
    q[2, 1] *= 30  # scores spread over a wide range within rows
    mask = rng.random((N, 1, 1, S)) > 0.2
    mask[:, :, :, 0] = True
    assert_sdpa_matches_torch(torch, rng, q, k, v, mask)


def test_matrix_with_every_score_blocked_gives_zeros():
    rng = np.random.default_rng(12)
    q, k, v = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(3))
    mask = np.ones((2, 3, 3), dtype=bool)
    mask[1] = False  # the second matrix has no allowed key at all
    out = F.scaled_dot_product_attention(g.tensor(q), g.tensor(k), g.tensor(v), attn_mask=mask).numpy()
    np.testing.assert_array_equal(out[1], 0.0)
    assert np.isfinite(out).all()
