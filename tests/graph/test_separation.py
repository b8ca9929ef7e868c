"""m-separation checked against networkx and against explicit latent variables."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcausal.graph import CausalGraph


def _random_dag(rng: np.random.Generator, d: int, p: float) -> CausalGraph:
    names = [f"v{i}" for i in range(d)]
    perm = rng.permutation(d)
    edges = [
        (names[perm[i]], names[perm[j]])
        for i in range(d)
        for j in range(i + 1, d)
        if rng.random() < p
    ]
    return CausalGraph(nodes=names, directed=edges)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(3, 9), p=st.floats(0.1, 0.6))
def test_d_separation_agrees_with_networkx(seed: int, d: int, p: float) -> None:
    rng = np.random.default_rng(seed)
    g = _random_dag(rng, d, p)
    nxg = g.to_networkx()
    nodes = list(g.nodes)
    for _ in range(6):
        x, y = rng.choice(nodes, 2, replace=False)
        rest = [n for n in nodes if n not in (x, y)]
        z = set(rng.choice(rest, rng.integers(0, len(rest) + 1), replace=False).tolist())
        assert g.d_separated(x, y, z) == nx.is_d_separator(nxg, {x}, {y}, z)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(3, 7))
def test_m_separation_matches_explicit_latents(seed: int, d: int) -> None:
    """An ADMG's m-separation equals d-separation in the DAG with one latent per bidirected edge."""
    rng = np.random.default_rng(seed)
    dag = _random_dag(rng, d, 0.3)
    pairs = [(a, b) for a, b in itertools.combinations(dag.nodes, 2) if rng.random() < 0.25]
    admg = CausalGraph(nodes=dag.nodes, directed=dag.directed_edges, bidirected=pairs)
    expanded = admg.to_networkx()
    for i, (a, b) in enumerate(pairs):
        expanded.add_edges_from([(f"U{i}", a), (f"U{i}", b)])
    nodes = list(admg.nodes)
    for _ in range(6):
        x, y = rng.choice(nodes, 2, replace=False)
        rest = [n for n in nodes if n not in (x, y)]
        z = set(rng.choice(rest, rng.integers(0, len(rest) + 1), replace=False).tolist())
        assert admg.d_separated(x, y, z) == nx.is_d_separator(expanded, {x}, {y}, z)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(4, 8))
def test_latent_projection_preserves_separations(seed: int, d: int) -> None:
    """The projection keeps every m-separation among the kept nodes (Richardson 2003)."""
    rng = np.random.default_rng(seed)
    g = _random_dag(rng, d, 0.4)
    keep = sorted(rng.choice(list(g.nodes), rng.integers(2, d), replace=False).tolist())
    projected = g.latent_projection(keep)
    for _ in range(6):
        x, y = rng.choice(keep, 2, replace=False)
        rest = [n for n in keep if n not in (x, y)]
        z = set(rng.choice(rest, rng.integers(0, len(rest) + 1), replace=False).tolist())
        assert projected.d_separated(x, y, z) == g.d_separated(x, y, z)


def test_classic_separations() -> None:
    collider = CausalGraph("X -> C; Y -> C; C -> D")
    assert collider.d_separated("X", "Y")
    assert not collider.d_separated("X", "Y", "C")
    assert not collider.d_separated("X", "Y", "D")  # conditioning on a collider's descendant
    bow = CausalGraph("X <-> Y")
    assert not bow.d_separated("X", "Y")
