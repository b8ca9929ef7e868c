"""Causal graphs: DAGs and ADMGs, separation, adjustment criteria. Pure Python (no torch)."""

from deepcausal.graph._graph import CausalGraph
from deepcausal.graph._parse import parse_graph

__all__ = ["CausalGraph", "parse_graph"]
