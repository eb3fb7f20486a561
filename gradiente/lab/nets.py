"""Small networks the lab's experiments build (seed 002 §2.2-§2.8): configurable MLPs.

An :class:`MLP` stacks Linear layers with one activation, an optional
normalisation (BatchNorm1d / LayerNorm, seed 002 §2.6), dropout (seed 002
§2.5) and optional residual connections around the hidden blocks (seed 002
§2.7: a = f(z) + a_prev). With ``record=True`` it keeps every hidden
activation of the last forward pass, for per-layer statistics.
"""
from .. import nn
from ..nn.module import Module

#: lower-case names -> class names in gradiente.nn
ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "selu": "SELU", "gelu": "GELU",
               "elu": "ELU", "leaky_relu": "LeakyReLU", "identity": "Identity", "softplus": "Softplus"}


def activation(name):
    """A new activation layer from its lower-case name (``"relu"``, ``"selu"``, ...)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return getattr(nn, ACTIVATIONS[name])()


def norm_layer(kind, width):
    if kind in (None, "none"):
        return None
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    raise ValueError(f"unknown normalisation {kind!r}; expected 'none', 'batch' or 'layer'")


class Block(Module):
    """Linear -> [norm] -> activation -> [dropout], plus the input when ``residual`` (seed 002 §2.7)."""

    def __init__(self, width_in, width_out, act="relu", norm=None, dropout=0.0, residual=False):
        super().__init__()
        if residual and width_in != width_out:
            raise ValueError(f"Block: a residual block needs equal widths, got {width_in} -> {width_out}")
        self.linear = nn.Linear(width_in, width_out)
        n = norm_layer(norm, width_out)
        if n is not None:
            self.norm = n
        self.act = activation(act)
        if dropout > 0:
            self.drop = nn.Dropout(dropout)
        self.residual = residual

    def forward(self, x):
        h = self.linear(x)
        if "norm" in self._modules:
            h = self.norm(h)
        h = self.act(h)
        if "drop" in self._modules:
            h = self.drop(h)
        return x + h if self.residual else h


class MLP(Module):
    """in -> hidden widths -> out, every hidden layer a :class:`Block`; the output layer is linear."""

    def __init__(self, in_features, hidden, out_features, act="relu", norm=None, dropout=0.0, residual=False):
        super().__init__()
        hidden = list(hidden)
        blocks = []
        prev = in_features
        for i, w in enumerate(hidden):
            blocks.append(Block(prev, w, act, norm, dropout, residual=residual and i > 0 and prev == w))
            prev = w
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(prev, out_features)
        self.record = False
        self.activations = []

    def forward(self, x):
        acts = []
        for b in self.blocks:
            x = b(x)
            if self.record:
                acts.append(x.data)
        self.activations = acts
        return self.head(x)

    def linears(self):
        """The Linear layers from input to output."""
        return [b.linear for b in self.blocks] + [self.head]
