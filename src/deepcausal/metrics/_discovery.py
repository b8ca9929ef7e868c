"""Metrics for causal discovery: SHD (DAG and CPDAG forms), edge precision / recall, SID, CPDAGs.

Graphs may be given as a :class:`~deepcausal.graph.CausalGraph`, a square adjacency array or
DataFrame (``A[i, j] != 0`` for ``i -> j``; non-zero both ways is an undirected edge), a list of
:class:`~deepcausal.discovery.Edge`, or a :class:`~deepcausal.discovery.DiscoveryResult`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.discovery import DiscoveryResult, Edge, cpdag_of_dag
from deepcausal.errors import GraphError

__all__ = [
    "edge_counts",
    "f1",
    "fdr",
    "precision",
    "recall",
    "shd",
    "sid",
    "to_cpdag",
    "tpr",
]

GraphLike = Any  # CausalGraph | np.ndarray | pd.DataFrame | Sequence[Edge] | DiscoveryResult

# marks of the pair (i, j), i < j in node order: (mark at i, mark at j)
_Marks = dict[tuple[int, int], tuple[str, str]]


def _names_of(graph: GraphLike) -> list[str] | None:
    """Node names a graph carries, or ``None`` for a bare array."""
    from deepcausal.graph import CausalGraph

    if isinstance(graph, CausalGraph):
        return list(graph.nodes)
    if isinstance(graph, DiscoveryResult):
        return list(graph.nodes)
    if isinstance(graph, pd.DataFrame):
        return [str(c) for c in graph.columns]
    if isinstance(graph, np.ndarray):
        return None
    edges = list(graph)
    names: dict[str, None] = {}
    for edge in edges:
        if not isinstance(edge, Edge):
            raise TypeError(f"expected a graph, adjacency array or list of Edge, got {edge!r}")
        names.setdefault(edge.a)
        names.setdefault(edge.b)
    return list(names)


def _node_order(true: GraphLike, estimated: GraphLike, nodes: Sequence[str] | None) -> list[str]:
    if nodes is not None:
        return [str(n) for n in nodes]
    named = [n for n in (_names_of(true), _names_of(estimated)) if n is not None]
    sizes = [np.asarray(g).shape[0] for g in (true, estimated) if isinstance(g, np.ndarray)]
    if not named:
        return [str(k) for k in range(sizes[0])]
    order = list(dict.fromkeys(itertools.chain(*named)))
    # a bare array must match the named graph's node count
    for size in sizes:
        if size != len(order):
            raise GraphError(
                f"an adjacency array has {size} nodes but the other graph has {len(order)}; "
                f"pass nodes=[...] to align them"
            )
    return order


def _marks(graph: GraphLike, order: list[str]) -> _Marks:
    from deepcausal.graph import CausalGraph

    index = {name: k for k, name in enumerate(order)}
    marks: _Marks = {}

    def put(a: str, b: str, mark_a: str, mark_b: str) -> None:
        if a not in index or b not in index:
            raise GraphError(f"edge {a} - {b} names a node outside {order}")
        i, j = index[a], index[b]
        if i == j:
            raise GraphError(f"self loop at {a!r}")
        key, value = ((i, j), (mark_a, mark_b)) if i < j else ((j, i), (mark_b, mark_a))
        if key in marks and marks[key] != value:
            raise GraphError(f"two different edges between {a!r} and {b!r}")
        marks[key] = value

    if isinstance(graph, CausalGraph):
        for a, b in graph.directed_edges:
            put(a, b, "tail", "arrow")
        for a, b in graph.bidirected_edges:
            put(a, b, "arrow", "arrow")
        return marks
    if isinstance(graph, DiscoveryResult):
        graph = graph.edges
    if isinstance(graph, pd.DataFrame | np.ndarray):
        matrix = np.asarray(graph, dtype=float)
        names = order if not isinstance(graph, pd.DataFrame) else [str(c) for c in graph.columns]
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise GraphError(f"an adjacency matrix must be square, got shape {matrix.shape}")
        if len(names) != matrix.shape[0]:
            raise GraphError(f"adjacency has {matrix.shape[0]} nodes, expected {len(names)}")
        nz = matrix != 0
        for i, j in itertools.combinations(range(matrix.shape[0]), 2):
            if nz[i, j] and nz[j, i]:
                put(names[i], names[j], "tail", "tail")
            elif nz[i, j]:
                put(names[i], names[j], "tail", "arrow")
            elif nz[j, i]:
                put(names[j], names[i], "tail", "arrow")
        if np.any(np.diag(nz)):
            raise GraphError("an adjacency matrix must have a zero diagonal (no self loops)")
        return marks
    for edge in graph:
        put(edge.a, edge.b, edge.mark_a, edge.mark_b)
    return marks


def _dag_matrix(marks: _Marks, d: int) -> np.ndarray | None:
    """The DAG's boolean matrix when every edge is directed and acyclic, else ``None``."""
    dag = np.zeros((d, d), dtype=bool)
    for (i, j), (mi, mj) in marks.items():
        if (mi, mj) == ("tail", "arrow"):
            dag[i, j] = True
        elif (mi, mj) == ("arrow", "tail"):
            dag[j, i] = True
        else:
            return None
    # acyclic iff repeatedly stripping the nodes without incoming edges empties the graph
    alive = np.ones(d, dtype=bool)
    while alive.any():
        alive_idx = np.flatnonzero(alive)
        indegree = dag[np.ix_(alive_idx, alive_idx)].sum(axis=0)
        sources = alive_idx[indegree == 0]
        if sources.size == 0:
            return None
        alive[sources] = False
    return dag


