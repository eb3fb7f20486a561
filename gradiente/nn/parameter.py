"""``Parameter``: a leaf tensor that a :class:`Module` registers and an optimizer updates."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a learnable parameter (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = []
        super().__init__(data.data if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
