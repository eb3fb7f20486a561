"""Recurrent layers and cells with ``torch.nn``'s API (seed 000 §6; seed 002 §4.5-§4.7).

``RNN`` (Elman, tanh or ReLU), ``LSTM`` and ``GRU`` run a fused kernel per
layer and direction (:mod:`gradiente.ops.recurrent`); multi-layer and
bidirectional networks compose those kernels: the outputs of both directions
are concatenated and feed the next layer, with dropout in between when asked.

Parameter names, shapes, gate order (LSTM i, f, g, o; GRU r, z, n) and the
default init U(-1/sqrt(H), 1/sqrt(H)) are PyTorch's, so ``state_dict`` moves
both ways. ``LSTM(..., proj_size=P)`` projects each h_t to P values with an
extra ``weight_hr_lk`` (P, H), as PyTorch.
"""
import math

from ..backend import xp
from ..creation import empty, zeros
from ..ops import cat, stack
from ..ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from ..random import get_generator
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_int(layer, name, v, minimum):
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {v!r}")


def _no_proj(layer, proj_size):
    """RNN and GRU have no projection; PyTorch refuses any ``proj_size`` given to them, even 0."""
    if proj_size is not None:
        raise ValueError(f"{layer}: proj_size argument is only supported for LSTM, not RNN or GRU")


