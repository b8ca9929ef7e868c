"""The causal graph type: a DAG, or an acyclic directed mixed graph (ADMG) whose bidirected edges stand
for latent common causes."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from deepcausal.errors import GraphError
from deepcausal.graph._parse import parse_graph

if TYPE_CHECKING:
    import networkx as nx

NodeSet = str | Iterable[str]


def _as_names(nodes: NodeSet) -> list[str]:
    if isinstance(nodes, str):
        return [nodes]
    try:
        return list(nodes)
    except TypeError:
        raise GraphError(f"node names must be strings (or a list of them), got {nodes!r}") from None


class CausalGraph:
    """An immutable causal graph with directed edges and bidirected (latent-confounder) edges.

    Args:
        spec: the compact notation, e.g. ``"Z -> X; X -> Y; X <-> Y; W"``: statements separated by ``;``
            (or ``,`` or new lines), chains allowed, ``<-`` accepted, a bare name declares an isolated node.
        nodes: node names (keyword form); edges may only use these.
        directed: directed edges ``(parent, child)`` (keyword form).
        bidirected: bidirected edges ``(a, b)`` (keyword form).

    Raises:
        GraphError: a malformed string (the message points at the token), a directed cycle (printed),
            a self loop, or an edge naming an undeclared node.

    Examples:
        >>> g = CausalGraph("Z -> X; X -> Y; Z -> Y; X <-> M; W")
        >>> g.parents("Y")
        ('Z', 'X')
        >>> [sorted(c) for c in g.c_components()]
        [['Z'], ['M', 'X'], ['Y'], ['W']]
    """

    __slots__ = (
        "_bidirected",
        "_children",
        "_directed",
        "_index",
        "_nodes",
        "_parents",
        "_spouses",
        "_topo",
    )

    def __init__(
        self,
        spec: str | None = None,
        *,
        nodes: Iterable[str] | None = None,
        directed: Iterable[tuple[str, str]] = (),
        bidirected: Iterable[tuple[str, str]] = (),
    ) -> None:
        if spec is not None:
            if nodes is not None or tuple(directed) or tuple(bidirected):
                raise GraphError(
                    "give either a graph string or nodes/directed/bidirected, not both"
                )
            node_list, dir_list, bi_list = parse_graph(spec)
        else:
            dir_list = [_edge(e, "directed") for e in directed]
            bi_list = [_edge(e, "bidirected") for e in bidirected]
            if nodes is None:
                seen: dict[str, None] = {}
                for a, b in [*dir_list, *bi_list]:
                    seen.setdefault(a, None)
                    seen.setdefault(b, None)
                node_list = list(seen)
            else:
                node_list = _as_names(nodes)
                for name in node_list:
                    if not isinstance(name, str) or not name:
                        raise GraphError(f"node names must be non-empty strings, got {name!r}")
                if len(set(node_list)) != len(node_list):
                    dupes = sorted({n for n in node_list if node_list.count(n) > 1})
                    raise GraphError(f"duplicate node names: {dupes}")
                known = set(node_list)
                for a, b in [*dir_list, *bi_list]:
                    for end in (a, b):
                        if end not in known:
                            raise GraphError(
                                f"edge ({a!r}, {b!r}) names unknown node {end!r}; "
                                f"declared nodes: {node_list}"
                            )
        self._nodes: tuple[str, ...] = tuple(node_list)
        self._index: dict[str, int] = {n: i for i, n in enumerate(self._nodes)}

        directed_set: dict[tuple[str, str], None] = {}
        for a, b in dir_list:
            if a == b:
                raise GraphError(f"self loop on node {a!r}: a variable cannot cause itself")
            directed_set.setdefault((a, b), None)
        bidirected_set: dict[tuple[str, str], None] = {}
        for a, b in bi_list:
            if a == b:
                raise GraphError(f"bidirected self loop on node {a!r}")
            pair = (a, b) if self._index[a] < self._index[b] else (b, a)
            bidirected_set.setdefault(pair, None)
        order = self._index.__getitem__
        self._directed: tuple[tuple[str, str], ...] = tuple(
            sorted(directed_set, key=lambda e: (order(e[0]), order(e[1])))
        )
        self._bidirected: tuple[tuple[str, str], ...] = tuple(
            sorted(bidirected_set, key=lambda e: (order(e[0]), order(e[1])))
        )

        parents: dict[str, list[str]] = {n: [] for n in self._nodes}
        children: dict[str, list[str]] = {n: [] for n in self._nodes}
        spouses: dict[str, list[str]] = {n: [] for n in self._nodes}
        for a, b in self._directed:
            children[a].append(b)
            parents[b].append(a)
        for a, b in self._bidirected:
            spouses[a].append(b)
            spouses[b].append(a)
        self._parents = {n: tuple(sorted(v, key=order)) for n, v in parents.items()}
        self._children = {n: tuple(sorted(v, key=order)) for n, v in children.items()}
        self._spouses = {n: tuple(sorted(v, key=order)) for n, v in spouses.items()}
        self._topo = self._toposort()

    # ------------------------------------------------------------------ construction helpers
    def _toposort(self) -> tuple[str, ...]:
        indegree = {n: len(self._parents[n]) for n in self._nodes}
        heap = [self._index[n] for n in self._nodes if indegree[n] == 0]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            node = self._nodes[heapq.heappop(heap)]
            order.append(node)
            for child in self._children[node]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(heap, self._index[child])
        if len(order) < len(self._nodes):
            cycle = self._find_cycle({n for n in self._nodes if indegree[n] > 0})
            raise GraphError("the graph has a directed cycle: " + " -> ".join([*cycle, cycle[0]]))
        return tuple(order)

    def _find_cycle(self, candidates: set[str]) -> list[str]:
        # Every node left after Kahn's algorithm has a parent that is also left: walk parents until a
        # node repeats.
        start = min(candidates, key=self._index.__getitem__)
        path: list[str] = []
        position: dict[str, int] = {}
        node = start
        while node not in position:
            position[node] = len(path)
            path.append(node)
            node = next(p for p in self._parents[node] if p in candidates)
        cycle = path[position[node] :]
        cycle.reverse()  # we walked against the arrows
        return cycle

    # ------------------------------------------------------------------ alternative constructors
    @classmethod
    def from_networkx(cls, graph: nx.DiGraph) -> CausalGraph:
        """Build from a ``networkx.DiGraph``.

        Directed edges are the graph's edges, except those with attribute ``bidirected=True``;
        bidirected edges may also be listed in ``graph.graph["bidirected"]``.
        """
        directed: list[tuple[str, str]] = []
        bidirected: list[tuple[str, str]] = [
            (str(a), str(b)) for a, b in graph.graph.get("bidirected", [])
        ]
        for a, b, attrs in graph.edges(data=True):
            (bidirected if attrs.get("bidirected", False) else directed).append((a, b))
        return cls(nodes=list(graph.nodes), directed=directed, bidirected=bidirected)

    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph`` of the directed edges; bidirected edges in ``.graph["bidirected"]``."""
        import networkx as nx

        g = nx.DiGraph(bidirected=list(self._bidirected))
        g.add_nodes_from(self._nodes)
        g.add_edges_from(self._directed)
        return g

    # ------------------------------------------------------------------ basic views
    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in declaration order."""
        return self._nodes

    @property
    def directed_edges(self) -> tuple[tuple[str, str], ...]:
        """Directed edges ``(parent, child)``."""
        return self._directed

    @property
    def bidirected_edges(self) -> tuple[tuple[str, str], ...]:
        """Bidirected edges ``(a, b)``, each listed once with ``a`` declared before ``b``."""
        return self._bidirected

    @property
    def is_dag(self) -> bool:
        """True when the graph has no bidirected edges."""
        return not self._bidirected

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CausalGraph):
            return NotImplemented
        return (
            set(self._nodes) == set(other._nodes)
            and set(self._directed) == set(other._directed)
            and {frozenset(e) for e in self._bidirected}
            == {frozenset(e) for e in other._bidirected}
        )

    def __hash__(self) -> int:
        return hash(
            (
                frozenset(self._nodes),
                frozenset(self._directed),
                frozenset(frozenset(e) for e in self._bidirected),
            )
        )

    def __repr__(self) -> str:
        return f"CausalGraph({self.to_string()!r})"

    def to_string(self) -> str:
        """The compact notation, parseable back into an equal graph."""
        parts = [f"{_quote(a)} -> {_quote(b)}" for a, b in self._directed]
        parts += [f"{_quote(a)} <-> {_quote(b)}" for a, b in self._bidirected]
        touched = {n for e in (*self._directed, *self._bidirected) for n in e}
        parts += [_quote(n) for n in self._nodes if n not in touched]
        return "; ".join(parts)

    def check_nodes(self, names: NodeSet, role: str = "node") -> tuple[str, ...]:
        """Return ``names`` as a tuple, raising ``GraphError`` if any is not a node of the graph."""
        listed = _as_names(names)
        for name in listed:
            if not isinstance(name, str):
                raise GraphError(f"{role} names must be strings, got {name!r}")
        unknown = [n for n in listed if n not in self._index]
        if unknown:
            known = (
                f"the graph's nodes are {', '.join(self._nodes)}"
                if self._nodes
                else "the graph is empty (no nodes)"
            )
            raise GraphError(f"unknown {role} {', '.join(map(repr, unknown))}; {known}")
        return tuple(listed)

    # ------------------------------------------------------------------ family relations
    def parents(self, node: str) -> tuple[str, ...]:
        """Parents of ``node``, in node order."""
        self.check_nodes(node)
        return self._parents[node]

    def children(self, node: str) -> tuple[str, ...]:
        """Children of ``node``, in node order."""
        self.check_nodes(node)
        return self._children[node]

    def spouses(self, node: str) -> tuple[str, ...]:
        """Nodes joined to ``node`` by a bidirected edge."""
        self.check_nodes(node)
        return self._spouses[node]

    def ancestors(self, nodes: NodeSet, inclusive: bool = False) -> frozenset[str]:
        """Nodes with a directed path into ``nodes`` (``inclusive`` adds ``nodes`` themselves)."""
        return self._reach(nodes, self._parents, inclusive)

    def descendants(self, nodes: NodeSet, inclusive: bool = False) -> frozenset[str]:
        """Nodes reachable from ``nodes`` by a directed path (``inclusive`` adds ``nodes``)."""
        return self._reach(nodes, self._children, inclusive)

    def _reach(
        self, nodes: NodeSet, step: dict[str, tuple[str, ...]], inclusive: bool
    ) -> frozenset[str]:
        start = self.check_nodes(nodes)
        seen: set[str] = set()
        stack = list(start)
        while stack:
            for nxt in step[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        if inclusive:
            seen.update(start)
        return frozenset(seen)

    def topological_order(self) -> tuple[str, ...]:
        """Nodes such that every parent comes before its children (ties broken by declaration order)."""
        return self._topo

    def c_components(self) -> list[frozenset[str]]:
        """Districts (c-components): connected components of the bidirected part (Tian & Pearl 2002).

        Ordered by the topological position of their first node.
        """
        parent = {n: n for n in self._nodes}

        def find(n: str) -> str:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        for a, b in self._bidirected:
            parent[find(a)] = find(b)
        groups: dict[str, list[str]] = {}
        for n in self._topo:
            groups.setdefault(find(n), []).append(n)
        return [frozenset(g) for g in groups.values()]

    def district(self, node: str) -> frozenset[str]:
        """The c-component containing ``node``."""
        self.check_nodes(node)
        return next(c for c in self.c_components() if node in c)

    # ------------------------------------------------------------------ graph surgery
    def subgraph(self, nodes: NodeSet) -> CausalGraph:
        """The induced subgraph on ``nodes`` (edges with both ends inside)."""
        keep = set(self.check_nodes(nodes))
        return CausalGraph(
            nodes=[n for n in self._nodes if n in keep],
            directed=[e for e in self._directed if e[0] in keep and e[1] in keep],
            bidirected=[e for e in self._bidirected if e[0] in keep and e[1] in keep],
        )

    def do(self, nodes: NodeSet) -> CausalGraph:
        """The mutilated graph of an intervention on ``nodes``: edges into them are cut.

        Incoming directed edges and bidirected edges at the intervened nodes are removed.
        """
        cut = set(self.check_nodes(nodes))
        return CausalGraph(
            nodes=self._nodes,
            directed=[e for e in self._directed if e[1] not in cut],
            bidirected=[e for e in self._bidirected if e[0] not in cut and e[1] not in cut],
        )

    def cut_outgoing(self, nodes: NodeSet) -> CausalGraph:
        """The graph with the directed edges out of ``nodes`` removed (bidirected edges kept)."""
        cut = set(self.check_nodes(nodes))
        return CausalGraph(
            nodes=self._nodes,
            directed=[e for e in self._directed if e[0] not in cut],
            bidirected=self._bidirected,
        )

    def latent_projection(self, keep: NodeSet) -> CausalGraph:
        """Project out every node not in ``keep`` (Verma & Pearl 1990; Tian & Pearl 2002).

        ``a -> b`` in the projection iff ``a -> ... -> b`` with every intermediate node projected out;
        ``a <-> b`` iff a path between them has arrowheads at both ends, only projected-out intermediate
        nodes, and no collider among them.

        >>> CausalGraph("X -> L; L -> Y; U -> X; U -> Y").latent_projection(["X", "Y"])
        CausalGraph('X -> Y; X <-> Y')
        """
        kept = set(self.check_nodes(keep))
        latent = set(self._nodes) - kept

        def latent_ancestors(node: str) -> set[str]:
            # node itself plus latents with a directed path into node through latents only
            found = {node}
            stack = [p for p in self._parents[node] if p in latent]
            while stack:
                v = stack.pop()
                if v not in found:
                    found.add(v)
                    stack.extend(p for p in self._parents[v] if p in latent)
            return found

        anc = {n: latent_ancestors(n) for n in kept}
        directed: list[tuple[str, str]] = []
        for b in self._nodes:
            if b not in kept:
                continue
            sources = {p for v in anc[b] for p in self._parents[v] if p in kept}
            directed.extend((a, b) for a in sources)
        bidirected: list[tuple[str, str]] = []
        ordered = [n for n in self._nodes if n in kept]
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                shared_latent = (anc[a] & anc[b]) - {a, b}
                joined = any(s in anc[b] for u in anc[a] for s in self._spouses[u])
                if shared_latent or joined:
                    bidirected.append((a, b))
        return CausalGraph(nodes=ordered, directed=directed, bidirected=bidirected)

    # ------------------------------------------------------------------ separation and adjustment
    def d_separated(self, xs: NodeSet, ys: NodeSet, given: NodeSet = ()) -> bool:
        """Whether ``xs`` and ``ys`` are m-separated (d-separated in a DAG) given ``given``.

        >>> g = CausalGraph("X -> Z; Z -> Y")
        >>> g.d_separated("X", "Y"), g.d_separated("X", "Y", "Z")
        (False, True)
        """
        from deepcausal.graph._separation import m_separated

        return m_separated(self, xs, ys, given)

    def backdoor_adjustment_sets(
        self, treatment: NodeSet, outcome: NodeSet, max_sets: int | None = None
    ) -> list[frozenset[str]]:
        """Minimal sets satisfying the back-door criterion, smallest first (Pearl 2009, Def. 3.3.1).

        An empty list means no valid back-door set exists.

        >>> CausalGraph("Z -> X; Z -> Y; X -> Y; W -> X").backdoor_adjustment_sets("X", "Y")
        [frozenset({'Z'})]
        """
        from deepcausal.graph._adjustment import backdoor_adjustment_sets

        return backdoor_adjustment_sets(self, treatment, outcome, max_sets)

    def satisfies_backdoor(self, treatment: NodeSet, outcome: NodeSet, adjustment: NodeSet) -> bool:
        """Whether ``adjustment`` satisfies the back-door criterion relative to (treatment, outcome)."""
        from deepcausal.graph._adjustment import satisfies_backdoor

        return satisfies_backdoor(self, treatment, outcome, adjustment)

    def satisfies_frontdoor(self, treatment: NodeSet, outcome: NodeSet, mediators: NodeSet) -> bool:
        """Whether ``mediators`` satisfies the front-door criterion (Pearl 2009, Def. 3.3.3)."""
        from deepcausal.graph._adjustment import satisfies_frontdoor

        return satisfies_frontdoor(self, treatment, outcome, mediators)

    # ------------------------------------------------------------------ exports
    def adjacency_matrix(self, order: Sequence[str] | None = None) -> np.ndarray:
        """Directed adjacency as an int array: ``A[i, j] = 1`` iff ``order[i] -> order[j]``."""
        names = self.check_nodes(order) if order is not None else self._nodes
        if order is not None and set(names) != set(self._nodes):
            missing = sorted(set(self._nodes) - set(names))
            raise GraphError(f"order must list every node once; missing {missing}")
        pos = {n: i for i, n in enumerate(names)}
        mat = np.zeros((len(names), len(names)), dtype=int)
        for a, b in self._directed:
            mat[pos[a], pos[b]] = 1
        return mat

    @classmethod
    def from_adjacency(
        cls, matrix: Any, nodes: Sequence[str], bidirected: Iterable[tuple[str, str]] = ()
    ) -> CausalGraph:
        """Build from a directed adjacency matrix (non-zero ``A[i, j]`` means ``nodes[i] -> nodes[j]``)."""
        mat = np.asarray(matrix)
        if mat.shape != (len(nodes), len(nodes)):
            raise GraphError(f"adjacency shape {mat.shape} does not match {len(nodes)} nodes")
        directed = [(nodes[i], nodes[j]) for i, j in zip(*np.nonzero(mat), strict=True)]
        return cls(nodes=list(nodes), directed=directed, bidirected=bidirected)

    def to_dot(self, name: str = "G") -> str:
        """Graphviz DOT text; bidirected edges dashed with arrowheads at both ends."""
        lines = [f"digraph {_quote_dot(name)} {{", "  rankdir=LR;", "  node [shape=ellipse];"]
        lines += [f"  {_quote_dot(n)};" for n in self._nodes]
        lines += [f"  {_quote_dot(a)} -> {_quote_dot(b)};" for a, b in self._directed]
        lines += [
            f"  {_quote_dot(a)} -> {_quote_dot(b)} [dir=both, style=dashed, constraint=false];"
            for a, b in self._bidirected
        ]
        lines.append("}")
        return "\n".join(lines)


def _edge(edge: Any, kind: str) -> tuple[str, str]:
    if not isinstance(edge, (tuple, list)) or len(edge) != 2:
        raise GraphError(f"a {kind} edge must be a pair (a, b), got {edge!r}")
    a, b = edge
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        raise GraphError(f"edge endpoints must be non-empty strings, got {edge!r}")
    return a, b


def _quote(name: str) -> str:
    import re

    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\[\]]*", name) else f'"{name}"'


def _quote_dot(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
