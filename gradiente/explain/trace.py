"""Trace a computation: forward values, local derivatives and the chain rule (seed 002 §3.6).

``trace(loss, names)`` walks the graph that built ``loss`` and asks the
engine itself for two things per edge: the local derivative d(node)/d(input)
(the ``Function``'s own backward applied to a gradient of ones) and, after a
real ``backward()``, the chained derivative dL/d(node). The printout is the
worked example of seed 002 §3.6 for any small graph.
"""
from dataclasses import dataclass, field

import numpy as np

from ..autograd import Function
from ..backend import to_numpy, xp
from ..tensor import Tensor

_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "^", "MatMul": "@"}


@dataclass
class Edge:
    """One input of a node: its name, the local derivative d(node)/d(input), and the product."""

    source: str
    local: np.ndarray


@dataclass
class Node:
    name: str
    op: str            # "input" for leaves, else the Function's name
    value: np.ndarray
    grad: np.ndarray = None
    edges: list = field(default_factory=list)

    @property
    def is_leaf(self):
        return self.op == "input"


@dataclass
class GraphTrace:
    """Nodes in forward (topological) order; ``output`` is the last one."""

    nodes: list

    @property
    def output(self):
        return self.nodes[-1]

    def node(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r}; nodes: {[n.name for n in self.nodes]}")

    def grad(self, name):
        """dL/d(name) as a float (scalar graphs) or an array."""
        g = self.node(name).grad
        return _scalar(g)

    def format(self):
        """The forward pass and the backward pass, one derivative per line."""
        by_name = {n.name: n for n in self.nodes}
        out = self.output.name
        lines = ["Forward pass"]
        for n in self.nodes:
            if n.is_leaf:
                lines.append(f"  {n.name} = {_fmt(n.value)}")
        for n in self.nodes:
            if not n.is_leaf:
                expr = "" if n.expression.strip("()") == n.name.strip("()") else f" = {n.expression}"
                lines.append(f"  {n.name}{expr} = {_fmt(n.value)}")
        lines.append("Backward pass (chain rule: dL/d input = dL/d node * d node/d input)")
        lines.append(f"  d{out}/d{out} = 1")
        for n in reversed(self.nodes):
            if n.is_leaf:
                continue
            for e in n.edges:
                src = by_name[e.source]
                if src.grad is None:
                    continue
                contrib = _reduce_like(n.grad * e.local, src.value)
                src_name, node_name = _d(e.source), _d(n.name)
                lines.append(
                    f"  d{out}/d{src_name} {'+' if _fan_out(self, e.source) > 1 else ''}= d{out}/d{node_name} * "
                    f"d{node_name}/d{src_name} = {_fmt(n.grad)} * {_fmt(e.local)} = {_fmt(contrib)}"
                )
        lines.append("Gradient of every input")
        for n in self.nodes:
            if n.is_leaf and n.grad is not None:
                lines.append(f"  d{out}/d{n.name} = {_fmt(n.grad)}")
        return "\n".join(lines)

    def __str__(self):
        return self.format()


def _d(name):
    """Parenthesise a compound name after a 'd': d(x1*w11), but dz1."""
    return name if name.isidentifier() or name.startswith("(") else f"({name})"


def _fan_out(tr, name):
    return sum(1 for n in tr.nodes for e in n.edges if e.source == name)


def _reduce_like(arr, like):
    arr = np.asarray(arr)
    like = np.asarray(like)
    if arr.shape == like.shape:
        return arr
    return arr.sum() if like.size == 1 else arr


def _scalar(a):
    a = np.asarray(a)
    return float(a) if a.size == 1 else a


def _fmt(a):
    a = np.asarray(a)
    if a.size == 1:
        v = float(a.reshape(()))
        return f"{v:g}"
    return np.array2string(a, precision=4, separator=", ")


