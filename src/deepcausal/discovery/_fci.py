"""FCI (Spirtes, Meek & Richardson 1995) with Zhang's (2008) complete orientation rules: a PAG."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.discovery._edges import Edge, Mark, edges_to_adjacency
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._pc import ColliderRule
from deepcausal.discovery._result import DiscoveryResult, _causal_graph
from deepcausal.discovery._skeleton import adjacency_search, check_alpha, check_max_cond_size
from deepcausal.discovery.ci._base import CachedTest
from deepcausal.errors import GraphError

__all__ = ["fci"]

# M[i, j] is the mark at j on the edge between i and j; 0 when i and j are not adjacent.
_NONE, _TAIL, _ARROW, _CIRCLE = 0, 1, 2, 3
_MARK_NAME: dict[int, Mark] = {_TAIL: "tail", _ARROW: "arrow", _CIRCLE: "circle"}


def fci(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    alpha: float = 0.05,
    max_cond_size: int | None = None,
    ci_test: Any = "fisherz",
    possible_dsep: bool = True,
    collider_rule: ColliderRule = "majority",
) -> DiscoveryResult:
    """FCI: causal discovery that allows latent confounders; returns a PAG.

    1. Adjacency search, PC-stable (Colombo & Maathuis 2014), as in :func:`~._pc.pc`.
    2. Every edge becomes ``o-o``; knowledge marks are set and locked; unshielded colliders get
       arrowheads (decided by the majority rule by default, see ``collider_rule``).
    3. Possible-D-SEP phase (Spirtes et al. 2000): each remaining edge is tested again against subsets
       of the possible-D-SEP sets of its endpoints (computed for all nodes first, as in FCI-stable),
       restricted to possible ancestors of the two endpoints (a separating set exists among their
       ancestors), which removes the edges a latent confounder's inducing paths left in the skeleton.
    4. Edges are reset to ``o-o`` (knowledge re-applied), colliders re-oriented, and Zhang's rules
       R1-R4 and R8-R10 applied until nothing changes. Without selection bias these rules are complete
       (Zhang 2008): with an oracle test every circle left is a mark some Markov-equivalent MAG has as
       an arrowhead and another as a tail. (R5-R7 only concern selection bias and are not applied.)

    Knowledge in a PAG (Tetrad's convention): a required ``a -> b`` is oriented ``a -> b``; a
    forbidden ``a -> b`` between adjacent nodes puts an arrowhead at ``a`` (``a`` is not an ancestor
    of ``b``), giving ``a <-* b``; both marks are locked.

    Args:
        data: Validated data (see :func:`~deepcausal.discovery.discover`).
        knowledge: Prior knowledge, never violated.
        random_state: Unused (FCI is deterministic); accepted for a uniform interface.
        alpha: Significance level; a pair is separated when ``p > alpha``.
        max_cond_size: Largest conditioning set tested in both phases (``None``: no limit).
        ci_test: A test name, a :class:`~deepcausal.discovery.ci.CITest`, or a callable
            ``(x, y, given, data) -> p``.
        possible_dsep: Run the possible-D-SEP phase (turning it off is faster but may keep edges
            between nodes that only a latent connects).
        collider_rule: How unshielded colliders are decided, as in :func:`~._pc.pc`:
            ``"majority"`` (default; pcalg's ``maj.rule``), ``"conservative"`` or ``"sepset"`` (the
            original rule; causal-learn's).

    Returns:
        A result whose ``edges`` form the PAG (marks ``"tail"``, ``"arrow"``, ``"circle"``); ``graph``
        is a :class:`~deepcausal.graph.CausalGraph` with bidirected edges when every PAG edge is
        directed or bidirected (and acyclic), else ``None``.

    Examples:
        >>> from deepcausal.discovery.ci import DSeparation
        >>> from deepcausal.graph import CausalGraph
        >>> truth = CausalGraph("a -> b; c -> d; L -> b; L -> d")  # L is latent
        >>> df = pd.DataFrame(np.zeros((2, 4)), columns=["a", "b", "c", "d"])
        >>> from deepcausal.discovery import discover
        >>> result = discover(df, method="fci", ci_test=DSeparation(truth))
        >>> [str(e) for e in result.edges], result.graph
        (['a o-> b', 'b <-> d', 'c o-> d'], None)
    """
    del random_state
    if collider_rule not in ("majority", "conservative", "sepset"):
        raise ValueError(
            f"collider_rule must be 'majority', 'conservative' or 'sepset', got {collider_rule!r}"
        )
    alpha = check_alpha(alpha)
    max_cond_size = check_max_cond_size(max_cond_size)
    if not isinstance(possible_dsep, bool):
        raise TypeError(f"possible_dsep must be True or False, got {possible_dsep!r}")
    search = adjacency_search(data, knowledge, ci_test, alpha=alpha, max_cond_size=max_cond_size)
    columns, forbidden, required = search.columns, search.forbidden, search.required
    skeleton, test = search.skeleton, search.test
    sepsets = dict(skeleton.sepsets)
    sep_pvalues = dict(skeleton.sep_pvalues)

    def colliders(adjacent: np.ndarray) -> list[tuple[int, int, int]]:
        found = search.colliders(collider_rule, adjacent, sepsets, sep_pvalues)
        return [(i, k, j) for _, i, k, j in found]

    M, locked = _initial_marks(skeleton.adjacent, forbidden, required)
    _orient_colliders(M, locked, colliders(skeleton.adjacent))
    n_removed = 0
    if possible_dsep:
        n_removed = _possible_dsep_phase(
            M, test, sepsets, alpha=alpha, max_cond_size=max_cond_size, required=required
        )
        M, locked = _initial_marks(M != _NONE, forbidden, required)
        _orient_colliders(M, locked, colliders(M != _NONE))
    _apply_rules(M, locked, sepsets, untested=forbidden & forbidden.T)

    edges = _pag_edges(M, columns)
    diagnostics = search.diagnostics(n_removed_possible_dsep=n_removed, collider_rule=collider_rule)
    return DiscoveryResult(
        method="fci",
        adjacency=edges_to_adjacency(edges, columns),
        edges=edges,
        graph=_pag_to_graph(edges, columns),
        diagnostics=diagnostics,
    )


# ------------------------------------------------------------------------------------ marks
def _initial_marks(
    adjacent: np.ndarray, forbidden: np.ndarray, required: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All edges ``o-o``, then knowledge marks, locked (``locked[i, j]``: the mark ``M[i, j]``)."""
    M = np.where(adjacent, _CIRCLE, _NONE).astype(np.int8)
    locked = np.zeros(adjacent.shape, dtype=bool)
    for i, j in zip(*np.nonzero(adjacent), strict=True):
        i, j = int(i), int(j)
        if required[i, j]:
            M[i, j], M[j, i] = _ARROW, _TAIL
            locked[i, j] = locked[j, i] = True
        elif forbidden[i, j] and not required[j, i]:
            M[j, i] = _ARROW  # i is not an ancestor of j: arrowhead at i
            locked[j, i] = True
    return M, locked


def _set(M: np.ndarray, locked: np.ndarray, i: int, j: int, mark: int) -> bool:
    """Set the mark at ``j`` on edge ``i *-* j`` unless it is locked; whether it changed."""
    if M[i, j] == mark or locked[i, j]:
        return False
    M[i, j] = mark
    return True


def _adj(M: np.ndarray, i: int, j: int) -> bool:
    return bool(M[i, j] != _NONE)


def _neighbours(M: np.ndarray, i: int) -> list[int]:
    return np.flatnonzero(M[i]).tolist()


def _is_parent(M: np.ndarray, i: int, j: int) -> bool:
    """``i -> j``."""
    return bool(M[i, j] == _ARROW and M[j, i] == _TAIL)


def _pd_edge(M: np.ndarray, u: int, v: int) -> bool:
    """The edge ``u *-* v`` is potentially directed from ``u`` to ``v``."""
    return bool(M[v, u] != _ARROW and M[u, v] != _TAIL and M[u, v] != _NONE)


def _orient_colliders(
    M: np.ndarray, locked: np.ndarray, triples: list[tuple[int, int, int]]
) -> None:
    """Rule R0: ``i *-> k <-* j`` for every unshielded collider ``(i, k, j)`` (arrowheads never
    conflict in a PAG, so the order does not matter)."""
    for i, k, j in triples:
        _set(M, locked, i, k, _ARROW)
        _set(M, locked, j, k, _ARROW)


# -------------------------------------------------------------------------- possible-D-SEP
def _possible_dsep(M: np.ndarray, x: int) -> set[int]:
    """Possible-D-SEP(x): nodes reachable by a path on which every inner node is a collider or in a
    triangle with its neighbours on the path (Spirtes, Glymour & Scheines 2000, sec. 6.7)."""
    result: set[int] = set()
    seen: set[tuple[int, int]] = set()
    frontier = [(x, v) for v in _neighbours(M, x)]
    while frontier:
        u, v = frontier.pop()
        if (u, v) in seen:
            continue
        seen.add((u, v))
        result.add(v)
        for w in _neighbours(M, v):
            if w in (u, x):
                continue
            if (M[u, v] == _ARROW and M[w, v] == _ARROW) or _adj(M, u, w):
                frontier.append((v, w))
    result.discard(x)
    return result


def _possible_ancestors(M: np.ndarray, targets: tuple[int, ...]) -> set[int]:
    """Nodes with a potentially directed path into one of ``targets`` (targets excluded)."""
    found = set(targets)
    stack = list(targets)
    while stack:
        w = stack.pop()
        for v in _neighbours(M, w):
            if v not in found and _pd_edge(M, v, w):
                found.add(v)
                stack.append(v)
    return found - set(targets)


def _possible_dsep_phase(
    M: np.ndarray,
    test: CachedTest,
    sepsets: dict[tuple[int, int], tuple[int, ...]],
    *,
    alpha: float,
    max_cond_size: int | None,
    required: np.ndarray,
) -> int:
    """Remove edges separated by subsets of possible-D-SEP sets; returns how many were removed."""
    d = M.shape[0]
    pds = [_possible_dsep(M, x) for x in range(d)]  # computed once: order-independent
    neighbours = [set(_neighbours(M, x)) for x in range(d)]
    removed = 0
    for i, j in itertools.combinations(range(d), 2):
        if not _adj(M, i, j) or required[i, j] or required[j, i]:
            continue
        found = None
        # a separating set can be found among the ancestors of {i, j} (Spirtes et al. 2000,
        # D-SEP(i, j) is a subset of An(i, j)): keep the possible ancestors only
        ancestors = _possible_ancestors(M, (i, j))
        for x, y in ((i, j), (j, i)):
            candidates = sorted((pds[x] & ancestors) - {y})
            largest = (
                len(candidates) if max_cond_size is None else min(max_cond_size, len(candidates))
            )
            for size in range(largest + 1):
                batch = [
                    s
                    for s in itertools.combinations(candidates, size)
                    # subsets of either endpoint's neighbours were tested by the adjacency search
                    if not (set(s) <= neighbours[x] or set(s) <= neighbours[y])
                ]
                if not batch:
                    continue
                pvalues = test.pvalues(x, y, batch)
                hits = np.flatnonzero(pvalues > alpha)
                if hits.size:
                    found = batch[int(hits[0])]
                    break
            if found is not None:
                break
        if found is not None:
            M[i, j] = M[j, i] = _NONE
            sepsets[(i, j)] = found
            removed += 1
    return removed


# ------------------------------------------------------------------------- orientation rules
def _apply_rules(
    M: np.ndarray,
    locked: np.ndarray,
    sepsets: dict[tuple[int, int], tuple[int, ...]],
    untested: np.ndarray,
) -> None:
    """Zhang's (2008) rules R1-R4 and R8-R10 until nothing changes.

    The rules' non-adjacency conditions (and "uncovered" paths) need pairs a test separated; pairs
    kept apart only by knowledge (``untested``) count as adjacent there, which keeps the rules sound.
    """
    S = (M != _NONE) | untested  # "shielded": adjacent, or non-adjacent without a test
    changed = True
    while changed:
        changed = False
        for rule in (_rule1, _rule2, _rule3, _rule8, _rule9, _rule10):
            changed |= rule(M, locked, S)
        changed |= _rule4(M, locked, sepsets)
        S = (M != _NONE) | untested


def _rule1(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R1: ``a *-> b o-* c``, ``a`` and ``c`` non-adjacent: ``b -> c``."""
    changed = False
    for a, b in zip(*np.nonzero(M == _ARROW), strict=True):
        a, b = int(a), int(b)
        for c in _neighbours(M, b):
            if c == a or S[a, c] or M[c, b] != _CIRCLE or M[b, c] == _TAIL:
                continue
            changed |= _set(M, locked, c, b, _TAIL)
            changed |= _set(M, locked, b, c, _ARROW)
    return changed


def _rule2(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R2: ``a -> b *-> c`` or ``a *-> b -> c``, and ``a *-o c``: ``a *-> c``."""
    changed = False
    for a, c in zip(*np.nonzero(M == _CIRCLE), strict=True):
        a, c = int(a), int(c)
        for b in _neighbours(M, a):
            if b == c or not _adj(M, b, c):
                continue
            if (_is_parent(M, a, b) and M[b, c] == _ARROW) or (
                M[a, b] == _ARROW and _is_parent(M, b, c)
            ):
                changed |= _set(M, locked, a, c, _ARROW)
                break
    return changed


def _rule3(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R3: ``a *-> b <-* c``, ``a *-o t o-* c``, ``a``, ``c`` non-adjacent, ``t *-o b``: ``t *-> b``."""
    changed = False
    for t, b in zip(*np.nonzero(M == _CIRCLE), strict=True):
        t, b = int(t), int(b)
        into_b = [a for a in _neighbours(M, b) if a != t and M[a, b] == _ARROW]
        for a, c in itertools.combinations(into_b, 2):
            if S[a, c] or not (_adj(M, a, t) and _adj(M, c, t)):
                continue
            if M[a, t] == _CIRCLE and M[c, t] == _CIRCLE:
                changed |= _set(M, locked, t, b, _ARROW)
                break
    return changed


def _rule4(
    M: np.ndarray, locked: np.ndarray, sepsets: dict[tuple[int, int], tuple[int, ...]]
) -> bool:
    """R4, discriminating paths: for ``<t, ..., a, b, c>`` discriminating for ``b`` with ``b o-* c``,
    ``b -> c`` when ``b`` is in sepset(t, c), else ``a <-> b <-> c``."""
    changed = False
    d = M.shape[0]
    for c in range(d):
        for b in _neighbours(M, c):
            if M[c, b] != _CIRCLE:
                continue
            for a in _neighbours(M, b):
                if a == c or not _is_parent(M, a, c) or M[b, a] != _ARROW:
                    continue
                theta, path_ok = _discriminating_start(M, a, b, c)
                if not path_ok:
                    continue
                sepset = sepsets.get((theta, c) if theta < c else (c, theta))
                if sepset is None:
                    continue  # non-adjacent by knowledge, not by a test: nothing to read
                if b in sepset:
                    changed |= _set(M, locked, c, b, _TAIL)
                    changed |= _set(M, locked, b, c, _ARROW)
                else:
                    changed |= _set(M, locked, a, b, _ARROW)
                    changed |= _set(M, locked, c, b, _ARROW)
                    changed |= _set(M, locked, b, c, _ARROW)
                if M[c, b] != _CIRCLE:
                    break
    return changed


def _discriminating_start(M: np.ndarray, a: int, b: int, c: int) -> tuple[int, bool]:
    """The far end ``t`` of a shortest discriminating path ``<t, ..., a, b, c>`` for ``b``.

    Every node strictly between ``t`` and ``b`` is a collider on the path and a parent of ``c``;
    ``t`` is not adjacent to ``c``. Searched breadth-first from ``a``.
    """
    visited = {a, b, c}
    frontier = [(a, b)]  # (node, its successor on the path towards b)
    while frontier:
        next_frontier: list[tuple[int, int]] = []
        for v, _ in frontier:
            for u in _neighbours(M, v):
                if u in visited or M[u, v] != _ARROW:
                    continue
                if not _adj(M, u, c):
                    return u, True
                if _is_parent(M, u, c) and M[v, u] == _ARROW:
                    visited.add(u)
                    next_frontier.append((u, v))
        frontier = next_frontier
    return -1, False


def _rule8(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R8: ``a -> b -> c`` or ``a -o b -> c``, and ``a o-> c``: ``a -> c``."""
    changed = False
    for a, c in _circle_arrow_edges(M):
        for b in _neighbours(M, a):
            if b == c or not _is_parent(M, b, c) or M[b, a] != _TAIL:
                continue
            if M[a, b] in (_ARROW, _CIRCLE):
                changed |= _set(M, locked, c, a, _TAIL)
                break
    return changed


def _circle_arrow_edges(M: np.ndarray) -> list[tuple[int, int]]:
    """Every ``a o-> c`` as ``(a, c)``."""
    mask = (M == _ARROW) & (M.T == _CIRCLE)
    return [(int(a), int(c)) for a, c in zip(*np.nonzero(mask), strict=True)]


def _uncovered_pd_path(M: np.ndarray, S: np.ndarray, start: int, first: int, target: int) -> bool:
    """Whether an uncovered potentially directed path ``<start, first, ..., target>`` exists.

    Uncovered: the two neighbours of every inner node are separated (not ``S``).
    """
    if not _pd_edge(M, start, first):
        return False
    if first == target:
        return True
    stack = [(start, first, frozenset((start, first)))]
    while stack:
        prev, cur, on_path = stack.pop()
        for nxt in _neighbours(M, cur):
            if nxt in on_path or S[prev, nxt] or not _pd_edge(M, cur, nxt):
                continue
            if nxt == target:
                return True
            stack.append((cur, nxt, on_path | {nxt}))
    return False


def _rule9(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R9: ``a o-> c`` and an uncovered p.d. path ``<a, b, ..., c>`` with ``b``, ``c`` non-adjacent:
    ``a -> c``."""
    changed = False
    for a, c in _circle_arrow_edges(M):
        for b in _neighbours(M, a):
            if b == c or S[b, c]:
                continue
            if _uncovered_pd_path(M, S, a, b, c):
                changed |= _set(M, locked, c, a, _TAIL)
                break
    return changed


def _rule10(M: np.ndarray, locked: np.ndarray, S: np.ndarray) -> bool:
    """R10: ``a o-> c``, ``b -> c <- t``, uncovered p.d. paths from ``a`` to ``b`` and to ``t`` whose
    second nodes ``m`` and ``w`` differ and are non-adjacent: ``a -> c``."""
    changed = False
    for a, c in _circle_arrow_edges(M):
        parents = [p for p in _neighbours(M, c) if _is_parent(M, p, c)]
        if len(parents) < 2:
            continue
        firsts = [q for q in _neighbours(M, a) if q != c]
        reach = {p: [q for q in firsts if _uncovered_pd_path(M, S, a, q, p)] for p in parents}
        done = False
        for p1, p2 in itertools.combinations(parents, 2):
            for m in reach[p1]:
                if any(w != m and not S[m, w] for w in reach[p2]):
                    changed |= _set(M, locked, c, a, _TAIL)
                    done = True
                    break
            if done:
                break
    return changed


# -------------------------------------------------------------------------------- output
def _pag_edges(M: np.ndarray, columns: list[str]) -> list[Edge]:
    edges = []
    for i, j in itertools.combinations(range(len(columns)), 2):
        if M[i, j] != _NONE:
            edges.append(
                Edge(columns[i], columns[j], _MARK_NAME[int(M[j, i])], _MARK_NAME[int(M[i, j])])
            )
    return edges


def _pag_to_graph(edges: list[Edge], columns: list[str]) -> Any:
    directed: list[tuple[str, str]] = []
    bidirected: list[tuple[str, str]] = []
    for edge in edges:
        if edge.is_bidirected:
            bidirected.append(edge.nodes)
        elif edge.mark_a == "tail" and edge.mark_b == "arrow":
            directed.append(edge.nodes)
        elif edge.mark_a == "arrow" and edge.mark_b == "tail":
            directed.append((edge.b, edge.a))
        else:
            return None
    try:
        return _causal_graph(columns, directed, bidirected)
    except GraphError:
        return None
