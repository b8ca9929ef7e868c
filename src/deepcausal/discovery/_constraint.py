"""Pieces shared by the constraint-based methods (PC, FCI): option checks and result assembly."""

from __future__ import annotations

import itertools

import numpy as np

from deepcausal.discovery._edges import Edge
from deepcausal.discovery._knowledge import _find_cycle
from deepcausal.discovery._pdag import dag_extension

__all__ = ["cpdag_edges", "dag_from_pdag"]


def cpdag_edges(adjacent: np.ndarray, arrow: np.ndarray, columns: list[str]) -> list[Edge]:
    """The marked edges of a PDAG, in column order."""
    edges: list[Edge] = []
    for i, j in itertools.combinations(range(len(columns)), 2):
        if not adjacent[i, j]:
            continue
        if arrow[i, j] and not arrow[j, i]:
            edges.append(Edge(columns[i], columns[j], "tail", "arrow"))
        elif arrow[j, i] and not arrow[i, j]:
            edges.append(Edge(columns[j], columns[i], "tail", "arrow"))
        else:
            edges.append(Edge(columns[i], columns[j], "tail", "tail"))
    return edges


def dag_from_pdag(
    adjacent: np.ndarray, arrow: np.ndarray, required: np.ndarray
) -> tuple[np.ndarray, int, str]:
    """A DAG consistent with a PDAG: its Dor-Tarsi extension when one exists, else a repair.

    With finite data the orientations of a PDAG can conflict (a directed cycle, or no extension
    without new colliders). Then directed cycles are broken by dropping a non-required edge on each,
    and the undirected edges are oriented along a topological order of the directed part; every
    remaining undirected edge may point either way under the knowledge, so the repair never violates
    it.

    Returns:
        ``(dag, n_cycles_broken, how)`` with ``how`` ``"extension"`` or ``"repaired"``.
    """
    dag = dag_extension(adjacent, arrow)
    if dag is not None:
        return dag, 0, "extension"
    d = adjacent.shape[0]
    directed = arrow & adjacent & ~arrow.T
    n_broken = 0
    while True:
        cycle = _find_cycle((str(i), str(j)) for i, j in zip(*np.nonzero(directed), strict=True))
        if cycle is None:
            break
        pairs = [(int(u), int(v)) for u, v in itertools.pairwise(cycle)]
        u, v = next(((u, v) for u, v in pairs if not required[u, v]), pairs[0])
        directed[u, v] = False
        adjacent = adjacent.copy()
        adjacent[u, v] = adjacent[v, u] = False
        n_broken += 1
    dag = dag_extension(adjacent, directed)
    if dag is not None:
        return dag, n_broken, "repaired"
    order = _topological_order(directed)
    position = np.empty(d, dtype=int)
    position[order] = np.arange(d)
    und = adjacent & ~directed & ~directed.T
    dag = directed | (und & (position[:, None] < position[None, :]))
    return dag, n_broken, "repaired"


def _topological_order(dag: np.ndarray) -> list[int]:
    indegree = dag.sum(axis=0).astype(int)
    ready = sorted(np.flatnonzero(indegree == 0).tolist())
    order: list[int] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in np.flatnonzero(dag[node]).tolist():
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    return order
