"""Seeing backpropagation: trace any small graph, print every local and chained derivative."""
from .trace import GraphTrace, trace, seed_002_example
from .graph import to_dot, write_graph

__all__ = ["GraphTrace", "trace", "seed_002_example", "to_dot", "write_graph"]
