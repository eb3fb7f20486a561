"""Write a traced graph as Graphviz DOT (and SVG when Graphviz's ``dot`` is installed)."""
import shutil
import subprocess

from .trace import _fmt


def to_dot(tr):
    """The graph of a :class:`GraphTrace` in DOT: value and dL/d(node) on each node, local derivative on each edge."""
    ids = {n.name: f"n{i}" for i, n in enumerate(tr.nodes)}
    out = tr.output.name
    lines = ["digraph backprop {", "  rankdir=LR;", '  node [shape=record, fontname="Helvetica"];']
    for n in tr.nodes:
        grad = "" if n.grad is None else "|" + _esc(f"d{out}/d{n.name} = {_fmt(n.grad)}")
        shape = "" if n.is_leaf else ", style=rounded"
        label = f"{{{_esc(n.name)}|{_esc(n.op)} = {_esc(_fmt(n.value))}{grad}}}"
        lines.append(f'  {ids[n.name]} [label="{label}"{shape}];')
    for n in tr.nodes:
        for e in n.edges:
            lines.append(f'  {ids[e.source]} -> {ids[n.name]} [label="d{_esc(n.name)}/d{_esc(e.source)} = {_esc(_fmt(e.local))}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _esc(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"').replace("{", "\\{").replace("}", "\\}").replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")


def write_graph(tr, path):
    """Write DOT to ``path`` (``.dot``), or SVG (``.svg``) when the ``dot`` program exists."""
    path = str(path)
    dot = to_dot(tr)
    if path.endswith(".svg"):
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError("writing SVG needs Graphviz's 'dot' program (apt-get install graphviz); "
                               "write a .dot file instead")
        svg = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, check=True).stdout
        with open(path, "wb") as f:
            f.write(svg)
    else:
        with open(path, "w") as f:
            f.write(dot)
    return path
