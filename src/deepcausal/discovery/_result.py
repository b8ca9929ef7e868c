"""What a discovery method returns, and how a continuous method builds it from a weighted
adjacency (:func:`finalize_weighted`: thresholding, knowledge masks, cycle breaking)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepcausal.errors import (
    CapabilityError,
    DataError,
)

if TYPE_CHECKING:
    import networkx as nx

    from deepcausal.graph import CausalGraph


from deepcausal.discovery._edges import _EDGE_TEXT, Edge, _dot_id
from deepcausal.discovery._knowledge import Knowledge, _find_cycle

__all__ = ["DiscoveryResult", "finalize_weighted"]

logger = logging.getLogger(__name__)


@dataclass
class DiscoveryResult:
    """What a discovery method found.

    Attributes:
        method: The method's name.
        adjacency: Weighted adjacency, rows = source, columns = target (0 = no edge). For PC and FCI
            the entries are 1 where the edge has an arrowhead at the column node and a non-arrow
            mark at the row node, i.e. every entry of an undirected or circle-marked edge that could
            point that way.
        edges: The edges with their marks (a DAG, a CPDAG or a PAG depending on the method).
        graph: The causal graph the data decided, as a :class:`~deepcausal.graph.CausalGraph`, or
            ``None`` when some edge is left unoriented. The DAG of a continuous method; for PC, the
            CPDAG's graph only when every edge is oriented; for FCI, a graph with bidirected edges
            when every PAG edge is directed or bidirected. The equivalence class in ``edges`` is
            the primary answer; :meth:`to_dag` picks a member of it on request.
        diagnostics: Method-specific numbers (loss, constraint value, number of tests, ...).
        wall_time: Seconds the method took.
        n_cycles_broken: Edges removed to make the result acyclic.
        extension: A DAG in the equivalence class (PC: the extension of Dor & Tarsi 1992), which
            orients what the data left undecided; read it through :meth:`to_dag`.
    """

    method: str
    adjacency: pd.DataFrame
    edges: list[Edge]
    graph: CausalGraph | None
    diagnostics: dict[str, float | int | str] = field(default_factory=dict)
    wall_time: float = 0.0
    n_cycles_broken: int = 0
    extension: CausalGraph | None = None

    @property
    def is_oriented(self) -> bool:
        """Whether the data decided every edge (no undirected edge, no circle mark)."""
        return all("circle" not in (e.mark_a, e.mark_b) and not e.is_undirected for e in self.edges)

    def to_dag(self) -> CausalGraph:
        """One DAG of the answer: :attr:`graph` when it is a DAG; otherwise a member of the
        equivalence class that orients each undecided edge by a fixed rule (for PC, Dor & Tarsi's
        extension), which the data do not support over the other members; the orientations it
        picks are logged. Call it only where one DAG is needed (fitting a DeepSCM, say).

        Raises:
            CapabilityError: for a PAG with circle marks or bidirected edges (no DAG represents
                it).
        """
        if self.graph is not None and self.graph.is_dag:
            return self.graph
        if self.extension is not None:
            undecided = [str(e) for e in self.edges if e.is_undirected]
            if undecided:
                logger.info(
                    "%s: to_dag orients %d undecided edge(s) by Dor & Tarsi's rule: %s",
                    self.method,
                    len(undecided),
                    ", ".join(undecided),
                )
            return self.extension
        raise CapabilityError(
            f"the {self.method} result is a PAG with circle marks or latent confounders; no DAG "
            "represents it (use .edges, or .graph where every edge is oriented)"
        )

    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph``: each edge ``a *-* b`` as ``a -> b`` with attributes ``mark_a``,
        ``mark_b`` and ``weight`` (marks: tail, arrow, circle; ``a --- b`` is an undirected edge,
        ``a <-> b`` a latent confounder), so that no mark is lost."""
        import networkx as nx

        g = nx.DiGraph(method=self.method)
        g.add_nodes_from(self.nodes)
        index = {name: k for k, name in enumerate(self.nodes)}
        weights = self.adjacency.to_numpy(dtype=float)
        for e in self.edges:
            weight = weights[index[e.a], index[e.b]] or weights[index[e.b], index[e.a]] or 1.0
            g.add_edge(e.a, e.b, mark_a=e.mark_a, mark_b=e.mark_b, weight=float(weight))
        return g

    @property
    def nodes(self) -> tuple[str, ...]:
        """The variables, in column order."""
        return tuple(str(c) for c in self.adjacency.columns)

    def summary(self) -> str:
        """A short text summary: method, number of edges by kind, time and diagnostics."""
        kinds: dict[str, int] = {}
        for edge in self.edges:
            text = _EDGE_TEXT[(edge.mark_a, edge.mark_b)]
            kinds[text] = kinds.get(text, 0) + 1
        kind_text = ", ".join(f"{count} '{text}'" for text, count in sorted(kinds.items()))
        lines = [
            f"method: {self.method}",
            f"nodes: {len(self.nodes)}",
            f"edges: {len(self.edges)}" + (f" ({kind_text})" if kind_text else ""),
            f"wall time: {self.wall_time:.3f} s",
        ]
        if self.n_cycles_broken and "n_cycles_broken" not in self.diagnostics:
            lines.append(f"cycles broken: {self.n_cycles_broken}")
        for key, value in self.diagnostics.items():
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            lines.append(f"{key}: {shown}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The result as a Graphviz DOT digraph, arrowheads per mark (circle marks as ``odot``)."""
        lines = [f"digraph {_dot_id(self.method)} {{"]
        lines.extend(f"  {_dot_id(node)};" for node in self.nodes)
        lines.extend(edge.to_dot() for edge in self.edges)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.summary()


def _causal_graph(
    nodes: Sequence[str],
    directed: Sequence[tuple[str, str]],
    bidirected: Sequence[tuple[str, str]] = (),
) -> CausalGraph:
    from deepcausal.graph import CausalGraph  # lazy: the graph layer is imported only when needed

    return CausalGraph(nodes=list(nodes), directed=list(directed), bidirected=list(bidirected))


def finalize_weighted(
    W: np.ndarray,
    columns: Sequence[str],
    *,
    method: str,
    threshold: float,
    knowledge: Knowledge | None,
    diagnostics: dict[str, float | int | str],
    wall_time: float = 0.0,
) -> DiscoveryResult:
    """Turn a learned weighted adjacency into a :class:`DiscoveryResult` with an acyclic graph.

    Steps: entries with ``|w| < threshold`` become 0; forbidden entries must already be 0 (methods
    mask them, they do not penalise them; a non-zero forbidden entry is a bug and raises
    ``AssertionError``); required edges are kept even below the threshold (one the method left at
    exactly 0 is kept with weight ``threshold``, or 1 when the threshold is 0); then any remaining
    directed cycle is broken by repeatedly removing the weakest (smallest ``|w|``) non-required edge
    on it.

    Args:
        W: ``(d, d)`` weights, ``W[i, j]`` the weight of ``columns[i] -> columns[j]``.
        columns: The variable names.
        method: The method's name.
        threshold: Weights below this magnitude are dropped.
        knowledge: Prior knowledge (``None`` for none).
        diagnostics: Method diagnostics to carry over (``n_cycles_broken`` is added).
        wall_time: Seconds the method took (``discover`` overwrites it).

    Returns:
        The result; ``graph`` is a DAG.

    Examples:
        >>> W = np.array([[0.0, 0.9, 0.0], [0.0, 0.0, 0.5], [0.2, 0.0, 0.0]])
        >>> r = finalize_weighted(W, ["a", "b", "c"], method="demo", threshold=0.1,
        ...                       knowledge=None, diagnostics={})
        >>> [str(e) for e in r.edges], r.n_cycles_broken
        (['a -> b', 'b -> c'], 1)
    """
    columns = [str(c) for c in columns]
    W = np.array(W, dtype=float, copy=True)
    d = len(columns)
    if W.shape != (d, d):
        raise ValueError(f"W has shape {W.shape}, expected ({d}, {d}) for {d} columns")
    if not np.all(np.isfinite(W)):
        raise DataError(f"method {method!r} produced non-finite weights")
    knowledge = knowledge if knowledge is not None else Knowledge()
    forbidden = knowledge.forbidden_mask(columns)
    required = knowledge.required_mask(columns)
    original = W.copy()
    W[np.abs(W) < threshold] = 0.0
    bad = np.argwhere(forbidden & (W != 0.0))
    if bad.size:
        pairs = ", ".join(f"{columns[i]} -> {columns[j]}" for i, j in bad[:5])
        raise AssertionError(
            f"method {method!r} put weight on forbidden edge(s) {pairs}; forbidden entries must be "
            f"masked to exactly 0"
        )
    keep = np.where(original != 0.0, original, threshold if threshold > 0 else 1.0)
    W[required] = keep[required]

    n_broken = 0
    while True:
        support = [(columns[i], columns[j]) for i, j in zip(*np.nonzero(W), strict=True)]
        cycle = _find_cycle(support)
        if cycle is None:
            break
        index = {name: i for i, name in enumerate(columns)}
        candidates = [
            (abs(W[index[u], index[v]]), index[u], index[v])
            for u, v in itertools.pairwise(cycle)
            if not required[index[u], index[v]]
        ]
        # required edges are acyclic (Knowledge refuses cycles), so every cycle has a candidate
        _, i, j = min(candidates)
        W[i, j] = 0.0
        n_broken += 1

    directed = [(columns[i], columns[j]) for i, j in zip(*np.nonzero(W), strict=True)]
    edges = [Edge(a, b, "tail", "arrow") for a, b in directed]
    diagnostics = {**diagnostics, "n_cycles_broken": n_broken}
    return DiscoveryResult(
        method=method,
        adjacency=pd.DataFrame(W, index=columns, columns=columns),
        edges=edges,
        graph=_causal_graph(columns, directed),
        diagnostics=diagnostics,
        wall_time=wall_time,
        n_cycles_broken=n_broken,
    )