def _cpdag_marks(marks: _Marks, d: int) -> _Marks:
    dag = _dag_matrix(marks, d)
    if dag is None:
        return marks  # already a CPDAG (or a PAG): compared as given
    arrow = cpdag_of_dag(dag)
    out: _Marks = {}
    for i, j in marks:
        if arrow[i, j]:
            out[(i, j)] = ("tail", "arrow")
        elif arrow[j, i]:
            out[(i, j)] = ("arrow", "tail")
        else:
            out[(i, j)] = ("tail", "tail")
    return out


def shd(
    true: GraphLike,
    estimated: GraphLike,
    *,
    cpdag: bool = False,
    nodes: Sequence[str] | None = None,
) -> int:
    """Structural Hamming distance: missing + extra + wrongly marked edges.

    Each node pair counts at most once: an edge in one graph only (missing or extra) counts 1, an edge
    in both with different marks (a reversal, an undirected versus a directed edge, a circle versus
    an arrow) counts 1 (Tsamardinos et al. 2006). With ``cpdag=True`` both graphs are first replaced
    by the CPDAGs of their Markov equivalence classes (a graph that is not a DAG is taken to be a CPDAG
    already), which scores only what observational data can identify.

    Args:
        true: The true graph.
        estimated: The estimated graph.
        cpdag: Compare CPDAGs instead of the graphs themselves.
        nodes: Node names for bare adjacency arrays.

    Returns:
        The distance.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> truth = CausalGraph("a -> b; b -> c")
        >>> shd(truth, CausalGraph("b -> a; b -> c; a -> c"))
        2
        >>> shd(truth, CausalGraph("b -> a; b -> c"), cpdag=True)
        0
    """
    order = _node_order(true, estimated, nodes)
    mt, me = _marks(true, order), _marks(estimated, order)
    if cpdag:
        mt, me = _cpdag_marks(mt, len(order)), _cpdag_marks(me, len(order))
    return sum(1 for key in set(mt) | set(me) if mt.get(key) != me.get(key))


def edge_counts(
    true: GraphLike,
    estimated: GraphLike,
    *,
    skeleton: bool = False,
    nodes: Sequence[str] | None = None,
) -> dict[str, int]:
    """Counts behind the edge metrics: ``tp``, ``fp``, ``fn``, ``reversed``, ``n_true``, ``n_est``.

    Directed mode: an estimated ``a -> b`` is a true positive when the truth has ``a -> b``, a
    reversal when it has ``b -> a``; an estimated edge of any other kind (undirected, bidirected,
    circle-marked) is a true positive when the truth has the adjacency at all (the convention of
    gCastle's ``MetricsDAG``). Skeleton mode compares adjacencies only.
    """
    order = _node_order(true, estimated, nodes)
    mt, me = _marks(true, order), _marks(estimated, order)
    tp = fp = rev = 0
    for key, marks in me.items():
        truth = mt.get(key)
        if truth is None:
            fp += 1
        elif skeleton or marks not in (("tail", "arrow"), ("arrow", "tail")) or marks == truth:
            tp += 1
        else:
            rev += 1
            fp += 1
    fn = len(mt) - tp
    return {"tp": tp, "fp": fp, "fn": fn, "reversed": rev, "n_true": len(mt), "n_est": len(me)}


