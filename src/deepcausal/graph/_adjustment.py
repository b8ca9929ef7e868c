"""Adjustment criteria: back-door sets (Pearl 2009, Def. 3.3.1) and the front-door criterion
(Pearl 2009, Def. 3.3.3), for DAGs and ADMGs (m-separation)."""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

from deepcausal.errors import GraphError

if TYPE_CHECKING:
    from deepcausal.graph._graph import CausalGraph, NodeSet

_MAX_CHECKS = 100_000


def _roles(
    graph: CausalGraph, treatment: NodeSet, outcome: NodeSet
) -> tuple[frozenset[str], frozenset[str]]:
    t = frozenset(graph.check_nodes(treatment, "treatment"))
    y = frozenset(graph.check_nodes(outcome, "outcome"))
    if not t or not y:
        raise GraphError("treatment and outcome must each name at least one node")
    if t & y:
        raise GraphError(f"treatment and outcome overlap: {sorted(t & y)}")
    return t, y


def satisfies_backdoor(
    graph: CausalGraph, treatment: NodeSet, outcome: NodeSet, adjustment: NodeSet
) -> bool:
    """(i) no node of Z descends from T; (ii) Z blocks every path from T to Y that starts with an
    edge into T (Z m-separates T and Y once the edges out of T are cut)."""
    t, y = _roles(graph, treatment, outcome)
    z = frozenset(graph.check_nodes(adjustment, "adjustment"))
    if z & (t | y):
        return False
    if z & graph.descendants(t):
        return False
    return graph.cut_outgoing(t).d_separated(t, y, z)


def backdoor_adjustment_sets(
    graph: CausalGraph, treatment: NodeSet, outcome: NodeSet, max_sets: int | None = None
) -> list[frozenset[str]]:
    """All minimal back-door sets, smallest first (then by node order).

    Candidates are ancestors of T ∪ Y that are neither treatments, outcomes nor descendants of T;
    if the largest candidate set is not valid, no set is. The enumeration stops after
    ``max_sets`` sets or a fixed budget of separation checks.
    """
    t, y = _roles(graph, treatment, outcome)
    forbidden = graph.descendants(t, inclusive=True) | y
    order = {n: i for i, n in enumerate(graph.nodes)}
    candidates = sorted(graph.ancestors(t | y) - forbidden, key=order.__getitem__)
    cut = graph.cut_outgoing(t)
    if not cut.d_separated(t, y, candidates):
        return []
    found: list[frozenset[str]] = []
    checks = 0
    for size in range(len(candidates) + 1):
        for combo in combinations(candidates, size):
            z = frozenset(combo)
            if any(f <= z for f in found):
                continue
            checks += 1
            if cut.d_separated(t, y, z):
                found.append(z)
                if max_sets is not None and len(found) >= max_sets:
                    return found
            if checks >= _MAX_CHECKS:
                return found or [frozenset(candidates)]
    return found


def satisfies_frontdoor(
    graph: CausalGraph, treatment: NodeSet, outcome: NodeSet, mediators: NodeSet
) -> bool:
    """(i) M intercepts every directed path from T to Y; (ii) no unblocked back-door path from T to M;
    (iii) every back-door path from M to Y is blocked by T."""
    t, y = _roles(graph, treatment, outcome)
    m = frozenset(graph.check_nodes(mediators, "mediator"))
    if not m or m & (t | y):
        return False
    without_m = graph.subgraph([n for n in graph.nodes if n not in m])
    if without_m.descendants(t) & y:
        return False
    if not graph.cut_outgoing(t).d_separated(t, m, ()):
        return False
    return graph.cut_outgoing(m).d_separated(m, y, t)
