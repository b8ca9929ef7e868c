"""Causal graphs: DAGs and ADMGs, separation, adjustment criteria, graph files, and the structural-equation
engine that evaluates a DAG under interventions. Pure Python (no torch)."""

from deepcausal.graph._engine import evaluate_structural
from deepcausal.graph._files import GRAPH_FORMATS, as_graph, read_graph, write_graph
from deepcausal.graph._graph import CausalGraph
from deepcausal.graph._parse import parse_graph

__all__ = [
    "GRAPH_FORMATS",
    "CausalGraph",
    "as_graph",
    "evaluate_structural",
    "parse_graph",
    "read_graph",
    "write_graph",
]