def precision(true: GraphLike, estimated: GraphLike, *, skeleton: bool = False) -> float:
    """Fraction of estimated edges that are right (1.0 when nothing is estimated)."""
    c = edge_counts(true, estimated, skeleton=skeleton)
    return c["tp"] / c["n_est"] if c["n_est"] else 1.0


def fdr(true: GraphLike, estimated: GraphLike, *, skeleton: bool = False) -> float:
    """False discovery rate: (extra + reversed) / estimated edges (0.0 when nothing is estimated)."""
    return 1.0 - precision(true, estimated, skeleton=skeleton)


def recall(true: GraphLike, estimated: GraphLike, *, skeleton: bool = False) -> float:
    """Fraction of true edges found with the right orientation (1.0 when the truth has none)."""
    c = edge_counts(true, estimated, skeleton=skeleton)
    return c["tp"] / c["n_true"] if c["n_true"] else 1.0


def tpr(true: GraphLike, estimated: GraphLike, *, skeleton: bool = False) -> float:
    """True positive rate, the same as :func:`recall`."""
    return recall(true, estimated, skeleton=skeleton)


def f1(true: GraphLike, estimated: GraphLike, *, skeleton: bool = False) -> float:
    """Harmonic mean of precision and recall.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> truth = CausalGraph("a -> b; b -> c")
        >>> est = CausalGraph("a -> b; c -> b; a -> c")
        >>> precision(truth, est), recall(truth, est), round(f1(truth, est), 3)
        (0.3333333333333333, 0.5, 0.4)
    """
    p = precision(true, estimated, skeleton=skeleton)
    r = recall(true, estimated, skeleton=skeleton)
    return 2 * p * r / (p + r) if p + r else 0.0


def to_cpdag(dag: GraphLike, *, nodes: Sequence[str] | None = None) -> list[Edge]:
    """The CPDAG (essential graph) of a DAG: the edges every Markov-equivalent DAG shares are directed.

    Computed from the DAG's unshielded colliders completed by Meek's rules R1-R3 (Meek 1995; the
    result equals Chickering 1995's essential graph).

    Args:
        dag: A DAG (a :class:`CausalGraph` without bidirected edges, an adjacency array, or directed
            edges).
        nodes: Names for a bare array.

    Returns:
        The CPDAG's edges; undirected edges are tail-tail.

    Raises:
        GraphError: If the input is not a DAG.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> [str(e) for e in to_cpdag(CausalGraph("a -> b; b -> c; d -> c"))]
        ['a --- b', 'b -> c', 'd -> c']
    """
    order = _names_of(dag)
    if order is None:
        size = np.asarray(dag).shape[0]
        order = [str(n) for n in nodes] if nodes is not None else [str(k) for k in range(size)]
    marks = _marks(dag, order)
    matrix = _dag_matrix(marks, len(order))
    if matrix is None:
        raise GraphError("to_cpdag needs a DAG (directed edges only, no cycle)")
    arrow = cpdag_of_dag(matrix)
    edges: list[Edge] = []
    for i, j in sorted(marks):
        if arrow[i, j]:
            edges.append(Edge(order[i], order[j], "tail", "arrow"))
        elif arrow[j, i]:
            edges.append(Edge(order[j], order[i], "tail", "arrow"))
        else:
            edges.append(Edge(order[i], order[j], "tail", "tail"))
    return edges


