"""CausalGraph: construction, parsing errors, relations, surgery and exports."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from deepcausal.errors import GraphError
from deepcausal.graph import CausalGraph


def test_string_and_keyword_constructors_agree() -> None:
    g1 = CausalGraph("Z -> X; X -> Y; X <-> Y; W")
    g2 = CausalGraph(
        nodes=["Z", "X", "Y", "W"], directed=[("Z", "X"), ("X", "Y")], bidirected=[("Y", "X")]
    )
    assert g1 == g2
    assert hash(g1) == hash(g2)
    assert g1.nodes == ("Z", "X", "Y", "W")
    assert g1.directed_edges == (("Z", "X"), ("X", "Y"))
    assert g1.bidirected_edges == (("X", "Y"),)
    assert not g1.is_dag


def test_reverse_arrows_chains_newlines_and_quotes() -> None:
    g = CausalGraph('Y <- X <- Z\n"blood pressure" -> Y, A')
    assert set(g.directed_edges) == {("X", "Y"), ("Z", "X"), ("blood pressure", "Y")}
    assert "A" in g
    assert CausalGraph(g.to_string()) == g
    assert repr(g).startswith("CausalGraph(")


def test_relations() -> None:
    g = CausalGraph("A -> B; B -> C; A -> C; C -> D; B <-> D; E")
    assert g.parents("C") == ("A", "B")
    assert g.children("A") == ("B", "C")
    assert g.spouses("D") == ("B",)
    assert g.ancestors("D") == {"A", "B", "C"}
    assert g.ancestors(["C", "B"], inclusive=True) == {"A", "B", "C"}
    assert g.descendants("B") == {"C", "D"}
    assert g.topological_order() == ("A", "B", "C", "D", "E")
    assert g.c_components() == [
        frozenset({"A"}),
        frozenset({"B", "D"}),
        frozenset({"C"}),
        frozenset({"E"}),
    ]
    assert g.district("D") == {"B", "D"}


def test_surgery() -> None:
    g = CausalGraph("Z -> X; X -> Y; X <-> Y; Z -> Y")
    assert g.do("X") == CausalGraph("X -> Y; Z -> Y")
    assert g.cut_outgoing("X") == CausalGraph("Z -> X; Z -> Y; X <-> Y")
    assert g.subgraph(["X", "Y"]) == CausalGraph("X -> Y; X <-> Y")


def test_latent_projection_rules() -> None:
    g = CausalGraph("U -> A; U -> B; A -> L; L -> C; B <-> L2; L2 -> C")
    p = g.latent_projection(["A", "B", "C"])
    assert set(p.directed_edges) == {("A", "C")}
    assert {frozenset(e) for e in p.bidirected_edges} == {frozenset("AB"), frozenset("BC")}
    # a collider among the projected-out nodes does not create an edge
    assert CausalGraph("A -> L; B -> L").latent_projection(["A", "B"]) == CausalGraph(
        nodes=["A", "B"]
    )


def test_exports_round_trip() -> None:
    g = CausalGraph("Z -> X; X -> Y; X <-> Y")
    assert CausalGraph.from_networkx(g.to_networkx()) == g
    mat = g.adjacency_matrix()
    assert mat.tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    rebuilt = CausalGraph.from_adjacency(mat, g.nodes, bidirected=g.bidirected_edges)
    assert rebuilt == g
    assert g.adjacency_matrix(order=["Y", "X", "Z"])[1, 0] == 1
    dot = g.to_dot()
    assert '"X" -> "Y";' in dot and "dir=both" in dot


def test_from_networkx_with_bidirected_attribute() -> None:
    d = nx.DiGraph()
    d.add_edge("X", "Y")
    d.add_edge("X", "Z", bidirected=True)
    assert CausalGraph.from_networkx(d) == CausalGraph("X -> Y; X <-> Z")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("X -> Y; Y -> Z; Z -> X", "directed cycle: "),
        ("X -> X", "self loop on node 'X'"),
        ("X <-> X", "bidirected self loop"),
        ("Z -> X; -> Y", "position 8"),
        ("A -> B C", "between 'B' and 'C'"),
        ("A ->", "needs a node name on its right"),
        ("A -> -> B", "two arrows in a row"),
        ("A -- B", "undirected edges"),
        ("A -> B; $C", "unexpected character '$'"),
    ],
)
def test_bad_graph_strings(spec: str, message: str) -> None:
    with pytest.raises(GraphError, match=message.replace("$", r"\$")):
        CausalGraph(spec)


def test_cycle_is_printed() -> None:
    with pytest.raises(GraphError) as info:
        CausalGraph("A -> B; B -> C; C -> D; D -> B")
    text = str(info.value)
    cycle = text.split(": ", 1)[1].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"B", "C", "D"}


def test_bad_keyword_graphs() -> None:
    with pytest.raises(GraphError, match="unknown node 'Q'"):
        CausalGraph(nodes=["X", "Y"], directed=[("X", "Q")])
    with pytest.raises(GraphError, match="duplicate node names"):
        CausalGraph(nodes=["X", "X"])
    with pytest.raises(GraphError, match="must be a pair"):
        CausalGraph(directed=[("X", "Y", "Z")])  # type: ignore[list-item]
    with pytest.raises(GraphError, match="either a graph string"):
        CausalGraph("X -> Y", nodes=["X", "Y"])


def test_unknown_node_queries_name_the_culprit() -> None:
    g = CausalGraph("X -> Y")
    with pytest.raises(GraphError, match="unknown node 'W'"):
        g.parents("W")
    with pytest.raises(GraphError, match="unknown treatment 'T'"):
        g.backdoor_adjustment_sets("T", "Y")
    with pytest.raises(GraphError, match="must be disjoint"):
        g.d_separated("X", "Y", "X")


def test_adjacency_order_must_cover_nodes() -> None:
    with pytest.raises(GraphError, match="missing"):
        CausalGraph("X -> Y; Z").adjacency_matrix(order=["X", "Y"])
    with pytest.raises(GraphError, match="does not match"):
        CausalGraph.from_adjacency(np.zeros((2, 3)), ["a", "b"])