def trace(output, names=None):
    """Run backward on ``output`` and record every node's value, local and chained derivatives.

    ``names`` maps display names to tensors (inputs or intermediate values,
    e.g. ``{"x1": x1, "z1": z1}``); unnamed nodes are named by their expression.
    The leaves must have ``requires_grad=True``.
    """
    if not isinstance(output, Tensor) or output.grad_fn is None:
        raise ValueError("trace: expected the output of a computation on tensors with requires_grad=True")
    label = {id(t): n for n, t in (names or {}).items()}
    # Collect tensors in topological order (iterative DFS over tensor -> grad_fn.inputs).
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t.grad_fn is not None:
            for i in reversed(t.grad_fn.inputs):
                if isinstance(i, Tensor) and id(i) not in seen:
                    stack.append((i, False))
    counter = {}
    display = {}
    for t in order:
        if id(t) in label:
            display[id(t)] = label[id(t)]
        elif t.grad_fn is None:
            counter["x"] = counter.get("x", 0) + 1
            display[id(t)] = f"x{counter['x']}"
        else:
            display[id(t)] = _expression(t, display)
    # Local derivatives: the node's own backward applied to ones (exact for scalar nodes).
    nodes = {}
    for t in order:
        fn = t.grad_fn
        node = Node(display[id(t)], "input" if fn is None else fn.name, to_numpy(t.data).copy())
        if fn is not None:
            node.expression = _expression(t, display)
            locals_ = fn.backward(xp.ones_like(t.data))
            if not isinstance(locals_, tuple):
                locals_ = (locals_,)
            for inp, loc in zip(fn.inputs, locals_):
                if isinstance(inp, Tensor) and inp.requires_grad and loc is not None:
                    node.edges.append(Edge(display[id(inp)], to_numpy(loc).copy()))
            t.retain_grad()
        nodes[id(t)] = node
    leaves = [t for t in order if t.grad_fn is None and t.requires_grad]
    saved = [(t, t.grad) for t in leaves]
    for t in leaves:
        t.grad = None
    output.backward()
    for t in order:
        if t.grad is not None:
            nodes[id(t)].grad = to_numpy(t.grad.data).copy()
    for t, g in saved:  # leave the user's accumulated grads as they were, plus this backward
        if g is not None and t.grad is not None:
            t.grad.data += g.data
    return GraphTrace([nodes[id(t)] for t in order])


def _expression(t, display):
    fn = t.grad_fn
    args = [display.get(id(i), _const(i)) if isinstance(i, Tensor) else _const(i) for i in fn.inputs]
    sym = _SYMBOLS.get(fn.name)
    if sym and len(args) == 2:
        return f"({args[0]} {sym} {args[1]})" if sym in "+-" else f"{args[0]}{sym}{args[1]}"
    return f"{fn.name.lower()}({', '.join(args)})"


def _const(v):
    if isinstance(v, Tensor):
        return _fmt(v.data)
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def seed_002_example():
    """The worked example of seed 002 §3.6: a 2-1-1 linear network, MSE loss, one sample.

    x1=1, x2=-2, w11=3, w12=2, b1=2, w21=4, b2=-1, target 2. Returns the trace;
    its derivatives are computed by the engine, not written down.
    """
    from ..creation import tensor

    def leaf(v, grad=True):
        return tensor(float(v), dtype=np.float64, requires_grad=grad)

    x1, x2 = leaf(1, False), leaf(-2, False)
    w11, w12, b1, w21, b2 = leaf(3), leaf(2), leaf(2), leaf(4), leaf(-1)
    y_d = leaf(2, False)
    z1 = x1 * w11 + x2 * w12 + b1
    y = z1 * w21 + b2
    loss = (y - y_d) ** 2
    names = {"x1": x1, "x2": x2, "w11": w11, "w12": w12, "b1": b1, "w21": w21, "b2": b2,
             "y_d": y_d, "z1": z1, "y": y, "L": loss}
    return trace(loss, names)


__all__ = ["trace", "seed_002_example", "GraphTrace", "Node", "Edge", "Function"]
