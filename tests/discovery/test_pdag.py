"""CPDAGs checked against brute-force Markov equivalence; DAG extensions; Meek's rule R4."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from deepcausal.discovery._pdag import cpdag_of_dag, dag_extension, meek_rules


def _v_structures(dag: np.ndarray) -> set[tuple[int, int, int]]:
    adjacent = dag | dag.T
    found = set()
    for k in range(dag.shape[0]):
        for i, j in itertools.combinations(np.flatnonzero(dag[:, k]).tolist(), 2):
            if not adjacent[i, j]:
                found.add((i, k, j))
    return found


def _acyclic(dag: np.ndarray) -> bool:
    alive = np.ones(dag.shape[0], dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        sources = idx[dag[np.ix_(idx, idx)].sum(axis=0) == 0]
        if sources.size == 0:
            return False
        alive[sources] = False
    return True


def _markov_equivalent_dags(dag: np.ndarray) -> list[np.ndarray]:
    """Every DAG with the same skeleton and unshielded colliders (Verma & Pearl 1990)."""
    pairs = [(i, j) for i, j in zip(*np.nonzero(np.triu(dag | dag.T)), strict=True)]
    target = _v_structures(dag)
    members = []
    for flips in itertools.product((False, True), repeat=len(pairs)):
        candidate = np.zeros_like(dag)
        for (i, j), flip in zip(pairs, flips, strict=True):
            candidate[(j, i) if flip else (i, j)] = True
        if _acyclic(candidate) and _v_structures(candidate) == target:
            members.append(candidate)
    return members


def test_cpdag_matches_brute_force_markov_equivalence(random_dag: Any) -> None:
    rng = np.random.default_rng(42)
    for _ in range(60):
        d = int(rng.integers(2, 7))
        graph = random_dag(rng, d, float(rng.uniform(0.2, 0.8)))
        dag = graph.adjacency_matrix().astype(bool)
        members = _markov_equivalent_dags(dag)
        assert any((m == dag).all() for m in members)
        arrow = cpdag_of_dag(dag)
        for i, j in zip(*np.nonzero(dag | dag.T), strict=True):
            same_in_all = all(m[i, j] for m in members)
            assert bool(arrow[i, j]) == same_in_all, (graph, i, j)


def test_dag_extension_stays_in_the_equivalence_class(random_dag: Any) -> None:
    rng = np.random.default_rng(3)
    for _ in range(60):
        graph = random_dag(rng, int(rng.integers(2, 9)), float(rng.uniform(0.2, 0.8)))
        dag = graph.adjacency_matrix().astype(bool)
        arrow = cpdag_of_dag(dag)
        extension = dag_extension(dag | dag.T, arrow)
        assert extension is not None
        assert _acyclic(extension)
        np.testing.assert_array_equal(extension | extension.T, dag | dag.T)
        np.testing.assert_array_equal(cpdag_of_dag(extension), arrow)


def test_dag_extension_reports_when_there_is_none() -> None:
    # an undirected 4-cycle has no extension without a new unshielded collider
    adjacent = np.zeros((4, 4), dtype=bool)
    for i in range(4):
        adjacent[i, (i + 1) % 4] = adjacent[(i + 1) % 4, i] = True
    assert dag_extension(adjacent, np.zeros_like(adjacent)) is None


def test_meek_rule_4_orients_after_knowledge() -> None:
    # a - b with c -> d -> b, c and b non-adjacent, a adjacent to c and d: R4 gives a -> b
    a, b, c, d = range(4)
    adjacent = np.zeros((4, 4), dtype=bool)
    for u, v in [(a, b), (a, c), (a, d), (c, d), (d, b)]:
        adjacent[u, v] = adjacent[v, u] = True
    arrow = np.zeros_like(adjacent)
    arrow[c, d] = arrow[d, b] = True  # as knowledge would orient them
    locked = np.zeros_like(adjacent)
    meek_rules(adjacent, arrow, locked)
    assert arrow[a, b] and not arrow[b, a]
