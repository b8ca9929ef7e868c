"""FCI: exact PAGs with an oracle test (against causal-learn and an independent MAG), knowledge."""

from __future__ import annotations

import contextlib
import io
import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcausal.discovery import Edge, Knowledge, discover
from deepcausal.discovery.ci import DSeparation
from deepcausal.graph import CausalGraph


def _placeholder(nodes: list[str]) -> pd.DataFrame:
    # more rows than variables, or discovery warns that the data are too few
    return pd.DataFrame(np.zeros((len(nodes) + 1, len(nodes))), columns=nodes)


def _edge_set(edges: list[Edge], order: list[str]) -> set[str]:
    return {str(e.canonical(order)) for e in edges}


def _with_latents(random_dag: Any, rng: np.random.Generator) -> tuple[CausalGraph, list[str]]:
    d = int(rng.integers(4, 9))
    dag = random_dag(rng, d, float(rng.uniform(0.2, 0.5)))
    latent = set(rng.choice(d, int(rng.integers(0, 3)), replace=False).tolist())
    observed = [n for k, n in enumerate(dag.nodes) if k not in latent]
    return dag, observed


def _true_mag(dag: CausalGraph, observed: list[str]) -> dict[frozenset[str], tuple[str, str]]:
    """The MAG of ``dag`` over ``observed``, computed without FCI.

    Adjacent iff no subset of the other observed nodes d-separates the pair (brute force); the
    mark at ``a`` is a tail iff ``a`` is an ancestor of ``b``, else an arrowhead. Values are the marks
    at the pair's nodes in ``observed`` order.
    """
    mag = {}
    for a, b in itertools.combinations(observed, 2):
        others = [n for n in observed if n not in (a, b)]
        separable = any(
            dag.d_separated(a, b, list(z))
            for size in range(len(others) + 1)
            for z in itertools.combinations(others, size)
        )
        if not separable:
            mark_a = "tail" if a in dag.ancestors(b) else "arrow"
            mark_b = "tail" if b in dag.ancestors(a) else "arrow"
            mag[frozenset((a, b))] = (mark_a, mark_b)
    return mag


@pytest.mark.parametrize("rule", ["majority", "conservative", "sepset"])
def test_fci_with_an_oracle_is_sound_for_the_true_mag(random_dag: Any, rule: str) -> None:
    rng = np.random.default_rng(2024)
    for _ in range(25):
        dag, observed = _with_latents(random_dag, rng)
        result = discover(
            _placeholder(observed), method="fci", ci_test=DSeparation(dag), collider_rule=rule
        )
        mag = _true_mag(dag, observed)
        assert {frozenset(e.nodes) for e in result.edges} == set(mag), (dag, observed)
        order = {n: k for k, n in enumerate(observed)}
        for edge in result.edges:
            e = edge.canonical(observed)
            truth = mag[frozenset(e.nodes)]
            assert order[e.a] < order[e.b]
            for got, want in zip((e.mark_a, e.mark_b), truth, strict=True):
                assert got in ("circle", want), (edge, truth, dag, observed)


def test_fci_with_an_oracle_matches_causal_learn(random_dag: Any) -> None:
    pytest.importorskip("causallearn")
    import networkx as nx
    from causallearn.search.ConstraintBased.FCI import fci as cl_fci

    marks = {"TAIL": "tail", "ARROW": "arrow", "CIRCLE": "circle"}
    rng = np.random.default_rng(99)
    for _ in range(30):
        dag, observed = _with_latents(random_dag, rng)
        ours = discover(_placeholder(observed), method="fci", ci_test=DSeparation(dag))
        order = observed + [n for n in dag.nodes if n not in observed]
        index = {n: k for k, n in enumerate(order)}
        true_dag = nx.DiGraph()
        true_dag.add_nodes_from(range(len(order)))
        true_dag.add_edges_from((index[a], index[b]) for a, b in dag.directed_edges)
        placeholder = np.zeros((len(observed) + 1, len(observed)))
        with contextlib.redirect_stdout(io.StringIO()):  # causal-learn prints edges
            graph, _ = cl_fci(
                placeholder,
                "d_separation",
                true_dag=true_dag,
                show_progress=False,
                node_names=observed,
            )
        theirs = {
            str(
                Edge(
                    e.get_node1().get_name(),
                    e.get_node2().get_name(),
                    marks[e.get_endpoint1().name],
                    marks[e.get_endpoint2().name],  # type: ignore[arg-type]
                ).canonical(observed)
            )
            for e in graph.get_graph_edges()
        }
        assert _edge_set(ours.edges, observed) == theirs, (dag, observed)


def test_fci_textbook_pags() -> None:
    # a Y-structure: the edge c -> d is identified as direct and unconfounded
    dag = CausalGraph("a -> c; b -> c; c -> d")
    observed = ["a", "b", "c", "d"]
    result = discover(_placeholder(observed), method="fci", ci_test=DSeparation(dag))
    assert _edge_set(result.edges, observed) == {"a o-> c", "b o-> c", "c -> d"}
    # a latent confounder L of b and d
    dag = CausalGraph("a -> b; c -> d; L -> b; L -> d")
    observed = ["a", "b", "c", "d"]
    result = discover(_placeholder(observed), method="fci", ci_test=DSeparation(dag))
    assert _edge_set(result.edges, observed) == {"a o-> b", "b <-> d", "c o-> d"}
    assert result.graph is None  # circle marks remain
    # an inducing path: a and d are m-connected given every set, so they stay adjacent
    dag = CausalGraph("a -> b; L1 -> b; L1 -> c; L2 -> c; L2 -> d; b -> x; c -> x")
    observed = ["a", "b", "c", "d"]
    result = discover(_placeholder(observed), method="fci", ci_test=DSeparation(dag))
    assert {frozenset(e.nodes) for e in result.edges} >= {frozenset(("b", "c"))}


