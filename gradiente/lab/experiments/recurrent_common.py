"""Shared pieces of the recurrent experiments: a step-based training loop and dL/dh_t through time.

Not an experiment itself (nothing here is registered).
"""
import time

import numpy as np

import gradiente as g

MODELS = ("RNN", "LSTM", "GRU")
COLORS = {"RNN": "C3", "LSTM": "C0", "GRU": "C2", "MLP": "C7", "CNN": "C1"}


def train_steps(model, loss_fn, sample_batch, steps, lr, recorder=None, eval_fn=None, n_evals=10, clip=1.0):
    """Adam on fresh batches from ``sample_batch(step)`` for ``steps`` steps, clipping the gradient norm.

    ``eval_fn(model)`` returns a dict of metrics, logged ``n_evals`` times as
    "epochs" (evaluation points) with the running train loss and the time.
    Returns (last metrics, total training time in seconds).
    """
    opt = g.optim.Adam(model.parameters(), lr=lr)
    every = max(1, steps // n_evals)
    run_loss, seen, elapsed, metrics = 0.0, 0, 0.0, {}
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        X, y = sample_batch(step)
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        if clip:
            g.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        run_loss += float(loss.item())
        seen += 1
        if step % every == 0 or step == steps:
            elapsed += time.perf_counter() - t0
            metrics = {"train_loss": run_loss / seen, "step": step, "time_s": elapsed}
            if eval_fn is not None:
                model.eval()
                with g.no_grad():
                    metrics.update(eval_fn(model))
                model.train()
            if recorder is not None:
                recorder.log_epoch(step // every, **metrics)
            run_loss, seen = 0.0, 0
            t0 = time.perf_counter()
    return metrics, elapsed


def hidden_grad_norms(net, X, y, loss_fn):
    """||dL/dh_t|| (mean over the batch) for every step t of the first recurrent layer of ``net``.

    ``net`` is a :class:`gradiente.models.rnn.RecurrentNet` with a 1-layer,
    unidirectional ``rnn`` and readout ``"last"``. Its layer is unrolled with
    the matching cell (same weights) so that every h_t is a tensor whose total
    gradient (through all later steps) can be read with ``retain_grad()``.
    """
    rnn = net.rnn
    kind = type(rnn).__name__
    if kind == "RNN":
        cell = g.nn.RNNCell(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity)
    else:
        cell = getattr(g.nn, kind + "Cell")(rnn.input_size, rnn.hidden_size)
    cell.to(rnn.weight_ih_l0.dtype)
    cell.load_state_dict({k[:-3]: v for k, v in rnn.state_dict().items() if k.endswith("_l0")})
    state, hs = None, []
    for t in range(X.shape[1]):
        state = cell(X[:, t], state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hs.append(h)
    loss = loss_fn(net.fc(hs[-1]), y)
    loss.backward()
    return [float(np.linalg.norm(h.grad.numpy(), axis=1).mean()) for h in hs]
