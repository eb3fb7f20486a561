"""Transfer learning helpers (seed 002 §3.11).

Two strategies of the notes: use a trained network as a *feature extractor*
(freeze its first layers, replace the last by a new head and train only that),
or *fine-tune* it (start from its weights and keep training everything,
usually with a smaller learning rate for the pretrained body than for the
new head).
"""
from ..nn.module import Module


def _check_module(fn, module):
    if not isinstance(module, Module):
        raise TypeError(f"{fn}: expected a Module, got {type(module).__name__}")


def freeze(module):
    """Stop training every parameter of ``module`` (``requires_grad=False``); returns it.

    Gradients still flow *through* a frozen module to the layers before it,
    only its own parameters get none. Its mode (train/eval) is not changed:
    call ``module.eval()`` too to fix batch-norm statistics and turn off dropout.
    """
    _check_module("freeze", module)
    for p in module.parameters():
        p.grad = None
    return module.requires_grad_(False)


def unfreeze(module):
    """Train every parameter of ``module`` again; returns it."""
    _check_module("unfreeze", module)
    return module.requires_grad_(True)


def _resolve(model, attr_name):
    parts = attr_name.split(".")
    parent = model
    for p in parts[:-1]:
        child = parent._modules.get(p)
        if child is None:
            raise AttributeError(f"replace_head: {type(parent).__name__} has no submodule {p!r} (in {attr_name!r}); "
                                 f"its children are {list(parent._modules)}")
        parent = child
    return parent, parts[-1]


def replace_head(model, attr_name, new_module):
    """Put ``new_module`` in place of the submodule ``attr_name`` (dotted: ``"classifier.2"``); returns the old one.

    The new head is trainable whatever the state of the rest of the model.
    """
    _check_module("replace_head", model)
    if not isinstance(new_module, Module):
        raise TypeError(f"replace_head: the new head must be a Module, got {type(new_module).__name__}")
    parent, name = _resolve(model, attr_name)
    old = parent._modules.get(name)
    if old is None:
        raise AttributeError(f"replace_head: {type(parent).__name__} has no submodule {name!r}; "
                             f"its children are {list(parent._modules)}")
    parent.add_module(name, new_module)
    return old


def _last_child(model):
    names = list(model._modules)
    if not names:
        raise ValueError(f"param_groups_for_finetune: {type(model).__name__} has no submodules; pass head=")
    return names[-1]


def param_groups_for_finetune(model, head_lr, body_lr, head=None):
    """Optimizer parameter groups: the head at ``head_lr``, the rest of the model at ``body_lr``.

    ``head`` names the head submodule (dotted; default: the model's last
    child). Frozen parameters are left out; ``body_lr=None`` leaves the whole
    body out (feature extraction). Pass the result to an optimizer:
    ``optim.SGD(param_groups_for_finetune(model, 1e-2, 1e-4), lr=1e-2)``.
    """
    _check_module("param_groups_for_finetune", model)
    for name, lr in (("head_lr", head_lr), ("body_lr", body_lr)):
        if lr is not None and (not isinstance(lr, (int, float)) or lr < 0):
            raise ValueError(f"param_groups_for_finetune: {name} must be a non-negative number, got {lr!r}")
    if head_lr is None:
        raise ValueError("param_groups_for_finetune: head_lr is required")
    head = head or _last_child(model)
    parent, name = _resolve(model, head)
    head_module = parent._modules.get(name)
    if head_module is None:
        raise AttributeError(f"param_groups_for_finetune: no submodule {head!r} in {type(model).__name__}")
    head_ids = {id(p) for p in head_module.parameters()}
    head_params = [p for p in head_module.parameters() if p.requires_grad]
    body_params = [p for p in model.parameters() if id(p) not in head_ids and p.requires_grad]
    if not head_params:
        raise ValueError(f"param_groups_for_finetune: the head {head!r} has no trainable parameters")
    groups = []
    if body_lr is not None and body_params:
        groups.append({"params": body_params, "lr": float(body_lr)})
    groups.append({"params": head_params, "lr": float(head_lr)})
    return groups


def count_parameters(model, trainable_only=False):
    """The number of scalar parameters of ``model`` (only those that train with ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
