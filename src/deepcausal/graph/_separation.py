"""m-separation (d-separation for DAGs) by reachability over (node, arrival mark) states.

A path is open given Z when every non-collider on it is outside Z and every collider is in An(Z)
(Richardson 2003, the ADMG generalisation of Pearl's d-separation); the search is the "Bayes-ball"
reachability of Shachter (1998), linear in the number of edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deepcausal.errors import GraphError

if TYPE_CHECKING:
    from deepcausal.graph._graph import CausalGraph, NodeSet

_HEAD, _TAIL = True, False


def m_separated(graph: CausalGraph, xs: NodeSet, ys: NodeSet, given: NodeSet = ()) -> bool:
    """Whether every path between ``xs`` and ``ys`` is blocked by ``given``."""
    x = set(graph.check_nodes(xs, "node"))
    y = set(graph.check_nodes(ys, "node"))
    z = set(graph.check_nodes(given, "conditioning node"))
    if not x or not y:
        raise GraphError("d-separation needs at least one node on each side")
    for name, other in (("xs and ys", x & y), ("xs and given", x & z), ("ys and given", y & z)):
        if other:
            raise GraphError(f"{name} must be disjoint; both contain {sorted(other)}")
    an_z = graph.ancestors(z, inclusive=True) if z else frozenset()

    # state: (node, True if we arrived through an arrowhead at node)
    start = [(v, _TAIL) for v in x]
    seen = set(start)
    stack = list(start)
    while stack:
        node, arrived = stack.pop()
        in_z = node in z
        collider_ok = node in an_z
        moves: list[tuple[str, bool, bool]] = []  # (next node, head at current node, head at next)
        moves += [(c, _TAIL, _HEAD) for c in graph._children[node]]
        moves += [(p, _HEAD, _TAIL) for p in graph._parents[node]]
        moves += [(s, _HEAD, _HEAD) for s in graph._spouses[node]]
        for nxt, head_here, head_there in moves:
            passes = collider_ok if (arrived is _HEAD and head_here is _HEAD) else not in_z
            if not passes:
                continue
            if nxt in y:
                return False
            state = (nxt, head_there)
            if state not in seen:
                seen.add(state)
                stack.append(state)
    return True