def _dropout(x, p):
    """Inverted dropout between layers (seed 002 §2.9); uses ``nn.functional.dropout`` when present."""
    from . import functional as F

    if hasattr(F, "dropout"):
        return F.dropout(x, p=p, training=True)
    keep = (get_generator().random(x.shape) >= p).astype(x.dtype) / (1 - p)
    return x * Tensor(keep)


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU``: parameters, shape checks, layer stacking."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_int(name, "input_size", input_size, 0)
        _check_int(name, "hidden_size", hidden_size, 1)
        _check_int(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, "
                             f"got {proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} "
                             f"and hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        G = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        h_size = self._h_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else h_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (G, in_size)), ("weight_hh", (G, h_size))]
                if bias:
                    shapes += [("bias_ih", (G,)), ("bias_hh", (G,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(empty(*shape, dtype=dtype)))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _h_size(self):
        """Size of h_t: proj_size with a projection, else hidden_size."""
        return self.proj_size or self.hidden_size

    def flatten_parameters(self):
        """Kept for PyTorch compatibility: the kernels use the parameters as they are (nothing to do)."""

    @property
    def all_weights(self):
        """Per layer and direction, the list [weight_ih, weight_hh, (bias_ih, bias_hh), (weight_hr)], as PyTorch."""
        return [[p for p in self._layer_params(layer, d) if p is not None]
                for layer in range(self.num_layers) for d in range(self.num_directions)]

    def _layer_params(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w = [getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)]
        w += [getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx)] if self.bias else [None, None]
        if self.proj_size:
            w.append(getattr(self, "weight_hr" + sfx))
        return w

    def _check_input(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of 2 (unbatched) or 3 dimensions, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}(input_size={self.input_size}): expected input with last dimension "
                f"{self.input_size}, got shape {tuple(input.shape)}"
            )
        if input.data.dtype.kind != "f":
            raise TypeError(f"{name}: input must be floating point, got dtype {input.dtype}")

    def _check_state(self, hx, batch, what="hx"):
        name = type(self).__name__
        size = self.hidden_size if what == "c_0" else self._h_size
        expected = (self.num_layers * self.num_directions, batch, size)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor, got {type(hx).__name__}")
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"{name}: expected {what} of shape {expected}, got {tuple(hx.shape)}")

    def _run_kernel(self, x, states, params, reverse, mask):
        """One layer, one direction: returns (output, (final states...))."""
        if self.mode == "LSTM":
            out, h, c = LSTMSequence.apply(x, states[0], states[1], *params, reverse=reverse, mask=mask)
            return out, (h, c)
        if self.mode == "GRU":
            out, h = GRUSequence.apply(x, states[0], *params, reverse=reverse, mask=mask)
            return out, (h,)
        nl = "relu" if self.mode == "RNN_RELU" else "tanh"
        out, h = RNNSequence.apply(x, states[0], *params, nonlinearity=nl, reverse=reverse, mask=mask)
        return out, (h,)

    def forward(self, input, hx=None, lengths=None):
        """Run the stack over ``input`` (T, B, I), or (B, T, I) with ``batch_first``, or unbatched (T, I).

        ``hx`` is h_0 (num_layers*num_directions, B, H), or (h_0, c_0) for the
        LSTM (h_0 with proj_size columns when projected); zeros when omitted.
        ``lengths`` (B integers, optional) gives the length of each sequence of
        a padded batch: steps past a sequence's end leave its state unchanged
        and output zeros (what a packed sequence computes in PyTorch). A :class:`~gradiente.nn.utils.rnn.PackedSequence`
        input is also accepted. Returns (output, h_n) or (output, (h_n, c_n)).
        """
        from .utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

        packed = isinstance(input, PackedSequence)
        if packed:
            # work on the padded batch, in the caller's order (hx and h_n follow that order too)
            was_sorted = input.sorted_indices is None
            input, lengths = pad_packed_sequence(input, batch_first=False)
        name = type(self).__name__
        self._check_input(input)
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first and not packed:
            input = input.transpose(0, 1)
        T, B = input.shape[0], input.shape[1]
        mask = None
        if lengths is not None:
            lens = xp.asarray(lengths.data if isinstance(lengths, Tensor) else lengths).reshape(-1)
            if lens.shape[0] != B:
                raise ValueError(f"{name}: lengths has {lens.shape[0]} entries for a batch of {B}")
            if lens.size and (lens.min() < 1 or lens.max() > T):
                raise ValueError(f"{name}: lengths must lie in [1, {T}], got min {lens.min()} and max {lens.max()}")
            mask = xp.arange(T)[:, None] < lens[None, :]
        L, D, Hs = self.num_layers, self.num_directions, self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = zeros(L * D, B, self._h_size, dtype=input.dtype)
            states0 = (h0, zeros(L * D, B, Hs, dtype=input.dtype) if self.proj_size else h0) if lstm else (h0,)
        else:
            states0 = tuple(hx) if lstm else (hx,)
            if lstm and len(states0) != 2:
                raise ValueError(f"{name}: hx must be a tuple (h_0, c_0)")
            if unbatched:
                states0 = tuple(s.unsqueeze(1) if isinstance(s, Tensor) and s.ndim == 2 else s for s in states0)
            for s, what in zip(states0, ("h_0", "c_0")):
                self._check_state(s, B, what)
        finals = [[] for _ in states0]
        layer_in = input
        for layer in range(L):
            outs = []
            for d in range(D):
                k = layer * D + d
                st = tuple(s[k] for s in states0)
                out, fin = self._run_kernel(layer_in, st, self._layer_params(layer, d), bool(d), mask)
                outs.append(out)
                for lst, f in zip(finals, fin):
                    lst.append(f)
            layer_in = outs[0] if D == 1 else cat(outs, dim=2)
            if self.dropout > 0 and self.training and layer < L - 1:
                layer_in = _dropout(layer_in, self.dropout)
        output = layer_in
        states = tuple(stack(f, dim=0) for f in finals)
        if unbatched:
            output = output.squeeze(1)
            states = tuple(s.squeeze(1) for s in states)
        elif self.batch_first and not packed:
            output = output.transpose(0, 1)
        if packed:
            output = pack_padded_sequence(output, lengths, batch_first=False, enforce_sorted=was_sorted)
        if lstm:
            return output, states
        return output, states[0]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (seed 000 §6, seed 002 §4.5).

    ``nonlinearity='relu'`` uses ReLU instead of tanh.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=None, proj_size=None):
        _no_proj("RNN", proj_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'")
        self.__dict__["nonlinearity"] = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (seed 002 §4.6; seed 000 §6), gates i, f, g, o stacked in that order.

    i, f, o = sigma(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*), g = tanh(...),
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t). Seed 000 writes W [h_{t-1}, x_t]:
    the same map, with W = [W_h*, W_i*] split by columns (see docs/recurrent.md).
    ``proj_size=P`` (0 < P < hidden_size) makes h_t = W_hr (o tanh(c_t)) of size P,
    PyTorch's LSTM with projections: the output and h_n have P features, c_n keeps H.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit (seed 002 §4.7), gates r, z, n stacked in that order.

    n = tanh(W_in x_t + b_in + r (W_hn h_{t-1} + b_hn)), h_t = (1 - z) n + z h_{t-1}.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, proj_size=None):
        _no_proj("GRU", proj_size)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.

    A cell runs the same fused kernel as the layers with a sequence of length 1;
    calling it step by step gives a tensor for every h_t (use ``retain_grad()``
    on them to read dL/dh_t, as the vanishing-gradient experiment does).
    """

    n_gates = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_int(name, "input_size", input_size, 0)
        _check_int(name, "hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = self.n_gates * hidden_size
        self.weight_ih = Parameter(empty(G, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(G, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(G, dtype=dtype))
            self.bias_hh = Parameter(empty(G, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _prepare(self, input, hx, n_states):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}(input_size={self.input_size}): expected input of shape (batch, {self.input_size}) "
                f"or ({self.input_size},), got {tuple(input.shape)}"
            )
        unbatched = input.ndim == 1
        x = input.reshape(1, 1, -1) if unbatched else input.unsqueeze(0)
        B = x.shape[1]
        if hx is None:
            h0 = zeros(B, self.hidden_size, dtype=input.dtype)
            states = [h0] * n_states
        else:
            states = list(hx) if n_states == 2 else [hx]
            if len(states) != n_states:
                raise ValueError(f"{name}: hx must be a tuple (h, c)")
            expected = (self.hidden_size,) if unbatched else (B, self.hidden_size)
            for i, s in enumerate(states):
                if not isinstance(s, Tensor) or tuple(s.shape) != expected:
                    got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                    raise RuntimeError(f"{name}: expected hidden state of shape {expected}, got {got}")
                if unbatched:
                    states[i] = s.reshape(1, -1)
        params = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return x, states, params, unbatched

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (seed 002 §4.5), or ReLU."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), params, unbatched = self._prepare(input, hx, 1)
        _, h = RNNSequence.apply(x, h, *params, nonlinearity=self.nonlinearity)
        return h.reshape(-1) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step (seed 002 §4.6): returns (h', c')."""

    n_gates = 4

    def forward(self, input, hx=None):
        x, (h, c), params, unbatched = self._prepare(input, hx, 2)
        _, h, c = LSTMSequence.apply(x, h, c, *params)
        return (h.reshape(-1), c.reshape(-1)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step (seed 002 §4.7): returns h'."""

    n_gates = 3

    def forward(self, input, hx=None):
        x, (h,), params, unbatched = self._prepare(input, hx, 1)
        _, h = GRUSequence.apply(x, h, *params)
        return h.reshape(-1) if unbatched else h