def sid(true: GraphLike, estimated: GraphLike, *, nodes: Sequence[str] | None = None) -> int:
    """Structural intervention distance (Peters & Bühlmann 2015) between two DAGs.

    Counts the ordered pairs ``(i, j)``, ``i != j``, whose interventional distribution
    ``p(x_j | do(x_i))`` is inferred wrongly when the estimated DAG's parents of ``i`` are used as the
    adjustment set in the true DAG: when ``j`` is an estimated parent of ``i`` (the estimate says
    "no effect"), wrong iff ``j`` is a true descendant of ``i``; otherwise wrong iff ``pa(i)`` is not a
    valid adjustment set for ``(i, j)`` in the true DAG (the adjustment criterion of Shpitser,
    VanderWeele & Robins 2010: it holds no descendant of a node on a proper causal path from ``i`` to
    ``j`` and blocks every non-causal path). ``sid(G, G) == 0``, and unlike SHD the distance is not
    symmetric.

    Args:
        true: The true DAG.
        estimated: The estimated DAG.
        nodes: Names for bare arrays.

    Returns:
        The number of wrongly inferred intervention distributions.

    Raises:
        GraphError: If either graph is not a DAG.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> truth = CausalGraph("a -> b")
        >>> sid(truth, truth), sid(truth, CausalGraph("b -> a")), sid(truth, CausalGraph(nodes=["a", "b"]))
        (0, 2, 1)
    """
    order = _node_order(true, estimated, nodes)
    d = len(order)
    g = _dag_matrix(_marks(true, order), d)
    h = _dag_matrix(_marks(estimated, order), d)
    if g is None or h is None:
        raise GraphError("sid needs two DAGs (directed edges only, no cycle)")
    descendants = _reach(g)  # descendants[i] includes i
    ancestors = descendants.T
    errors = 0
    for i in range(d):
        parents_h = np.flatnonzero(h[:, i])
        for j in range(d):
            if j == i:
                continue
            if h[j, i]:
                errors += int(descendants[i, j])
                continue
            if not _valid_adjustment(g, descendants, ancestors, i, j, parents_h):
                errors += 1
    return errors


def _reach(dag: np.ndarray) -> np.ndarray:
    """``R[i, j]`` iff ``j`` is reachable from ``i`` by a directed path (``R[i, i]`` True)."""
    d = dag.shape[0]
    reach = np.eye(d, dtype=bool) | dag
    for k in range(d):  # Warshall's transitive closure
        reach |= reach[:, [k]] & reach[[k], :]
    return reach


def _valid_adjustment(
    g: np.ndarray,
    descendants: np.ndarray,
    ancestors: np.ndarray,
    i: int,
    j: int,
    z: np.ndarray,
) -> bool:
    """The adjustment criterion for ``(i, j)`` and set ``z`` in DAG ``g``."""
    # nodes on proper causal paths from i to j, excluding i: descendants of i that are ancestors of j
    causal = descendants[i] & ancestors[j]
    causal[i] = False
    forbidden = descendants[causal].any(axis=0) if causal.any() else np.zeros_like(causal)
    forbidden = forbidden.copy()
    forbidden[i] = True
    if np.any(forbidden[z]):
        return False
    # proper back-door graph: drop the first edge of every proper causal path, i -> w with w causal
    pbd = g.copy()
    pbd[i, causal] = False
    return _d_separated(pbd, i, j, set(z.tolist()))


def _d_separated(dag: np.ndarray, x: int, y: int, z: set[int]) -> bool:
    """d-separation by the reachability ("Bayes ball") algorithm (Koller & Friedman 2009, Alg. 3.1)."""
    d = dag.shape[0]
    # ancestors of z (for colliders)
    anc_z = np.zeros(d, dtype=bool)
    stack = list(z)
    while stack:
        node = stack.pop()
        if anc_z[node]:
            continue
        anc_z[node] = True
        stack.extend(np.flatnonzero(dag[:, node]).tolist())
    visited: set[tuple[int, bool]] = set()
    # (node, arrived_from_child): True = travelling up (came from a child), False = down
    frontier: list[tuple[int, bool]] = [(x, True)]
    while frontier:
        node, up = frontier.pop()
        if (node, up) in visited:
            continue
        visited.add((node, up))
        if node == y:
            return False
        if up and node not in z:
            frontier.extend((p, True) for p in np.flatnonzero(dag[:, node]).tolist())
            frontier.extend((c, False) for c in np.flatnonzero(dag[node]).tolist())
        elif not up:
            if node not in z:
                frontier.extend((c, False) for c in np.flatnonzero(dag[node]).tolist())
            if anc_z[node]:
                frontier.extend((p, True) for p in np.flatnonzero(dag[:, node]).tolist())
    return True
