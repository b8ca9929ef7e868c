"""Graphs on disk: read and write DOT, GML, JSON and edge-list files, and the folder ``discover`` writes.

Formats, chosen by the file's extension:

- ``.dot`` / ``.gv``: Graphviz. ``a -> b`` is directed; an edge drawn with arrowheads at both ends
  (``dir=both``, as :meth:`CausalGraph.to_dot` writes a bidirected edge) is bidirected; the
  ``arrowtail``/``arrowhead`` marks written by ``deepcausal discover`` are read back as marks.
- ``.gml``: a directed GML graph (edges with ``bidirected 1`` are bidirected).
- ``.json``: ``{"nodes": [...], "directed": [[a, b], ...], "bidirected": [[a, b], ...]}`` (what
  :func:`write_graph` writes), networkx node-link data, or a bare list of ``[a, b]`` pairs.
- ``.csv``: an edge list with columns ``a,b`` (or ``source,target``), and optionally
  ``mark_a,mark_b`` (tail, arrow or circle), as in the ``edges.csv`` of ``deepcausal discover``.
- ``.txt``: the compact graph notation ``"Z -> X; X -> Y"``.
- a folder: the output of ``deepcausal discover --out`` (its ``graph.dot``, else ``edges.csv``).

A causal graph has only directed and bidirected edges. An equivalence class (a CPDAG from PC, a PAG
from FCI) leaves some edges unoriented; reading one is refused with the list of those edges, so that
no orientation the data did not decide is picked silently.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

from deepcausal._atomic import atomic_write_text
from deepcausal.errors import GraphError
from deepcausal.graph._graph import CausalGraph

__all__ = ["GRAPH_FORMATS", "as_graph", "read_graph", "write_graph"]

#: File extensions :func:`read_graph` and :func:`write_graph` understand.
GRAPH_FORMATS = (".dot", ".gv", ".gml", ".json", ".csv", ".txt")

#: A marked edge (a, b, mark at a, mark at b); marks are "tail", "arrow" or "circle".
Marked = tuple[str, str, str, str]


def as_graph(spec: CausalGraph | str | os.PathLike[str]) -> CausalGraph:
    """A :class:`CausalGraph` from a graph, a graph string, or the path of a graph file or folder.

    A string is read as a path when it names an existing file or folder, or ends with one of
    :data:`GRAPH_FORMATS` and has no arrow; otherwise it is the compact notation ``"A -> B; ..."``.

    >>> as_graph("Z -> X; X -> Y").directed_edges
    (('Z', 'X'), ('X', 'Y'))
    """
    if isinstance(spec, CausalGraph):
        return spec
    if isinstance(spec, os.PathLike):
        return read_graph(spec)
    if not isinstance(spec, str):
        raise GraphError(
            f"a graph must be a CausalGraph, a graph string or a file path, got {type(spec).__name__}"
        )
    text = spec.strip()
    if not text or "->" in text or "<-" in text or "\n" in text:
        return CausalGraph(spec)  # graph text (a file name has no arrow)
    looks_like_path = Path(text).suffix.lower() in GRAPH_FORMATS or os.sep in text
    try:
        exists = Path(text).exists()
    except OSError:  # a name too long to be a file
        exists = False
    return read_graph(text) if exists or looks_like_path else CausalGraph(spec)


def read_graph(path: str | os.PathLike[str]) -> CausalGraph:
    """Read a causal graph from a file or a ``deepcausal discover`` output folder (see module doc).

    Raises:
        GraphError: When the file is missing, of an unknown format, malformed, or holds edges that
            are not oriented (a CPDAG's ``a --- b``, a PAG's circle marks).
    """
    file = Path(path)
    if file.is_dir():
        for name in ("graph.dot", "edges.csv"):
            if (file / name).is_file():
                return read_graph(file / name)
        raise GraphError(
            f"folder {file} holds no graph.dot or edges.csv (the files `deepcausal discover --out` "
            "writes)"
        )
    if not file.is_file():
        raise GraphError(f"no such graph file: {file}")
    suffix = file.suffix.lower()
    if suffix not in GRAPH_FORMATS:
        raise GraphError(
            f"cannot tell the format of graph file {file} from its extension {suffix or '(none)'}; "
            f"use one of {', '.join(GRAPH_FORMATS)}"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphError(f"cannot read graph file {file}: {exc}") from None
    reader = {".dot": _parse_dot, ".gv": _parse_dot, ".json": _parse_json, ".csv": _parse_csv}
    try:  # every fault, a cycle included, is reported with the file it is in
        if suffix == ".txt":
            return CausalGraph(text)
        if suffix == ".gml":
            return _from_gml(file)
        return _to_graph(*reader[suffix](text))
    except GraphError as exc:
        raise GraphError(f"{file}: {exc}") from None


def write_graph(graph: CausalGraph, path: str | os.PathLike[str]) -> Path:
    """Write ``graph`` atomically in the format its extension names (``.json``, ``.dot``, ``.gv``,
    ``.gml``, ``.csv`` or ``.txt``); :func:`read_graph` reads it back unchanged."""
    if not isinstance(graph, CausalGraph):
        raise GraphError(f"write_graph needs a CausalGraph, got {type(graph).__name__}")
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".json":
        content = {
            "nodes": list(graph.nodes),
            "directed": [list(e) for e in graph.directed_edges],
            "bidirected": [list(e) for e in graph.bidirected_edges],
        }
        text = json.dumps(content, indent=2) + "\n"
    elif suffix in (".dot", ".gv"):
        text = graph.to_dot() + "\n"
    elif suffix == ".txt":
        text = graph.to_string() + "\n"
    elif suffix == ".csv":
        rows = [["a", "b", "mark_a", "mark_b"]]
        rows += [[a, b, "tail", "arrow"] for a, b in graph.directed_edges]
        rows += [[a, b, "arrow", "arrow"] for a, b in graph.bidirected_edges]
        text = "".join(",".join(_csv_cell(c) for c in row) + "\n" for row in rows)
    elif suffix == ".gml":
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(graph.nodes)
        g.add_edges_from(graph.directed_edges, bidirected=0)
        g.add_edges_from(graph.bidirected_edges, bidirected=1)
        text = "\n".join(nx.generate_gml(g)) + "\n"
    else:
        raise GraphError(
            f"cannot write graph file {file}: unknown extension {suffix or '(none)'}; use one of "
            f"{', '.join(GRAPH_FORMATS)}"
        )
    atomic_write_text(file, text)
    return file


# ---------------------------------------------------------------------------- marks to a graph


def _to_graph(nodes: list[str], marked: list[Marked]) -> CausalGraph:
    directed: list[tuple[str, str]] = []
    bidirected: list[tuple[str, str]] = []
    unoriented: list[str] = []
    for a, b, mark_a, mark_b in marked:
        if (mark_a, mark_b) == ("tail", "arrow"):
            directed.append((a, b))
        elif (mark_a, mark_b) == ("arrow", "tail"):
            directed.append((b, a))
        elif (mark_a, mark_b) == ("arrow", "arrow"):
            bidirected.append((a, b))
        else:
            symbol = {"tail": "-", "arrow": "<", "circle": "o"}[mark_a] + "-"
            symbol += {"tail": "-", "arrow": ">", "circle": "o"}[mark_b]
            unoriented.append(f"{a} {symbol} {b}")
    if unoriented:
        shown = ", ".join(unoriented[:8]) + (" ..." if len(unoriented) > 8 else "")
        raise GraphError(
            f"{len(unoriented)} edge(s) the data did not orient ({shown}): it is an "
            "equivalence class (a CPDAG or PAG), not one causal graph. Orient them with prior "
            "knowledge (discover --require 'A -> B' or --tiers), or give a DAG"
        )
    names = list(nodes)
    for a, b, _, _ in marked:
        for end in (a, b):
            if end not in names:
                names.append(end)
    return CausalGraph(nodes=names, directed=directed, bidirected=bidirected)


_MARKS = {
    "tail": "tail",
    "arrow": "arrow",
    "circle": "circle",
    "-": "tail",
    ">": "arrow",
    "o": "circle",
}


def _mark(value: str, column: str) -> str:
    mark = _MARKS.get(value.strip().lower())
    if mark is None:
        raise GraphError(f"{column} {value!r} is not a mark; use tail, arrow or circle")
    return mark


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\n') else text


def _parse_csv(text: str) -> tuple[list[str], list[Marked]]:
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise GraphError("the edge list is empty; it needs a header a,b (or source,target)")
    header = [h.strip().lower() for h in rows[0]]
    for first, second in (("a", "b"), ("source", "target"), ("from", "to")):
        if first in header and second in header:
            ia, ib = header.index(first), header.index(second)
            break
    else:
        raise GraphError(f"the edge list's header {rows[0]} has no columns a,b or source,target")
    ma = header.index("mark_a") if "mark_a" in header else None
    mb = header.index("mark_b") if "mark_b" in header else None
    marked: list[Marked] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise GraphError(f"line {line} has {len(row)} cells, the header {len(header)}")
        a, b = row[ia].strip(), row[ib].strip()
        if not a or not b:
            raise GraphError(f"line {line} has an empty node name")
        mark_a = "tail" if ma is None else _mark(row[ma], "mark_a")
        mark_b = "arrow" if mb is None else _mark(row[mb], "mark_b")
        marked.append((a, b, mark_a, mark_b))
    return [], marked


def _parse_json(text: str) -> tuple[list[str], list[Marked]]:
    try:
        content: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GraphError(f"not valid JSON: {exc}") from None
    if isinstance(content, list):
        content = {"edges": content}
    if not isinstance(content, dict):
        raise GraphError("a JSON graph is an object with nodes and edges, or a list of edges")
    if content.get("directed") is False:
        raise GraphError("the node-link graph says directed: false; a causal graph is directed")
    if isinstance(content.get("directed"), bool):  # networkx node-link data
        content = {k: v for k, v in content.items() if k != "directed"}
    for key in ("nodes", "directed", "bidirected", "edges", "links"):
        if not isinstance(content.get(key, []), list):
            raise GraphError(f"{key!r} must be a list, got {type(content[key]).__name__}")
    nodes = [_node_name(n) for n in content.get("nodes", [])]
    marked: list[Marked] = []
    for key, marks in (("directed", ("tail", "arrow")), ("bidirected", ("arrow", "arrow"))):
        for edge in content.get(key, []):
            a, b = _pair(edge, key)
            marked.append((a, b, *marks))
    for edge in content.get("edges", content.get("links", [])):
        a, b = _pair(edge, "edges")
        bidirected = isinstance(edge, dict) and bool(edge.get("bidirected", False))
        marked.append((a, b, "arrow" if bidirected else "tail", "arrow"))
    if not nodes and not marked:
        raise GraphError("the JSON graph has no nodes and no edges")
    return nodes, marked


def _node_name(node: Any) -> str:
    name = node.get("id") if isinstance(node, dict) else node
    if not isinstance(name, str | int) or name == "":
        raise GraphError(f"a node must be a name (or {{'id': name}}), got {node!r}")
    return str(name)


def _pair(edge: Any, key: str) -> tuple[str, str]:
    if isinstance(edge, dict) and "source" in edge and "target" in edge:
        edge = (edge["source"], edge["target"])
    if not isinstance(edge, list | tuple) or len(edge) != 2:
        raise GraphError(
            f"an entry of {key!r} must be a pair [a, b] or {{source, target}}: {edge!r}"
        )
    return _node_name(edge[0]), _node_name(edge[1])


def _from_gml(file: Path) -> CausalGraph:
    import networkx as nx

    try:
        try:
            g = nx.read_gml(file, label="label")
        except nx.NetworkXError:
            g = nx.read_gml(file, label="id")
    except (nx.NetworkXError, ValueError, OSError) as exc:
        raise GraphError(f"cannot read it as GML: {exc}") from None
    if not g.is_directed():
        raise GraphError("the GML graph is undirected; a causal graph needs 'directed 1'")
    marked: list[Marked] = [
        (str(a), str(b), "arrow" if attrs.get("bidirected") else "tail", "arrow")
        for a, b, attrs in g.edges(data=True)
    ]
    return _to_graph([str(n) for n in g.nodes], marked)


# ---------------------------------------------------------------------------- a small DOT reader

_DOT_TOKEN = re.compile(
    r'\s*(?:(?P<arrow>->|--)|(?P<punct>[{}\[\]=;,:])|"(?P<quoted>(?:[^"\\]|\\.)*)"'
    r"|(?P<id>[A-Za-z_\x80-\uffff][\w\x80-\uffff.]*|-?(?:\.\d+|\d+(?:\.\d*)?)))"
)
_DOT_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|^\s*#[^\n]*", re.S | re.M)
_DOT_MARK = {"none": "tail", "odot": "circle", "dot": "tail"}


def _dot_tokens(text: str) -> list[tuple[str, str]]:
    text = _DOT_COMMENT.sub(" ", text)
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _DOT_TOKEN.match(text, pos)
        if match is None:
            at = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise GraphError(f"unexpected character {text[at]!r} in DOT at offset {at}")
        pos = match.end()
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "quoted":
            value = value.replace('\\"', '"').replace("\\\\", "\\")
        tokens.append(("id" if kind == "quoted" else kind, value))
    return tokens


def _parse_dot(text: str) -> tuple[list[str], list[Marked]]:
    tokens = _dot_tokens(text)
    i = 0
    if i < len(tokens) and tokens[i] == ("id", "strict"):
        i += 1
    if i >= len(tokens) or tokens[i][0] != "id" or tokens[i][1].lower() not in ("digraph", "graph"):
        raise GraphError("a DOT file starts with 'digraph NAME {'")
    if tokens[i][1].lower() == "graph":
        raise GraphError("an undirected DOT 'graph' is not a causal graph; write a 'digraph'")
    i += 1
    if i < len(tokens) and tokens[i][0] == "id":
        i += 1
    if i >= len(tokens) or tokens[i] != ("punct", "{"):
        raise GraphError("expected '{' after 'digraph NAME'")
    nodes: dict[str, None] = {}
    marked: list[Marked] = []
    statement: list[tuple[str, str]] = []
    for token in tokens[i + 1 :]:
        if token in (("punct", ";"), ("punct", "{"), ("punct", "}")):
            _dot_statement(statement, nodes, marked)
            statement = []
        else:
            statement.append(token)
    _dot_statement(statement, nodes, marked)
    return list(nodes), marked


def _dot_statement(
    tokens: list[tuple[str, str]], nodes: dict[str, None], marked: list[Marked]
) -> None:
    if not tokens:
        return
    if "[" in (t[1] for t in tokens if t[0] == "punct"):
        cut = tokens.index(("punct", "["))
        head, attrs = tokens[:cut], _dot_attrs(tokens[cut:])
    else:
        head, attrs = tokens, {}
    if head and head[0][0] == "id" and head[0][1] in ("graph", "node", "edge", "subgraph"):
        return  # default attributes and subgraph headers carry no nodes or edges
    if len(head) == 3 and head[1] == ("punct", "="):
        return  # a graph attribute such as rankdir=LR
    names: list[str] = []
    expect_name = True
    for kind, value in head:
        if kind == "id" and expect_name:
            names.append(value)
            expect_name = False
        elif kind == "arrow" and not expect_name:
            if value == "--":
                raise GraphError("'--' is an undirected edge; a causal graph uses '->'")
            expect_name = True
        else:
            raise GraphError(f"cannot read the DOT statement {' '.join(v for _, v in head)!r}")
    if expect_name and names:
        raise GraphError(f"the DOT edge {' '.join(v for _, v in head)!r} ends with an arrow")
    for name in names:
        nodes.setdefault(name, None)
    direction = attrs.get("dir", "forward").lower()
    head_mark = _DOT_MARK.get(attrs.get("arrowhead", "normal").lower(), "arrow")
    tail_mark = _DOT_MARK.get(attrs.get("arrowtail", "normal").lower(), "arrow")
    if direction == "forward":
        marks = ("tail", "arrow")
    elif direction == "back":
        marks = ("arrow", "tail")
    elif direction == "both":
        marks = (tail_mark, head_mark)
    else:
        marks = ("tail", "tail")
    for a, b in itertools.pairwise(names):
        marked.append((a, b, *marks))


def _dot_attrs(tokens: list[tuple[str, str]]) -> dict[str, str]:
    """``key=value`` pairs of an attribute list ``[a=b, c=d]`` (keys lower-cased)."""
    return {
        key[1].lower(): value[1]
        for key, eq, value in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if key[0] == "id" and eq == ("punct", "=") and value[0] == "id"
    }
