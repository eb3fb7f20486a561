"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict`` (as in ``torch.nn``)."""
from collections import OrderedDict

from ..ops.activation import _as_tensor
from .activation import ReLU
from .module import Module
from .pooling import MaxPool1d, MaxPool2d, MaxPool3d

_MAX_POOLS = (MaxPool1d, MaxPool2d, MaxPool3d)


class Sequential(Module):
    """Apply modules one after another: a^(l) = f(W^(l) a^(l-1) + b^(l)) stacked (seed 000 §4).

    A ``ReLU`` followed by a ``MaxPool1d/2d/3d`` runs as one node that pools first and rectifies the
    pooled map (the maximum commutes with the monotone rectifier, so the values and gradients are
    the same; seed 002 §2.6): the activation's passes, forward and backward, cover a kernel-size
    times smaller map (LeNet-5's first stage: 75,264 activations instead of 301,056).
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        relu = None  # a ReLU whose call waits to see whether a max pool follows
        for m in self._modules.values():
            if relu is not None:
                if type(m) in _MAX_POOLS and not m.return_indices:
                    x, relu = m.forward_after_relu(_as_tensor(x, "ReLU")), None
                    continue
                x, relu = relu(x), None
            if type(m) is ReLU:
                relu = m
            else:
                x = m(x)
        return x if relu is None else relu(x)

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return mods[idx]

    def __setitem__(self, idx, module):
        key = list(self._modules.keys())[idx]
        self.add_module(key, module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``0.weight``, ``1.weight``, ...)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[idx]

    def __setitem__(self, idx, module):
        self.add_module(list(self._modules.keys())[idx], module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules or {}).items():
            self.add_module(k, m)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
