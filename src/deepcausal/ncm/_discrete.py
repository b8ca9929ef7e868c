"""Discrete data checked against a graph and a query: integer codes, supports and the joint table.

Shared by the linear-programming bounds and the neural causal models, so both refuse the same bad
input with the same messages: a graph node that is not a column (a latent written as a node), a
query on an unknown node, missing values, a continuous column where categories are needed, and a
treatment value that was never observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.errors import DataError, GraphError, SchemaError
from deepcausal.graph import CausalGraph, as_graph

__all__ = ["MAX_LEVELS", "DiscreteData", "check_query", "prepare_discrete"]

#: More distinct values than this in a column that is not integer-valued reads as continuous.
MAX_LEVELS = 12


@dataclass(frozen=True)
class DiscreteData:
    """A table of discrete columns, one per graph node, in the graph's topological order.

    Attributes:
        graph: the graph.
        nodes: the nodes in topological order.
        codes: ``(n, len(nodes))`` integer codes, ``codes[:, j]`` in ``0..cards[j]-1``.
        categories: the sorted observed values of each node.
        cards: the number of observed values of each node.
    """

    graph: CausalGraph
    nodes: tuple[str, ...]
    codes: np.ndarray
    categories: dict[str, pd.Index]

    @property
    def cards(self) -> tuple[int, ...]:
        return tuple(len(self.categories[v]) for v in self.nodes)

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    def joint(self) -> np.ndarray:
        """Empirical joint probability table, one axis per node (in :attr:`nodes` order)."""
        flat = np.ravel_multi_index(tuple(self.codes.T), self.cards)
        counts = np.bincount(flat, minlength=int(np.prod(self.cards)))
        return (counts / self.n).reshape(self.cards)

    def code(self, node: str, value: Any, role: str) -> int:
        """The code of ``value`` in ``node``'s support; a value never observed is refused."""
        cats = self.categories[node]
        position = int(cats.get_indexer(pd.Index([value]))[0]) if _comparable(value) else -1
        if position < 0:
            shown = ", ".join(map(repr, cats.tolist()))
            raise SchemaError(
                f"{role} value {node}={value!r} was never observed in column {node!r} (observed "
                f"values: {shown}); the data say nothing about units at that value"
            )
        return position

    def numeric(self, node: str) -> np.ndarray:
        """The values of ``node``'s categories as floats (for expectations)."""
        cats = self.categories[node]
        try:
            return np.asarray(cats, dtype=float)
        except (TypeError, ValueError):
            raise DataError(
                f"outcome {node!r} has non-numeric values ({', '.join(map(repr, cats[:5]))}); an "
                "average effect needs numbers: recode it, e.g. 0/1"
            ) from None


def _comparable(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def looks_continuous(values: np.ndarray, max_levels: int = MAX_LEVELS) -> bool:
    """A float column with non-integer values, or with more than ``max_levels`` distinct ones."""
    if values.dtype.kind != "f":
        return False
    distinct = np.unique(values[np.isfinite(values)])
    return bool(distinct.size > max_levels or not np.all(distinct == np.round(distinct)))


def check_query(graph: CausalGraph, data: Any, treatment: str, outcome: str) -> None:
    """The data must be a DataFrame, and the treatment and outcome distinct nodes and columns."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    for role, name in (("treatment", treatment), ("outcome", outcome)):
        if not isinstance(name, str):
            raise GraphError(f"{role} must be one node name, got {name!r}")
        if name not in graph:
            raise GraphError(
                f"{role} {name!r} is not a node of the graph (nodes: {', '.join(graph.nodes)})"
            )
        if name not in data.columns:
            raise SchemaError(f"{role} {name!r} is not a column of the data")
    if treatment == outcome:
        raise DataError(f"treatment and outcome are the same node {treatment!r}")


def prepare_discrete(
    graph: CausalGraph | str,
    data: Any,
    *,
    purpose: str,
    advice: str,
    max_levels: int = MAX_LEVELS,
) -> DiscreteData:
    """Check ``data`` against ``graph`` and code every node's column.

    Args:
        graph: the graph (or anything :func:`~deepcausal.graph.as_graph` reads).
        data: a DataFrame with one column per graph node (more columns are ignored).
        purpose: what needs discrete data, for messages (e.g. ``"LP bounds"``).
        advice: what to do with a continuous column instead.
        max_levels: a column with more distinct values that is not integer-valued is continuous.

    Raises:
        GraphError: a graph node is not a column (a latent variable written as a node).
        DataError: not a DataFrame, no rows, NaN, or a continuous column.
    """
    g = as_graph(graph)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("data has no rows")
    absent = [v for v in g.nodes if v not in data.columns]
    if absent:
        raise GraphError(
            f"graph node(s) {', '.join(map(repr, absent))} are not columns of the data. A hidden "
            "common cause is not a node: write it as a bidirected edge between the nodes it "
            "confounds (e.g. 'X <-> Y') and drop the latent node"
        )
    nodes = g.topological_order()
    codes = np.empty((len(data), len(nodes)), dtype=np.int64)
    categories: dict[str, pd.Index] = {}
    for j, v in enumerate(nodes):
        column = data[v]
        n_nan = int(column.isna().sum())
        if n_nan:
            raise DataError(f"column {v!r} has {n_nan} missing value(s) (NaN); drop or impute them")
        values = column.to_numpy()
        if looks_continuous(values, max_levels):
            raise DataError(
                f"column {v!r} looks continuous ({np.unique(values).size} distinct values); {purpose} "
                f"need discrete data: {advice}"
            )
        cat = pd.Categorical(column)
        if len(cat.categories) > max_levels:
            raise DataError(
                f"column {v!r} has {len(cat.categories)} distinct values (more than {max_levels}); "
                f"{purpose} need few categories: {advice}"
            )
        codes[:, j] = cat.codes
        categories[v] = pd.Index(cat.categories)
    return DiscreteData(g, nodes, codes, categories)
