"""Discovery metrics on hand-checked examples: SHD, CPDAG-SHD, precision / recall, SID, CPDAG."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from deepcausal.discovery import Edge
from deepcausal.errors import GraphError
from deepcausal.graph import CausalGraph
from deepcausal.metrics._discovery import (
    edge_counts,
    f1,
    fdr,
    precision,
    recall,
    shd,
    sid,
    to_cpdag,
    tpr,
)

TRUTH = CausalGraph("a -> b; b -> c; a -> c; c -> d")


def test_shd_counts_missing_extra_and_reversed_once_each() -> None:
    assert shd(TRUTH, TRUTH) == 0
    # missing a -> c, extra b -> d, reversed c -> d
    estimate = CausalGraph("a -> b; b -> c; d -> c; b -> d")
    assert shd(TRUTH, estimate) == 3
    # an undirected or a circle-marked edge against a directed one counts 1
    edges = [Edge("a", "b", "tail", "tail"), Edge("b", "c", "circle", "arrow")]
    assert shd(CausalGraph("a -> b; b -> c"), edges) == 2
    # a bidirected edge is different from a directed one
    assert shd(CausalGraph("a -> b"), CausalGraph("a <-> b")) == 1


def test_shd_accepts_adjacency_arrays_and_dataframes() -> None:
    nodes = list(TRUTH.nodes)
    matrix = TRUTH.adjacency_matrix()
    assert shd(TRUTH, matrix) == 0
    assert shd(matrix, matrix.T) == 4
    undirected = matrix + matrix.T
    assert shd(matrix, undirected) == 4
    import pandas as pd

    frame = pd.DataFrame(matrix, index=nodes, columns=nodes)
    assert shd(TRUTH, frame) == 0
    with pytest.raises(GraphError, match=r"nodes=\[\.\.\.\]"):
        shd(TRUTH, np.zeros((3, 3)))


def test_cpdag_shd_ignores_reversals_inside_the_equivalence_class() -> None:
    chain = CausalGraph("a -> b; b -> c")
    assert shd(chain, CausalGraph("c -> b; b -> a")) == 2
    assert shd(chain, CausalGraph("c -> b; b -> a"), cpdag=True) == 0
    # a collider is a different class: the CPDAGs differ in both edges' marks
    assert shd(chain, CausalGraph("a -> b; c -> b"), cpdag=True) == 2
    # a CPDAG given as edges is compared as it is
    assert shd(chain, to_cpdag(chain), cpdag=True) == 0


def test_to_cpdag_on_classic_examples() -> None:
    assert [str(e) for e in to_cpdag(CausalGraph("a -> b; c -> b"))] == ["a -> b", "c -> b"]
    # the collider a -> c <- b propagates to c -> d by Meek's R1
    cpdag = {str(e) for e in to_cpdag(CausalGraph("a -> c; b -> c; c -> d; a -> e"))}
    assert cpdag == {"a -> c", "b -> c", "c -> d", "a --- e"}
    with pytest.raises(GraphError, match="needs a DAG"):
        to_cpdag([Edge("a", "b", "tail", "tail")])


def test_edge_metrics_by_hand() -> None:
    truth = CausalGraph("a -> b; b -> c")
    estimate = CausalGraph("a -> b; c -> b; a -> c")  # 1 right, 1 reversed, 1 extra
    counts = edge_counts(truth, estimate)
    assert counts == {"tp": 1, "fp": 2, "fn": 1, "reversed": 1, "n_true": 2, "n_est": 3}
    assert precision(truth, estimate) == pytest.approx(1 / 3)
    assert fdr(truth, estimate) == pytest.approx(2 / 3)
    assert recall(truth, estimate) == tpr(truth, estimate) == pytest.approx(1 / 2)
    assert f1(truth, estimate) == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    # skeleton variants ignore direction
    assert precision(truth, estimate, skeleton=True) == pytest.approx(2 / 3)
    assert recall(truth, estimate, skeleton=True) == 1.0
    # an undirected estimate counts as right when the adjacency is (gCastle's convention)
    assert precision(truth, [Edge("a", "b", "tail", "tail")]) == 1.0
    # empty graphs
    empty = CausalGraph(nodes=["a", "b", "c"])
    assert precision(truth, empty) == 1.0 and recall(truth, empty) == 0.0 and f1(truth, empty) == 0


def test_sid_hand_examples() -> None:
    truth = CausalGraph("a -> b")
    assert sid(truth, truth) == 0
    assert sid(truth, CausalGraph("b -> a")) == 2
    assert sid(truth, CausalGraph(nodes=["a", "b"])) == 1
    # Peters & Buehlmann (2015), Fig. 1 style: a -> b -> c with a -> c. Removing a -> b breaks the
    # adjustment for (b, c) (the back-door path b <- a -> c is no longer blocked by pa(b)) and the
    # effect of a on b
    g = CausalGraph("a -> b; b -> c; a -> c")
    h = CausalGraph("b -> c; a -> c; a -> b")
    assert sid(g, h) == 0
    assert (
        sid(
            g,
            CausalGraph(
                "b -> c; a -> c",
            ),
        )
        == 2
    )  # no a -> b: (a, b) and (b, c) wrong
    # SID is not symmetric: adding edges consistent with the causal order costs nothing
    sparse = CausalGraph("a -> b; b -> c")
    full = CausalGraph("a -> b; b -> c; a -> c")
    assert sid(sparse, full) == 0
    assert sid(full, sparse) > 0


def _random_dag(rng: np.random.Generator, d: int, p: float) -> CausalGraph:
    names = [f"v{i}" for i in range(d)]
    order = rng.permutation(d)
    edges = [
        (names[order[i]], names[order[j]])
        for i, j in itertools.combinations(range(d), 2)
        if rng.random() < p
    ]
    return CausalGraph(nodes=names, directed=edges)


def test_sid_is_zero_for_supergraphs_consistent_with_the_order() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        dag = _random_dag(rng, int(rng.integers(2, 8)), float(rng.uniform(0.1, 0.6)))
        order = dag.topological_order()
        full = CausalGraph(nodes=list(dag.nodes), directed=list(itertools.combinations(order, 2)))
        assert sid(dag, full) == 0
        assert sid(dag, dag) == 0
    with pytest.raises(GraphError, match="two DAGs"):
        sid(CausalGraph("a -> b"), [Edge("a", "b", "tail", "tail")])
