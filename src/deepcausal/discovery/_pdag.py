"""Partially directed graphs: collider orientation, Meek's rules, DAG extensions, CPDAGs of DAGs.

A PDAG over ``d`` variables is held as two boolean ``(d, d)`` matrices: ``adjacent`` (symmetric) and
``arrow`` (``arrow[i, j]`` iff the edge is oriented ``i -> j``); an adjacent pair with no arrow either
way is undirected. ``locked[i, j]`` (symmetric) marks edges whose orientation prior knowledge fixed:
no rule changes them.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "cpdag_of_dag",
    "dag_extension",
    "meek_rules",
    "orient_by_knowledge",
    "orient_colliders",
    "sepset_colliders",
]


def undirected(adjacent: np.ndarray, arrow: np.ndarray) -> np.ndarray:
    """Boolean matrix of undirected edges."""
    return adjacent & ~arrow & ~arrow.T


def orient_by_knowledge(
    adjacent: np.ndarray,
    arrow: np.ndarray,
    locked: np.ndarray,
    forbidden: np.ndarray,
    required: np.ndarray,
) -> None:
    """Orient (and lock) every edge whose direction knowledge decides, in place.

    ``i -> j`` when it is required or when ``j -> i`` is forbidden (the adjacency itself is allowed, so
    ``i -> j`` is then the only way the edge can point).
    """
    d = adjacent.shape[0]
    for i, j in itertools.combinations(range(d), 2):
        if not adjacent[i, j]:
            continue
        if required[i, j] or (forbidden[j, i] and not forbidden[i, j]):
            arrow[i, j], arrow[j, i] = True, False
            locked[i, j] = locked[j, i] = True
        elif required[j, i] or (forbidden[i, j] and not forbidden[j, i]):
            arrow[j, i], arrow[i, j] = True, False
            locked[i, j] = locked[j, i] = True


Collider = tuple[tuple[float, ...], int, int, int]
"""A candidate unshielded collider ``(priority, i, k, j)`` for ``i -> k <- j``; lower priority first."""


def sepset_colliders(
    adjacent: np.ndarray,
    sepsets: dict[tuple[int, int], tuple[int, ...]],
    sep_pvalues: dict[tuple[int, int], float],
) -> list[Collider]:
    """The standard rule: ``i - k - j`` (``i``, ``j`` non-adjacent) is a collider when ``k`` is not in
    the separating set the adjacency search found. Priority: the larger the separating p-value, the
    earlier. Pairs without a separating set (kept apart by knowledge, never tested) give none."""
    d = adjacent.shape[0]
    candidates: list[Collider] = []
    for k in range(d):
        neighbours = np.flatnonzero(adjacent[k])
        for i, j in itertools.combinations(neighbours.tolist(), 2):
            if adjacent[i, j]:
                continue
            key = (i, j) if i < j else (j, i)
            sepset = sepsets.get(key)
            if sepset is None or k in sepset:
                continue
            candidates.append(((-sep_pvalues.get(key, 0.0),), i, k, j))
    return candidates


def orient_colliders(arrow: np.ndarray, candidates: list[Collider]) -> int:
    """Orient candidate colliders ``i -> k <- j`` in priority order (ties by index), in place.

    Sorting makes the result independent of the variable order; a collider that would reverse an
    edge already oriented (by knowledge or by an earlier collider) is skipped as a whole, which keeps
    existing colliders (causal-learn's default conflict rule, applied in order of priority).

    Returns:
        The number of candidates.
    """
    for _, i, k, j in sorted(candidates):
        if arrow[k, i] or arrow[k, j]:
            continue
        arrow[i, k] = arrow[j, k] = True
    return len(candidates)


def meek_rules(
    adjacent: np.ndarray,
    arrow: np.ndarray,
    locked: np.ndarray,
    untested: np.ndarray | None = None,
) -> None:
    """Apply Meek's rules R1-R4 (Meek 1995) until nothing changes, in place.

    R1: ``c -> a - b``, ``c`` and ``b`` non-adjacent: ``a -> b``. R2: ``a -> c -> b`` and ``a - b``:
    ``a -> b``. R3: ``a - c -> b``, ``a - e -> b``, ``c`` and ``e`` non-adjacent, ``a - b``: ``a -> b``.
    R4: ``a - b``, ``c -> e -> b``, ``a`` adjacent to ``c`` and ``e``, ``c`` and ``b`` non-adjacent:
    ``a -> b``. R1-R3 complete a pattern into its CPDAG; R4 is needed once knowledge orients edges.
    Only undirected, unlocked edges change.

    ``untested`` marks non-adjacent pairs without a separating set (kept apart by knowledge, never
    tested): R1, R3 and R4 rely on a non-adjacency implying that colliders were detected, so for them
    such pairs count as adjacent.
    """
    shielded = adjacent if untested is None else adjacent | untested
    changed = True
    while changed:
        changed = False
        und = undirected(adjacent, arrow)
        for a, b in zip(*np.nonzero(und), strict=True):
            a, b = int(a), int(b)
            if locked[a, b] or arrow[a, b] or arrow[b, a]:
                continue
            # with finite-sample errors a rule can point against a directed path; such an
            # orientation would close a directed cycle, so it is left out (as causal-learn does)
            if _meek_orients(adjacent, shielded, arrow, a, b) and not _directed_path(arrow, b, a):
                arrow[a, b] = True
                changed = True


def _directed_path(arrow: np.ndarray, source: int, target: int) -> bool:
    """Whether a path of directed edges leads from ``source`` to ``target``."""
    directed = arrow & ~arrow.T
    seen = {source}
    stack = [source]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        for nxt in np.flatnonzero(directed[node]).tolist():
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _meek_orients(
    adjacent: np.ndarray, shielded: np.ndarray, arrow: np.ndarray, a: int, b: int
) -> bool:
    """Whether one of Meek's rules orients the undirected edge ``a - b`` as ``a -> b``.

    Non-adjacency conditions read ``shielded`` (adjacent or untested), adjacency conditions
    ``adjacent``.
    """
    into_a = arrow[:, a]
    # R1: c -> a - b with c, b non-adjacent
    if np.any(into_a & ~shielded[:, b] & (np.arange(len(into_a)) != b)):
        return True
    # R2: a -> c -> b
    if np.any(arrow[a, :] & arrow[:, b]):
        return True
    und_a = adjacent[a] & ~arrow[a] & ~arrow[:, a]
    into_b = arrow[:, b]
    # R3: a - c -> b and a - e -> b with c, e non-adjacent
    cs = np.flatnonzero(und_a & into_b)
    for c, e in itertools.combinations(cs.tolist(), 2):
        if not shielded[c, e]:
            return True
    # R4: c -> e -> b with a adjacent to c and e, c and b non-adjacent, a - b
    for e in np.flatnonzero(into_b & adjacent[a]).tolist():
        if np.any(arrow[:, e] & adjacent[a] & ~shielded[:, b] & (np.arange(len(into_b)) != b)):
            return True
    return False


def dag_extension(adjacent: np.ndarray, arrow: np.ndarray) -> np.ndarray | None:
    """A DAG that extends the PDAG without new unshielded colliders (Dor & Tarsi 1992), or ``None``.

    Repeatedly take a sink ``x`` (no outgoing directed edge) whose undirected neighbours are adjacent
    to all of ``x``'s other neighbours, orient its undirected edges into ``x`` and remove it.
    """
    d = adjacent.shape[0]
    result = arrow & adjacent
    adj = adjacent.copy()
    arr = arrow.copy()
    alive = np.ones(d, dtype=bool)
    while alive.any():
        found = -1
        for x in np.flatnonzero(alive).tolist():
            if np.any(arr[x] & alive):
                continue
            neighbours = np.flatnonzero(adj[x] & alive)
            und = [y for y in neighbours.tolist() if not arr[y, x]]
            if all(adj[y, z] for y in und for z in neighbours.tolist() if z != y):
                found = x
                break
        if found < 0:
            return None
        x = found
        for y in np.flatnonzero(adj[x] & alive).tolist():
            if not arr[y, x]:
                result[y, x] = True
        alive[x] = False
        adj[x, :] = adj[:, x] = False
        arr[x, :] = arr[:, x] = False
    return result


def cpdag_of_dag(dag: np.ndarray) -> np.ndarray:
    """The CPDAG of a DAG: its unshielded colliders, completed by Meek's rules R1-R3.

    Args:
        dag: Boolean ``(d, d)``, ``dag[i, j]`` iff ``i -> j``.

    Returns:
        The CPDAG's ``arrow`` matrix (adjacency is ``dag | dag.T``).
    """
    dag = np.asarray(dag, dtype=bool)
    adjacent = dag | dag.T
    arrow = np.zeros_like(dag)
    d = dag.shape[0]
    for k in range(d):
        parents = np.flatnonzero(dag[:, k]).tolist()
        for i, j in itertools.combinations(parents, 2):
            if not adjacent[i, j]:
                arrow[i, k] = arrow[j, k] = True
    meek_rules(adjacent, arrow, np.zeros_like(dag))
    return arrow
