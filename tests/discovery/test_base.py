"""Edges, prior knowledge, results, finalize_weighted and discover()'s input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.discovery import DiscoveryResult, Edge, Knowledge, available_methods, discover
from deepcausal.discovery._result import finalize_weighted
from deepcausal.errors import DataError, KnowledgeError

# ----------------------------------------------------------------------------------- Edge


@pytest.mark.parametrize(
    ("marks", "text"),
    [
        (("tail", "arrow"), "a -> b"),
        (("arrow", "arrow"), "a <-> b"),
        (("tail", "tail"), "a --- b"),
        (("circle", "arrow"), "a o-> b"),
        (("circle", "circle"), "a o-o b"),
        (("arrow", "tail"), "a <- b"),
    ],
)
def test_edge_text_round_trip(marks: tuple[str, str], text: str) -> None:
    edge = Edge("a", "b", *marks)  # type: ignore[arg-type]
    assert str(edge) == text
    assert Edge.parse(text) == edge


def test_edge_rejects_bad_marks_and_self_loops() -> None:
    with pytest.raises(ValueError, match="unknown edge mark 'head'"):
        Edge("a", "b", "tail", "head")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two different nodes"):
        Edge("a", "a", "tail", "arrow")
    with pytest.raises(ValueError, match="cannot read 'a => b'"):
        Edge.parse("a => b")


def test_edge_helpers() -> None:
    edge = Edge("b", "a", "arrow", "tail")
    assert edge.is_directed and not edge.is_bidirected and not edge.is_undirected
    assert edge.reversed() == Edge("a", "b", "tail", "arrow")
    assert edge.canonical() == Edge("a", "b", "tail", "arrow")
    assert edge.mark_at("b") == "arrow"
    with pytest.raises(ValueError, match="not on the edge"):
        edge.mark_at("c")


# ------------------------------------------------------------------------------ Knowledge


def test_knowledge_masks_include_tiers_explicit_and_diagonal() -> None:
    k = Knowledge(forbidden=["c -> b"], tiers=[["a"], ["b", "c"]], required=[("a", "b")])
    columns = ["a", "b", "c"]
    forbidden = k.forbidden_mask(columns)
    expected = np.array(
        [
            [True, False, False],
            [True, True, False],  # b -> a forbidden by the tiers
            [True, True, True],  # c -> a by the tiers, c -> b explicitly
        ]
    )
    np.testing.assert_array_equal(forbidden, expected)
    np.testing.assert_array_equal(
        k.required_mask(columns), np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=bool)
    )
    assert k.allows("b", "c") and not k.allows("c", "b") and not k.allows("b", "a")
    assert k.allows_adjacency("b", "c") and not k.allows_adjacency("a", "a")
    assert k.requires("a", "b") and not k.is_empty and Knowledge().is_empty


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"required": ["a -> b", "b -> c", "c -> a"]}, "cycle: a -> b -> c -> a"),
        ({"required": ["a -> b"], "forbidden": [("a", "b")]}, "both required and forbidden"),
        ({"required": ["b -> a"], "tiers": [["a"], ["b"]]}, "tier 1 back to the earlier tier 0"),
        ({"tiers": [["a", "b"], ["b"]]}, "'b' is in two tiers"),
        ({"required": ["a -> "]}, "required edge 'a -> ' is malformed"),
        ({"forbidden": [("a", "b", "c")]}, "forbidden edge .* is malformed"),
        ({"forbidden": ["a -> a"]}, "self loop"),
        ({"required": "a -> b"}, "not a single string"),
        ({"tiers": ["ab"]}, "tier 0"),
        ({"tiers": [[1, 2]]}, "not a node name"),
    ],
)
def test_knowledge_refuses_contradictions_and_malformed_entries(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(KnowledgeError, match=message):
        Knowledge(**kwargs)  # type: ignore[arg-type]


def test_knowledge_validate_names_unknown_nodes() -> None:
    with pytest.raises(KnowledgeError, match=r"unknown node\(s\) \['q'\]"):
        Knowledge(required=["a -> q"]).validate(["a", "b"])
    with pytest.raises(KnowledgeError, match="unknown node"):
        discover(
            pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 2.0]}),
            knowledge=Knowledge(tiers=[["zz"]]),
        )


def test_knowledge_is_satisfied_by() -> None:
    k = Knowledge(required=["a -> b"], forbidden=["c -> b"])
    assert k.is_satisfied_by([Edge("a", "b", "tail", "arrow"), Edge("b", "c", "tail", "arrow")])
    assert not k.is_satisfied_by([Edge("b", "a", "tail", "arrow")])  # required edge reversed
    assert not k.is_satisfied_by([Edge("a", "b", "tail", "tail")])  # required edge undirected
    # a forbidden direction must not be readable in the edge
    with_a_b = Edge("a", "b", "tail", "arrow")
    assert not k.is_satisfied_by([with_a_b, Edge("c", "b", "tail", "arrow")])
    assert not k.is_satisfied_by([with_a_b, Edge("c", "b", "tail", "tail")])
    assert not k.is_satisfied_by([with_a_b, Edge("c", "b", "circle", "arrow")])
    assert k.is_satisfied_by([with_a_b, Edge("c", "b", "arrow", "arrow")])
    assert k.is_satisfied_by([with_a_b, Edge("c", "b", "arrow", "circle")])


def test_knowledge_equality_and_repr() -> None:
    a = Knowledge(required=["a -> b"], tiers=[["a"], ["b"]])
    b = Knowledge(required=[("a", "b")], tiers=[["a"], ["b"]])
    assert a == b and hash(a) == hash(b)
    assert "a -> b" in repr(a)


# ---------------------------------------------------------------------- finalize_weighted


def test_finalize_weighted_thresholds_keeps_required_and_breaks_cycles() -> None:
    W = np.array(
        [
            [0.0, 0.9, 0.0, 0.01],
            [0.0, 0.0, 0.8, 0.0],
            [0.3, 0.0, 0.0, 0.0],  # c -> a closes the cycle a -> b -> c -> a; weakest edge
            [0.0, 0.0, 0.0, 0.0],
        ]
    )
    k = Knowledge(required=["a -> d"])
    result = finalize_weighted(
        W, list("abcd"), method="demo", threshold=0.1, knowledge=k, diagnostics={"loss": 1.5}
    )
    assert {str(e) for e in result.edges} == {"a -> b", "b -> c", "a -> d"}
    assert result.n_cycles_broken == 1 and result.diagnostics["n_cycles_broken"] == 1
    assert result.graph is not None and result.graph.is_dag
    assert result.adjacency.loc["a", "d"] == pytest.approx(0.01)  # required, below threshold
    assert "loss: 1.5" in result.summary()


def test_finalize_weighted_never_removes_required_edges_on_cycles() -> None:
    W = np.array([[0.0, 0.1], [5.0, 0.0]])
    result = finalize_weighted(
        W,
        ["a", "b"],
        method="demo",
        threshold=0.0,
        knowledge=Knowledge(required=["a -> b"]),
        diagnostics={},
    )
    assert [str(e) for e in result.edges] == ["a -> b"]


def test_finalize_weighted_refuses_weight_on_forbidden_entries() -> None:
    W = np.array([[0.0, 0.5], [0.0, 0.0]])
    with pytest.raises(AssertionError, match="forbidden edge"):
        finalize_weighted(
            W,
            ["a", "b"],
            method="demo",
            threshold=0.1,
            knowledge=Knowledge(forbidden=["a -> b"]),
            diagnostics={},
        )
    with pytest.raises(ValueError, match="shape"):
        finalize_weighted(
            np.zeros((3, 3)),
            ["a", "b"],
            method="demo",
            threshold=0.1,
            knowledge=None,
            diagnostics={},
        )


def test_result_to_dot_marks() -> None:
    edges = [Edge("a", "b", "circle", "arrow"), Edge("b", "c", "arrow", "arrow")]
    result = DiscoveryResult(
        method="fci",
        adjacency=pd.DataFrame(np.zeros((3, 3)), index=list("abc"), columns=list("abc")),
        edges=edges,
        graph=None,
    )
    dot = result.to_dot()
    assert '"a" -> "b" [dir=both, arrowtail=odot, arrowhead=normal];' in dot
    assert '"b" -> "c" [dir=both, arrowtail=normal, arrowhead=normal];' in dot
    assert "1 '<->'" in result.summary() and "1 'o->'" in result.summary()


# -------------------------------------------------------------------------------- discover


def test_discover_checks_its_input() -> None:
    good = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 3.0]})
    with pytest.raises(ValueError, match=r"unknown discovery method 'magic'.*pc, fci, notears"):
        discover(good, method="magic")
    with pytest.raises(DataError, match=r"'b' \(2\)"):
        discover(good.assign(b=[np.nan, np.inf, 1.0]))
    with pytest.raises(DataError, match="at least 2 variables"):
        discover(good[["a"]])
    with pytest.raises(DataError, match="at least 2 rows"):
        discover(good.iloc[:1])
    with pytest.raises(DataError, match="non-numeric"):
        discover(good.assign(b=["x", "y", "z"]))
    with pytest.raises(DataError, match="2-d"):
        discover(np.zeros(5))
    with pytest.raises(ValueError, match="bogus"):
        discover(good, method="pc", bogus=1)
    with pytest.raises(ValueError, match="alpha"):
        discover(good, method="pc", alpha=1.5)
    with pytest.raises(ValueError, match="max_cond_size"):
        discover(good, method="pc", max_cond_size=-1)


def test_discover_names_array_columns_and_times_the_run() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    result = discover(x, method="pc")
    assert result.nodes == ("x0", "x1", "x2")
    assert result.wall_time > 0
    assert set(available_methods()) >= {"pc", "fci"}


def test_an_equivalence_class_is_the_answer_and_a_dag_an_explicit_choice() -> None:
    import networkx as nx

    from deepcausal.errors import CapabilityError

    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    y = x + rng.normal(size=2000)
    z = y + rng.normal(size=2000)
    chain = discover(pd.DataFrame({"x": x, "y": y, "z": z}), method="pc")
    assert not chain.is_oriented and chain.graph is None  # x --- y --- z: nothing decided
    dag = chain.to_dag()  # one member, on request
    assert dag.is_dag and len(dag.directed_edges) == 2
    g = chain.to_networkx()
    assert isinstance(g, nx.DiGraph) and g.number_of_edges() == 2
    assert {(d["mark_a"], d["mark_b"]) for _, _, d in g.edges(data=True)} == {("tail", "tail")}
    fci = discover(pd.DataFrame({"x": x, "y": y, "z": z}), method="fci")
    assert fci.graph is None
    with pytest.raises(CapabilityError, match="PAG with circle marks"):
        fci.to_dag()
