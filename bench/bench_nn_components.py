"""Forward + backward time of the nn component kernels, gradiente against PyTorch (CPU), same process.

    python bench/bench_nn_components.py [--repeats 30]

Each case runs interleaved (gradiente, torch, gradiente, ...) and reports the
median time in milliseconds and the ratio gradiente / torch (below 1: faster).
"""
import argparse
import statistics
import time

import numpy as np

import gradiente as g
import gradiente.nn.functional as F


def _cases(torch):
    TF = torch.nn.functional
    rng = np.random.default_rng(0)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    x_ce, y_ce = arr(128, 10), rng.integers(0, 10, 128)
    x_lm, y_lm = arr(32, 1000, 16), rng.integers(0, 1000, (32, 16))
    x_ln = arr(64, 128, 256)
    w_ln, b_ln = arr(256), arr(256)
    x_bn = arr(32, 64, 16, 16)
    w_bn, b_bn = arr(64), arr(64)
    x_act = arr(256, 4096)
    emb = arr(10000, 256)
    idx = rng.integers(0, 10000, (64, 128))
    return [
        ("cross_entropy 128x10", lambda a: F.cross_entropy(a[0], g.tensor(y_ce)),
         lambda a: TF.cross_entropy(a[0], torch.tensor(y_ce)), [x_ce]),
        ("cross_entropy (32,1000,16) smoothing", lambda a: F.cross_entropy(a[0], g.tensor(y_lm), label_smoothing=0.1),
         lambda a: TF.cross_entropy(a[0], torch.tensor(y_lm), label_smoothing=0.1), [x_lm]),
        ("layer_norm 64x128x256", lambda a: F.layer_norm(a[0], (256,), a[1], a[2]),
         lambda a: TF.layer_norm(a[0], (256,), a[1], a[2]), [x_ln, w_ln, b_ln]),
        ("batch_norm train 32x64x16x16", lambda a: F.batch_norm(a[0], None, None, a[1], a[2], training=True),
         lambda a: TF.batch_norm(a[0], None, None, a[1], a[2], training=True), [x_bn, w_bn, b_bn]),
        ("softmax 256x4096", lambda a: F.softmax(a[0], dim=-1), lambda a: TF.softmax(a[0], dim=-1), [x_act]),
        ("gelu 256x4096", lambda a: F.gelu(a[0]), lambda a: TF.gelu(a[0]), [x_act]),
        ("gelu tanh 256x4096", lambda a: F.gelu(a[0], approximate="tanh"),
         lambda a: TF.gelu(a[0], approximate="tanh"), [x_act]),
        ("relu 256x4096", lambda a: F.relu(a[0]), lambda a: TF.relu(a[0]), [x_act]),
        ("silu 256x4096", lambda a: F.silu(a[0]), lambda a: TF.silu(a[0]), [x_act]),
        ("dropout 256x4096", lambda a: F.dropout(a[0], 0.1), lambda a: TF.dropout(a[0], 0.1), [x_act]),
        ("embedding 10000x256, 64x128 idx", lambda a: F.embedding(g.tensor(idx), a[0]),
         lambda a: TF.embedding(torch.tensor(idx), a[0]), [emb]),
    ]


def _time(fn, inputs, make):
    ts = [make(x) for x in inputs]
    t0 = time.perf_counter()
    out = fn(ts)
    (out.sum() if out.ndim else out).backward()
    return time.perf_counter() - t0


def main():
    import torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--torch-threads", type=int, default=2,
                    help="PyTorch intra-op threads (1 is fairer when the machine is shared and loaded)")
    args = ap.parse_args()
    torch.set_num_threads(args.torch_threads)
    mk_g = lambda x: g.tensor(x, requires_grad=True)  # noqa: E731
    mk_t = lambda x: torch.tensor(x, requires_grad=True)  # noqa: E731
    print(f"{'case':40s} {'gradiente ms':>13s} {'torch ms':>9s} {'ratio':>6s}")
    for name, gf, tf, inputs in _cases(torch):
        tg, tt = [], []
        for _ in range(3):
            _time(gf, inputs, mk_g), _time(tf, inputs, mk_t)
        for _ in range(args.repeats):
            tg.append(_time(gf, inputs, mk_g))
            tt.append(_time(tf, inputs, mk_t))
        mg, mt = statistics.median(tg) * 1e3, statistics.median(tt) * 1e3
        print(f"{name:40s} {mg:13.3f} {mt:9.3f} {mg / mt:6.2f}")


if __name__ == "__main__":
    main()
