"""Shared helpers for the discovery tests: random DAGs and random prior knowledge."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from deepcausal.discovery import Knowledge
from deepcausal.graph import CausalGraph

RandomDag = Callable[[np.random.Generator, int, float], CausalGraph]
RandomKnowledge = Callable[[np.random.Generator, CausalGraph, bool], Knowledge]


def _random_dag(rng: np.random.Generator, d: int, p: float) -> CausalGraph:
    names = [f"v{i}" for i in range(d)]
    order = rng.permutation(d)
    edges = [
        (names[order[i]], names[order[j]])
        for i in range(d)
        for j in range(i + 1, d)
        if rng.random() < p
    ]
    return CausalGraph(nodes=names, directed=edges)


def _random_knowledge(rng: np.random.Generator, dag: CausalGraph, consistent: bool) -> Knowledge:
    """Random non-contradictory knowledge; ``consistent=True`` makes it true of ``dag``."""
    nodes = list(dag.nodes)
    true_edges = set(dag.directed_edges)
    if consistent:
        order = list(dag.topological_order())
        required = [e for e in sorted(true_edges) if rng.random() < 0.3]
        candidates = [(a, b) for a in nodes for b in nodes if a != b and (a, b) not in true_edges]
    else:
        order = [nodes[k] for k in rng.permutation(len(nodes))]
        position = {n: k for k, n in enumerate(order)}
        pairs = [(a, b) for a in nodes for b in nodes if a != b]
        required = [(a, b) for a, b in pairs if position[a] < position[b] and rng.random() < 0.15]
        candidates = [e for e in pairs if e not in set(required)]
    forbidden = [e for e in candidates if rng.random() < 0.25]
    tiers: list[list[str]] = []
    if rng.random() < 0.5:
        cut = int(rng.integers(1, len(order)))
        tiers = [order[:cut], order[cut:]]
    return Knowledge(required=required, forbidden=forbidden, tiers=tiers)


@pytest.fixture(scope="session")
def random_dag() -> RandomDag:
    return _random_dag


@pytest.fixture(scope="session")
def random_knowledge() -> RandomKnowledge:
    return _random_knowledge
