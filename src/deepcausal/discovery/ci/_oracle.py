"""An oracle "test" that reads independences off a known graph by d-separation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from deepcausal.discovery.ci._base import BoundCITest, CITest
from deepcausal.errors import DataError

if TYPE_CHECKING:
    from deepcausal.graph import CausalGraph

__all__ = ["DSeparation"]


class DSeparation(CITest):
    """The d-separation (m-separation) oracle of a known graph: p = 1 if separated, else 0.

    With it as ``ci_test``, PC returns exactly the CPDAG of the graph and FCI exactly the PAG of the
    graph's observed part (the graph may hold latent nodes that are not columns of the data), which is
    how the algorithms are checked (Spirtes, Glymour & Scheines 2000, the "oracle" version).

    Args:
        graph: The true causal graph; every data column must be one of its nodes.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> oracle = DSeparation(CausalGraph("x -> m; m -> y"))
        >>> df = pd.DataFrame({"x": [0.0, 1.0], "m": [0.0, 1.0], "y": [0.0, 1.0]})
        >>> oracle("x", "y", [], df), oracle("x", "y", ["m"], df)
        (0.0, 1.0)
    """

    name = "d-separation"

    def __init__(self, graph: CausalGraph) -> None:
        self.graph = graph

    def bind(self, data: pd.DataFrame) -> _BoundDSeparation:
        return _BoundDSeparation(self.graph, data)

    def __repr__(self) -> str:
        return f"DSeparation({self.graph!r})"


class _BoundDSeparation(BoundCITest):
    def __init__(self, graph: CausalGraph, data: pd.DataFrame) -> None:
        self.columns = tuple(str(c) for c in data.columns)
        missing = [c for c in self.columns if c not in graph]
        if missing:
            raise DataError(f"column(s) {missing} are not nodes of the oracle's graph")
        self.graph = graph

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        names = [self.columns[k] for k in given]
        separated = self.graph.d_separated(self.columns[i], self.columns[j], names)
        return 1.0 if separated else 0.0