def test_possible_dsep_sets_and_the_removal_phase() -> None:
    from deepcausal.discovery._fci import _ARROW, _CIRCLE, _possible_dsep, _possible_dsep_phase
    from deepcausal.discovery.ci import BoundCITest, CachedTest

    # a o-> b <-o e o-o f (collider at b), a o-o d, d o-o b, g o-o a (g only via a non-collider)
    a, b, d, e, f, g = range(6)
    M = np.zeros((6, 6), dtype=np.int8)
    for u, v in [(a, b), (b, e), (e, f), (a, d), (d, b), (g, a)]:
        M[u, v] = M[v, u] = _CIRCLE
    M[a, b] = M[e, b] = _ARROW
    # from a: b (adjacent), e (b is a collider on a *-> b <-* e), not f (e is no collider on b, e,
    # f and b, f are not adjacent), d (adjacent), g (adjacent)
    assert _possible_dsep(M, a) == {b, d, e, g}
    # from d: a, b (adjacent); e by d, a, b, e (d, a, b is a triangle, then b is a collider); not
    # g (a is no collider on d, a, g and d, g are not adjacent)
    assert _possible_dsep(M, d) == {a, b, e}

    class Stub(BoundCITest):
        columns = ("a", "b", "d", "e", "f", "g")

        def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
            # a and d are separated only by sets holding e, which neither is adjacent to
            return 1.0 if {i, j} == {a, d} and e in given else 0.0

    sepsets: dict[tuple[int, int], tuple[int, ...]] = {}
    removed = _possible_dsep_phase(
        M,
        CachedTest(Stub()),
        sepsets,
        alpha=0.05,
        max_cond_size=None,
        required=np.zeros((6, 6), dtype=bool),
    )
    assert removed == 1 and M[a, d] == M[d, a] == 0
    assert e in sepsets[(a, d)]
    # a cap on the conditioning-set size below what is needed keeps the edge
    M[a, d] = M[d, a] = _CIRCLE
    assert (
        _possible_dsep_phase(
            M,
            CachedTest(Stub()),
            {},
            alpha=0.05,
            max_cond_size=0,
            required=np.zeros((6, 6), dtype=bool),
        )
        == 0
    )


def test_an_all_directed_pag_becomes_a_causal_graph_with_bidirected_edges() -> None:
    dag = CausalGraph("a -> c; b -> c; c -> d; L -> d; L -> e; f -> e")
    observed = ["a", "b", "c", "d", "e", "f"]
    knowledge = Knowledge(required=["a -> c", "b -> c", "f -> e"])
    result = discover(
        _placeholder(observed), method="fci", knowledge=knowledge, ci_test=DSeparation(dag)
    )
    assert _edge_set(result.edges, observed) == {
        "a -> c",
        "b -> c",
        "c -> d",
        "d <-> e",
        "e <- f",
    }
    assert result.graph == CausalGraph("a -> c; b -> c; c -> d; d <-> e; f -> e")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_fci_never_violates_knowledge(random_dag: Any, random_knowledge: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dag = random_dag(rng, int(rng.integers(2, 8)), float(rng.uniform(0.1, 0.7)))
    knowledge = random_knowledge(rng, dag, bool(rng.random() < 0.5))
    nodes = list(dag.nodes)
    result = discover(
        _placeholder(nodes), method="fci", knowledge=knowledge, ci_test=DSeparation(dag)
    )
    assert knowledge.is_satisfied_by(result.edges), (result.edges, knowledge)
    adjacent = {frozenset(e.nodes) for e in result.edges}
    for a, b in itertools.permutations(nodes, 2):
        if not knowledge.allows_adjacency(a, b):
            assert frozenset((a, b)) not in adjacent


def test_fci_with_true_knowledge_and_an_oracle_stays_sound(
    random_dag: Any, random_knowledge: Any
) -> None:
    rng = np.random.default_rng(17)
    for _ in range(40):
        dag, observed = _with_latents(random_dag, rng)
        sub = random_knowledge(rng, dag, True)
        keep = set(observed)
        # PAG edges are ancestral, so FCI reads a forbidden a -> b as "a does not cause b at all":
        # knowledge true of the DAG keeps only the forbidden pairs that are not ancestral
        knowledge = Knowledge(
            required=[e for e in sub.required if set(e) <= keep],
            forbidden=[
                (a, b) for a, b in sub.forbidden if {a, b} <= keep and a not in dag.ancestors(b)
            ],
            tiers=[[n for n in t if n in keep] for t in sub.tiers],
        )
        result = discover(
            _placeholder(observed), method="fci", knowledge=knowledge, ci_test=DSeparation(dag)
        )
        mag = _true_mag(dag, observed)
        for edge in result.edges:
            e = edge.canonical(observed)
            assert frozenset(e.nodes) in mag
            for got, want in zip((e.mark_a, e.mark_b), mag[frozenset(e.nodes)], strict=True):
                assert got in ("circle", want), (edge, dag, observed, knowledge)


def test_fci_on_data_with_a_hidden_confounder() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    a, c, hidden = rng.normal(size=(3, n))
    b = a + hidden + rng.normal(size=n)
    d = c + hidden + rng.normal(size=n)
    data = pd.DataFrame({"a": a, "b": b, "c": c, "d": d})
    result = discover(data, method="fci", alpha=0.01)
    assert _edge_set(result.edges, list(data.columns)) == {"a o-> b", "b <-> d", "c o-> d"}
    with pytest.raises(TypeError, match="possible_dsep"):
        discover(data, method="fci", possible_dsep="yes")
