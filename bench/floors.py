"""The matrix products a training step cannot avoid, timed alone through NumPy's BLAS.

A step of gradiente is NumPy's matrix products plus NumPy's element-wise passes.
These functions run only the products of three of the issues' benchmark steps,
with the shapes and counts gradiente's kernels use, on preallocated arrays: no
element-wise work, no graph, no Python beyond the calls. Their time is a lower
bound of the step's time with this BLAS on this machine, and its ratio to
PyTorch's whole step a lower bound of the benchmark's ratio.
``bench/isolated.py`` times them beside PyTorch's step as the workloads
``lstm_floor``, ``encoder_floor`` and ``lenet_floor``.

- LSTM (issue 5: input 32, hidden 128, length 50, batch 32): per step the gate
  product ``[W_hh, W_ih, b] [h; x_t; 1]`` (512 x 161 by 161 x 32) forward and
  ``W_hh^T dG_t`` (128 x 512 by 512 x 32) backward; then the weight gradients
  ``dG X`` and ``dG H_prev`` over all steps. The input needs no gradient.
- Pre-norm encoder layer (issue 6: d_model 128, 4 heads, FFN 512, length 64,
  batch 32): the four linear maps forward, and their input and weight gradients
  backward; the attention products ``Q K^T`` and ``P V`` per head forward, and
  their four gradient products backward; the classifier head.
- LeNet-5 (issue 4: batch 64, 1x28x28): the column products of both
  convolutions (forward, weight gradient, and the second's input gradient, as
  ``ops/conv.py`` computes them) and the three dense layers.
"""
import numpy as np


def _arrays(rng, *shapes):
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def lstm_floor(T=50, B=32, I=32, H=128):
    rng = np.random.default_rng(0)
    G, K = 4 * H, H + I + 1
    W, Z, Whh_t, D, X, Hp = _arrays(rng, (G, K), (T, K, B), (H, G), (T, G, B), (T * B, I), (T * B, H))
    gates, dh = np.empty((G, B), np.float32), np.empty((H, B), np.float32)
    dG = D.reshape(G, T * B)

    def products():
        for t in range(T):
            np.matmul(W, Z[t], out=gates)
        for t in range(T):
            np.matmul(Whh_t, D[t], out=dh)
        dG @ X
        dG @ Hp
    return products


def encoder_floor(B=32, L=64, D=128, heads=4, FF=512, C=10):
    rng = np.random.default_rng(0)
    N, dk = B * L, D // heads
    X, Wqkv, Wo, W1, W2 = _arrays(rng, (N, D), (3 * D, D), (D, D), (FF, D), (D, FF))
    Q, K, V, dO = _arrays(rng, (B * heads, L, dk), (B * heads, L, dk), (B * heads, L, dk), (B * heads, L, dk))
    P = rng.random((B * heads, L, L)).astype(np.float32)
    Hd, Wc, Gc = _arrays(rng, (B, D), (C, D), (B, C))
    H1, G1 = _arrays(rng, (N, FF), (N, FF))
    Gd = rng.standard_normal((N, D)).astype(np.float32)
    G3 = rng.standard_normal((N, 3 * D)).astype(np.float32)

    def products():
        # forward: in-projection, attention, out-projection, feed-forward, head
        X @ Wqkv.T
        S = Q @ K.swapaxes(1, 2)
        P @ V
        X @ Wo.T
        X @ W1.T
        H1 @ W2.T
        Hd @ Wc.T
        # backward: each linear map's input and weight gradients, attention's four products
        Gc @ Wc, Gc.T @ Hd
        Gd @ W2, Gd.T @ H1
        G1 @ W1, G1.T @ X
        Gd @ Wo, Gd.T @ X
        dP = dO @ V.swapaxes(1, 2)
        P.swapaxes(1, 2) @ dO
        dP @ K, S.swapaxes(1, 2) @ Q
        G3 @ Wqkv, G3.T @ X
    return products


def lenet_floor(N=64):
    from gradiente.ops.conv import _matmul_blocked, _matmul_cols, _matmul_nt
    rng = np.random.default_rng(0)
    # conv1: 1 -> 6 channels, 5x5, padding 2, 28x28 (im2col: 25 rows and the bias's row of ones, N*784 columns)
    w1, col1, g1 = _arrays(rng, (1, 6, 26), (1, 26, N * 784), (1, 6, N * 784))
    # conv2: 6 -> 16 channels, 5x5 on 14x14 (per kernel row: 30 rows of 14*N*10 columns)
    w2, colv, g2, g2t, wt = _arrays(rng, (5, 16, 30), (30, 14 * N * 10), (16, 10 * N * 10), (10 * N * 10, 16),
                                    (150, 16))
    size, step = 10 * N * 10, N * 10
    z2 = np.empty((16, size), np.float32)
    dense = [_arrays(rng, (N, i), (o, i), (N, o)) for i, o in ((400, 120), (120, 84), (84, 10))]

    def products():
        _matmul_cols(w1, col1)
        _matmul_nt(col1, g1)
        for u in range(5):
            np.matmul(w2[u], colv[:, u * step:u * step + size], out=z2)
        for u in range(5):
            _matmul_blocked(colv[:, u * step:u * step + size], g2t)
        wt @ g2  # the input gradient's columns of every kernel row in one product
        for x, w, gy in dense:
            x @ w.T
            gy @ w, gy.T @ x
    return products
