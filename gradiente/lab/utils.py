"""Helpers the experiments share: parameter count, FLOPs per sample, peak memory, a training loop, data.

FLOPs are counted from the layers (seed 000, comparison table: cost per
layer): one forward pass on a sample batch records the input and output shape
of every leaf module, and a counter registered for the module's class turns
them into floating point operations (a multiply-add counts as 2). Counters
for Linear, Conv1d/2d, ConvTranspose2d, RNN/LSTM/GRU (layers and cells) and
MultiheadAttention are built in; :func:`register_flops` adds more.
"""
import contextlib
import functools
import math
import time
import tracemalloc

import numpy as np

# ------------------------------------------------------------------ parameters


def count_parameters(model, trainable_only=False):
    """Number of scalar parameters of ``model`` (only those with requires_grad if asked)."""
    from ..train.transfer import count_parameters as _count

    return int(_count(model, trainable_only))


# ------------------------------------------------------------------ FLOPs

_FLOP_COUNTERS = {}


def register_flops(*class_names):
    """Decorator: ``fn(module, input_shapes, output_shape) -> FLOPs of one call`` for these layer classes.

    Classes are named (``"Conv2d"``) so that a counter needs no import of the
    layer; the class itself and every subclass match.
    """
    def deco(fn):
        for n in class_names:
            _FLOP_COUNTERS[n] = fn
        return fn
    return deco


def _counter_for(module):
    for cls in type(module).__mro__:
        fn = _FLOP_COUNTERS.get(cls.__name__)
        if fn is not None:
            return fn
    return None


def _prod(shape):
    return int(np.prod(shape)) if len(shape) else 1


def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


@register_flops("Linear")
def _linear_flops(m, ins, out):
    rows = _prod(ins[0][:-1])
    return rows * (2 * m.in_features * m.out_features + (m.out_features if m.bias is not None else 0))


@register_flops("Bilinear")
def _bilinear_flops(m, ins, out):
    rows = _prod(ins[0][:-1])
    return rows * 2 * m.in1_features * m.in2_features * m.out_features


