"""Graph files: DOT, GML, JSON, CSV edge lists, graph text and ``discover`` output folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.discovery import discover
from deepcausal.errors import GraphError
from deepcausal.graph import CausalGraph, as_graph, read_graph, write_graph

ADMG = CausalGraph("Z -> X; X -> M; M -> Y; X <-> Y; W")


@pytest.mark.parametrize("suffix", [".json", ".dot", ".gv", ".gml", ".csv", ".txt"])
def test_write_then_read_gives_the_same_graph(tmp_path: Path, suffix: str) -> None:
    file = write_graph(ADMG, tmp_path / f"g{suffix}")
    back = read_graph(file)
    assert back.directed_edges == ADMG.directed_edges
    assert back.bidirected_edges == ADMG.bidirected_edges
    if suffix != ".csv":  # an edge list cannot hold an isolated node
        assert set(back.nodes) == set(ADMG.nodes)


def test_names_with_spaces_and_quotes_survive_dot(tmp_path: Path) -> None:
    graph = CausalGraph(nodes=["age (y)", 'say "hi"'], directed=[("age (y)", 'say "hi"')])
    assert read_graph(write_graph(graph, tmp_path / "g.dot")) == graph


def test_hand_written_dot_with_comments_attributes_and_chains(tmp_path: Path) -> None:
    text = """
    // a comment
    digraph study {
      rankdir=LR; node [shape=box];
      /* block
         comment */
      A -> B -> C [color=red];
      D;
      subgraph cluster_0 { E -> C }
      A -> C [dir=both, style=dashed];
    }
    """
    (tmp_path / "g.dot").write_text(text)
    graph = read_graph(tmp_path / "g.dot")
    assert set(graph.directed_edges) == {("A", "B"), ("B", "C"), ("E", "C")}
    assert graph.bidirected_edges == (("A", "C"),)
    assert "D" in graph.nodes


def test_json_forms(tmp_path: Path) -> None:
    node_link = {
        "directed": True,
        "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "links": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}],
    }
    (tmp_path / "nl.json").write_text(json.dumps(node_link))
    assert read_graph(tmp_path / "nl.json").directed_edges == (("a", "b"), ("b", "c"))
    (tmp_path / "pairs.json").write_text(json.dumps([["a", "b"], ["c", "b"]]))
    assert set(read_graph(tmp_path / "pairs.json").directed_edges) == {("a", "b"), ("c", "b")}


def test_as_graph_tells_text_from_paths(tmp_path: Path) -> None:
    write_graph(ADMG, tmp_path / "g.json")
    assert as_graph(str(tmp_path / "g.json")) == ADMG
    assert as_graph(tmp_path / "g.json") == ADMG
    assert as_graph("A -> B").directed_edges == (("A", "B"),)
    assert as_graph(ADMG) is ADMG
    with pytest.raises(GraphError, match=r"no such graph file: missing\.dot"):
        as_graph("missing.dot")


def test_the_folder_discover_writes_feeds_a_graph(tmp_path: Path) -> None:
    from deepcausal.cli.main import main

    rng = np.random.default_rng(0)
    a = rng.normal(size=2000)
    b = rng.normal(size=2000)
    c = a + b + 0.5 * rng.normal(size=2000)
    pd.DataFrame({"a": a, "b": b, "c": c, "d": rng.normal(size=2000)}).to_csv(
        tmp_path / "data.csv", index=False
    )
    assert main(["discover", str(tmp_path / "data.csv"), "--out", str(tmp_path / "g")]) == 0
    graph = as_graph(str(tmp_path / "g"))  # a collider: PC orients every edge
    assert set(graph.directed_edges) == {("a", "c"), ("b", "c")}
    assert "d" in graph.nodes  # the isolated node travels too


def test_an_equivalence_class_is_refused_with_its_unoriented_edges(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    y = x + rng.normal(size=1000)
    result = discover(pd.DataFrame({"x": x, "y": y}), method="pc")
    (tmp_path / "cpdag.dot").write_text(result.to_dot())
    with pytest.raises(GraphError, match=r"1 edge\(s\) the data did not orient \(x --- y\)"):
        read_graph(tmp_path / "cpdag.dot")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("g.dot", "graph G { a -- b }", "undirected DOT 'graph'"),
        ("g.dot", "digraph G { a -> }", "ends with an arrow"),
        ("g.dot", "digraph G { a -- b }", "'--' is an undirected edge"),
        ("g.dot", "digraph G { a -> b; b -> a }", "cycle"),
        ("g.json", "{not json", "not valid JSON"),
        ("g.json", '{"edges": [["a"]]}', "must be a pair"),
        ("g.csv", "x,y\na,b\n", "no columns a,b"),
        ("g.csv", "a,b,mark_a,mark_b\nx,y,tail,wiggle\n", "'wiggle' is not a mark"),
        (
            "g.gml",
            'graph [ node [ id 0 label "a" ] node [ id 1 label "b" ] edge [ source 0 target 1 ] ]',
            "GML graph is undirected",
        ),
        ("g.yaml", "a: b", "cannot tell the format"),
    ],
)
def test_bad_graph_files_name_the_file_and_the_fault(
    tmp_path: Path, name: str, content: str, match: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(GraphError, match=match) as info:
        read_graph(tmp_path / name)
    assert str(tmp_path / name) in str(info.value)  # the message names the file


def test_a_folder_without_graph_files(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match=r"holds no graph\.dot or edges\.csv"):
        read_graph(tmp_path)


def test_long_graph_text_is_text_not_a_path() -> None:
    spec = "; ".join(f"x{k} -> t; x{k} -> y" for k in range(60)) + "; t -> y; lonely"
    assert len(as_graph(spec).nodes) == 63
    assert as_graph("lonely").nodes == ("lonely",)
