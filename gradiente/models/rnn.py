"""Recurrent models for sequence tasks (seed 000 §6; seed 001; seed 002 §4.5-§4.7).

:class:`RecurrentNet` puts a readout on a recurrent layer: the last state
(sequence to one: classification, the adding problem), every step (sequence
to sequence, synchronised: the copy task, forecasting), the mean over steps,
or all steps flattened (the MNIST-1D paper's GRU). Builders name the set-ups
the lab and the examples use.
"""
from .. import nn

_KINDS = {"RNN": nn.RNN, "ELMAN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
_READOUTS = ("last", "all", "mean", "flatten")


class RecurrentNet(nn.Module):
    """A recurrent layer (``kind`` RNN, LSTM or GRU) and a linear readout, batch first.

    ``readout``:
    * ``"last"``: the final hidden state of the top layer (both directions
      concatenated when bidirectional) -> (B, output_size);
    * ``"all"``: every step's output -> (B, T, output_size);
    * ``"mean"``: the mean of the outputs over time -> (B, output_size);
    * ``"flatten"``: all outputs flattened (needs ``seq_len``) -> (B, output_size).
    ``forward(x, lengths=None)`` accepts the lengths of padded sequences.
    """

    def __init__(self, kind, input_size, hidden_size, output_size, num_layers=1, bidirectional=False,
                 readout="last", seq_len=None, dropout=0.0, nonlinearity="tanh"):
        super().__init__()
        key = kind.upper()
        if key not in _KINDS:
            raise ValueError(f"RecurrentNet: unknown kind {kind!r}; expected one of 'RNN', 'LSTM', 'GRU'")
        if readout not in _READOUTS:
            raise ValueError(f"RecurrentNet: unknown readout {readout!r}; expected one of {_READOUTS}")
        if readout == "flatten" and not seq_len:
            raise ValueError("RecurrentNet: readout='flatten' needs seq_len")
        kw = {"nonlinearity": nonlinearity} if _KINDS[key] is nn.RNN else {}
        self.kind, self.readout, self.seq_len = key if key != "ELMAN" else "RNN", readout, seq_len
        self.rnn = _KINDS[key](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                               dropout=dropout, bidirectional=bidirectional, **kw)
        width = hidden_size * (2 if bidirectional else 1)
        self.fc = nn.Linear(width * seq_len if readout == "flatten" else width, output_size)

    def forward(self, x, lengths=None):
        if x.ndim == 2:  # (B, T) scalar sequences such as MNIST-1D
            x = x.unsqueeze(-1)
        out, state = self.rnn(x, lengths=lengths)
        if self.readout == "all":
            return self.fc(out)
        if self.readout == "mean":
            return self.fc(out.mean(dim=1))
        if self.readout == "flatten":
            return self.fc(out.reshape(out.shape[0], -1))
        h = state[0] if isinstance(state, tuple) else state
        if self.rnn.bidirectional:
            from ..ops import cat

            return self.fc(cat([h[-2], h[-1]], dim=1))
        return self.fc(h[-1])


def adding_model(kind="LSTM", hidden_size=64):
    """Adding problem (seed 000 §6): (value, marker) pairs in, the sum out, from the last state."""
    return RecurrentNet(kind, 2, hidden_size, 1)


def copy_model(kind="LSTM", n_symbols=8, hidden_size=64):
    """Copy task: one-hot symbols in, a class (symbol or blank) out at every step."""
    return RecurrentNet(kind, n_symbols + 2, hidden_size, n_symbols + 1, readout="all")


def forecaster(kind="GRU", hidden_size=32, input_size=1):
    """Next-value forecasting (seed 001's latent-variable model): a prediction at every step."""
    return RecurrentNet(kind, input_size, hidden_size, input_size, readout="all")


def mnist1d_gru(hidden_size=6, seq_len=40, num_classes=10):
    """The GRU of the MNIST-1D paper: bidirectional, hidden 6, every step's output flattened into a linear layer."""
    return RecurrentNet("GRU", 1, hidden_size, num_classes, bidirectional=True, readout="flatten", seq_len=seq_len)


def digits_rnn(kind="GRU", hidden_size=64):
    """8x8 digits read row by row: 8 steps of 8 pixels, the class from the last state."""
    return RecurrentNet(kind, 8, hidden_size, 10)