@register_flops("Conv1d", "Conv2d", "Conv3d")
def _conv_flops(m, ins, out):
    k = _prod(_pair(m.kernel_size, len(out) - 2))
    per_out = 2 * (m.in_channels // getattr(m, "groups", 1)) * k
    bias = 1 if getattr(m, "bias", None) is not None else 0
    return _prod(out) * (per_out + bias)


@register_flops("ConvTranspose1d", "ConvTranspose2d")
def _conv_t_flops(m, ins, out):
    k = _prod(_pair(m.kernel_size, len(out) - 2))
    return _prod(ins[0]) * 2 * (m.out_channels // getattr(m, "groups", 1)) * k


def _cell_flops(gates, input_size, hidden_size, rows):
    # W_ih x + W_hh h for every gate, plus the elementwise gate arithmetic (~10 per unit)
    return rows * (2 * gates * hidden_size * (input_size + hidden_size) + 10 * gates * hidden_size)


_GATES = {"RNN": 1, "RNNCell": 1, "LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3}


@register_flops("RNNCell", "LSTMCell", "GRUCell")
def _rnn_cell_flops(m, ins, out):
    gates = _GATES[_base_name(m, _GATES)]
    rows = _prod(ins[0][:-1])
    return _cell_flops(gates, m.input_size, m.hidden_size, rows)


@register_flops("RNN", "LSTM", "GRU")
def _rnn_flops(m, ins, out):
    gates = _GATES[_base_name(m, _GATES)]
    x = ins[0]
    steps_rows = _prod(x[:-1])  # (T, N) or (N, T) or (T,) for unbatched
    dirs = 2 if getattr(m, "bidirectional", False) else 1
    total = 0
    for layer in range(getattr(m, "num_layers", 1)):
        in_size = m.input_size if layer == 0 else m.hidden_size * dirs
        total += dirs * _cell_flops(gates, in_size, m.hidden_size, steps_rows)
    return total


@register_flops("MultiheadAttention")
def _mha_flops(m, ins, out):
    q = ins[0]
    k = ins[1] if len(ins) > 1 else ins[0]
    e = m.embed_dim
    kdim = getattr(m, "kdim", e) or e
    vdim = getattr(m, "vdim", e) or e
    batch_first = getattr(m, "batch_first", False)
    if len(q) == 2:  # unbatched (L, E)
        L, S, n = q[0], k[0], 1
    elif batch_first:
        n, L, S = q[0], q[1], k[1]
    else:
        L, n, S = q[0], q[1], k[0]
    proj = 2 * e * (L * e + S * kdim + S * vdim) + 2 * L * e * e
    attn = 2 * 2 * L * S * e + 5 * m.num_heads * L * S  # QK^T, AV, softmax
    return n * (proj + attn)


def _base_name(m, table):
    for cls in type(m).__mro__:
        if cls.__name__ in table:
            return cls.__name__
    raise KeyError(type(m).__name__)


def _shape_of(x):
    if hasattr(x, "shape") and not isinstance(x, (tuple, list)):
        return tuple(x.shape)
    return None


def count_flops(model, example_input, per_sample=True, batch_dim=0):
    """FLOPs of one forward pass of ``model`` on ``example_input``, counted from its layers.

    Returns FLOPs per sample (divided by the size of ``batch_dim``) unless
    ``per_sample=False``. A layer with a counter is counted as a whole (its
    sublayers are not counted again). Layers without a registered counter (activations,
    norms, pooling) count as zero; their cost is small next to the products.
    """
    from ..autograd import no_grad
    from ..tensor import Tensor

    records = []
    patched = []

    def patch(mod):
        fn = _counter_for(mod)
        if fn is None:
            for child in mod.children():
                patch(child)
            return
        # a counted layer counts its sublayers too (e.g. MultiheadAttention's out_proj): do not descend
        original = mod.forward

        def traced(*args, _orig=original, _mod=mod, _fn=fn, **kwargs):
            out = _orig(*args, **kwargs)
            first = out[0] if isinstance(out, tuple) else out
            ins = [s for s in (_shape_of(a) for a in args) if s is not None]
            records.append(_fn(_mod, ins, _shape_of(first) or ()))
            return out

        object.__setattr__(mod, "forward", traced)
        patched.append(mod)

    patch(model)
    was_training = model.training
    try:
        model.eval()
        x = example_input if isinstance(example_input, (Tensor, tuple, list)) else Tensor(example_input)
        with no_grad():
            if isinstance(x, (tuple, list)):
                model(*x)
            else:
                model(x)
    finally:
        for mod in patched:
            del mod.__dict__["forward"]
        model.train(was_training)
    total = int(sum(records))
    if not per_sample:
        return total
    first = example_input[0] if isinstance(example_input, (tuple, list)) else example_input
    n = first.shape[batch_dim] if len(first.shape) > batch_dim else 1
    return int(round(total / max(n, 1)))


# ------------------------------------------------------------------ memory and time


@contextlib.contextmanager
def peak_memory():
    """``with peak_memory() as m: ...`` then ``m['peak_bytes']``: the peak traced allocation (NumPy included)."""
    result = {"peak_bytes": 0}
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield result
    finally:
        result["peak_bytes"] = max(0, tracemalloc.get_traced_memory()[1] - base)
        if started:
            tracemalloc.stop()


# ------------------------------------------------------------------ gradients and activations


def grad_norms(model, kinds=("Linear",)):
    """L2 norm of the weight gradient of each layer whose class is in ``kinds``, input to output."""
    norms = []
    for mod in model.modules():
        if type(mod).__name__ in kinds and getattr(mod, "weight", None) is not None:
            g = mod.weight.grad
            norms.append(float(np.sqrt(np.sum(np.square(g.data, dtype=np.float64)))) if g is not None else 0.0)
    return norms


def set_seed(seed):
    """Seed gradiente's generator (the single source of randomness)."""
    import gradiente

    gradiente.manual_seed(int(seed))


def rng():
    from ..random import get_generator

    return get_generator()


# ------------------------------------------------------------------ data


@functools.lru_cache(maxsize=2)
def _digits(flat):
    from ..data.datasets.digits import load_digits

    Xt, yt = load_digits(normalize=True, flatten=flat)
    return Xt.data, yt.data


def load_digits_data(n_val=360, classes=None, flat=True, seed=0):
    """The 8x8 digits (``gradiente.data.datasets.digits``) split into (Xtr, ytr, Xval, yval) NumPy arrays.

    ``classes`` keeps only those digits (labels renumbered 0..k-1 in that order);
    the split is a fixed permutation drawn from ``seed``.
    """
    X, y = _digits(flat)
    if classes is not None:
        keep = np.isin(y, classes)
        X, y = X[keep], y[keep]
        remap = np.full(10, -1, dtype=np.int64)
        remap[list(classes)] = np.arange(len(classes))
        y = remap[y]
    perm = np.random.default_rng(seed).permutation(len(X))
    X, y = X[perm], y[perm]
    n_val = min(n_val, len(X) // 2)
    return X[n_val:], y[n_val:], X[:n_val], y[:n_val]


# ------------------------------------------------------------------ a small training loop


def _batches(n, batch_size, shuffle):
    idx = rng().permutation(n) if shuffle else np.arange(n)
    for i in range(0, n, batch_size):
        yield idx[i:i + batch_size]


def evaluate(model, X, y, loss_fn, batch_size=1024):
    """(mean loss, accuracy) of a classifier on arrays X, y, without recording the graph."""
    from ..autograd import no_grad
    from ..tensor import Tensor

    was = model.training
    model.eval()
    total, correct = 0.0, 0
    with no_grad():
        for i in range(0, len(X), batch_size):
            xb, yb = Tensor(X[i:i + batch_size]), Tensor(y[i:i + batch_size])
            out = model(xb)
            total += float(loss_fn(out, yb).item()) * len(xb)
            if out.ndim == 2 and out.shape[1] > 1:
                correct += int((out.data.argmax(1) == yb.data).sum())
    model.train(was)
    return total / max(len(X), 1), correct / max(len(X), 1)


def train(model, optimizer, loss_fn, X, y, epochs, batch_size=64, X_val=None, y_val=None, recorder=None,
          shuffle=True, penalty=None, on_batch=None, scheduler=None, eval_train=True, time_budget_s=None):
    """A small training loop over NumPy arrays; logs train/val loss and accuracy per epoch.

    ``penalty(model)`` adds a regularisation term to the loss (seed 002 §3.10);
    ``on_batch(model, step)`` runs after each backward (e.g. to read gradient
    norms); ``scheduler.step()`` runs once per epoch. Stops early, and says so
    in the returned dict, when the loss becomes NaN/Inf (a diverging run).
    """
    from ..tensor import Tensor

    history = []
    step = 0
    elapsed = 0.0
    diverged = False
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        run_loss, seen = 0.0, 0
        for idx in _batches(len(X), batch_size, shuffle):
            xb, yb = Tensor(X[idx]), Tensor(y[idx])
            out = model(xb)
            loss = loss_fn(out, yb)
            if penalty is not None:
                loss = loss + penalty(model)
            optimizer.zero_grad()
            loss.backward()
            step += 1
            if on_batch is not None:
                on_batch(model, step)
            optimizer.step()
            lv = float(loss.item())
            run_loss += lv * len(idx)
            seen += len(idx)
            if not math.isfinite(lv):
                diverged = True
                break
        if scheduler is not None:
            scheduler.step()
        epoch_time = time.perf_counter() - t0
        elapsed += epoch_time
        row = {"train_loss": run_loss / max(seen, 1), "time_s": epoch_time, "wall_s": elapsed}
        if eval_train and not diverged:
            row["train_loss"], row["train_acc"] = evaluate(model, X, y, loss_fn)
        if X_val is not None and not diverged:
            row["val_loss"], row["val_acc"] = evaluate(model, X_val, y_val, loss_fn)
        history.append(row)
        if recorder is not None:
            recorder.log_epoch(epoch, **row)
        if diverged or (time_budget_s is not None and elapsed > time_budget_s):
            break
    return {"history": history, "diverged": diverged, "steps": step, "time_s": elapsed}


# ------------------------------------------------------------------ losses


def cross_entropy(logits, target):
    """Mean softmax cross-entropy (seed 002 §3.2), ``nn.functional.cross_entropy``."""
    from ..nn import functional as F

    return F.cross_entropy(logits, target)
