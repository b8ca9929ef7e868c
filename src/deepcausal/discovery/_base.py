"""The shared pieces of causal discovery: edges with marks, prior knowledge, results, ``discover``.

Every discovery method lives in its own module and is looked up lazily through a static registry
(``_METHODS``), so that importing :mod:`deepcausal.discovery` stays cheap and constraint-based
methods never import torch.

A method function has the signature::

    fn(data: pd.DataFrame, *, knowledge: Knowledge, random_state: int | None, **options)
        -> DiscoveryResult

``knowledge`` is never ``None`` inside a method (an empty :class:`Knowledge` is passed) and unknown
options raise ``TypeError`` naming the option. Continuous methods build their result with
:func:`finalize_weighted`; :func:`discover` fills in ``wall_time``.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from deepcausal.errors import (
    CapabilityError,
    DataError,
    DataWarning,
    KnowledgeError,
    ScaleWarning,
)

if TYPE_CHECKING:
    import networkx as nx

    from deepcausal.graph import CausalGraph

logger = logging.getLogger(__name__)

__all__ = [
    "DiscoveryResult",
    "Edge",
    "Knowledge",
    "Mark",
    "available_methods",
    "discover",
    "finalize_weighted",
]

Mark = Literal["tail", "arrow", "circle"]
"""The mark at one end of an edge: ``"tail"`` (-), ``"arrow"`` (>) or ``"circle"`` (o)."""

_MARKS: frozenset[str] = frozenset(get_args(Mark))

# The text of an edge for each pair of marks (mark at a, mark at b).
_EDGE_TEXT: dict[tuple[str, str], str] = {
    ("tail", "tail"): "---",
    ("tail", "arrow"): "->",
    ("tail", "circle"): "--o",
    ("arrow", "tail"): "<-",
    ("arrow", "arrow"): "<->",
    ("arrow", "circle"): "<-o",
    ("circle", "tail"): "o--",
    ("circle", "arrow"): "o->",
    ("circle", "circle"): "o-o",
}
_TEXT_EDGE: dict[str, tuple[str, str]] = {text: marks for marks, text in _EDGE_TEXT.items()}
# Longest connectors first so that "<->" is not read as "<-" followed by ">".
_CONNECTORS: tuple[str, ...] = tuple(sorted(_TEXT_EDGE, key=len, reverse=True))

# Graphviz arrow shapes for each mark.
_DOT_ARROW: dict[str, str] = {"tail": "none", "arrow": "normal", "circle": "odot"}


@dataclass(frozen=True)
class Edge:
    """An edge ``a *-* b`` with the mark at each end.

    ``a -> b`` is ``Edge(a, b, "tail", "arrow")``; ``a <-> b`` is ``("arrow", "arrow")``; the
    undirected edge ``a --- b`` of a CPDAG is ``("tail", "tail")``; ``a o-> b`` is
    ``("circle", "arrow")``.

    Attributes:
        a: The first node.
        b: The second node.
        mark_a: The mark at ``a``.
        mark_b: The mark at ``b``.

    Examples:
        >>> str(Edge("x", "y", "circle", "arrow"))
        'x o-> y'
        >>> Edge.parse("x <-> y") == Edge("x", "y", "arrow", "arrow")
        True
    """

    a: str
    b: str
    mark_a: Mark
    mark_b: Mark

    def __post_init__(self) -> None:
        for mark in (self.mark_a, self.mark_b):
            if mark not in _MARKS:
                raise ValueError(f"unknown edge mark {mark!r}; expected one of {sorted(_MARKS)}")
        if self.a == self.b:
            raise ValueError(f"an edge needs two different nodes, got {self.a!r} twice")

    def __str__(self) -> str:
        return f"{self.a} {_EDGE_TEXT[(self.mark_a, self.mark_b)]} {self.b}"

    @classmethod
    def parse(cls, text: str) -> Edge:
        """Read an edge from text such as ``"a -> b"``, ``"a <-> b"``, ``"a --- b"``, ``"a o-> b"``.

        Args:
            text: The edge; nodes and connector separated by spaces.

        Returns:
            The edge.

        Raises:
            ValueError: If the text is not an edge.
        """
        parts = text.split()
        if len(parts) == 3 and parts[1] in _TEXT_EDGE:
            mark_a, mark_b = _TEXT_EDGE[parts[1]]
            return cls(parts[0], parts[2], cast(Mark, mark_a), cast(Mark, mark_b))
        raise ValueError(
            f"cannot read {text!r} as an edge; write it as 'a -> b', 'a <-> b', 'a --- b', "
            f"'a o-> b' or 'a o-o b' (nodes and connector separated by spaces)"
        )

    @property
    def nodes(self) -> tuple[str, str]:
        """The two nodes ``(a, b)``."""
        return (self.a, self.b)

    @property
    def is_directed(self) -> bool:
        """Whether the edge is ``a -> b`` or ``a <- b``."""
        return {self.mark_a, self.mark_b} == {"tail", "arrow"}

    @property
    def is_bidirected(self) -> bool:
        """Whether the edge is ``a <-> b``."""
        return self.mark_a == "arrow" and self.mark_b == "arrow"

    @property
    def is_undirected(self) -> bool:
        """Whether the edge is ``a --- b`` (a CPDAG edge whose direction is not determined)."""
        return self.mark_a == "tail" and self.mark_b == "tail"

    def mark_at(self, node: str) -> Mark:
        """The mark at ``node``, one of the edge's two nodes."""
        if node == self.a:
            return self.mark_a
        if node == self.b:
            return self.mark_b
        raise ValueError(f"node {node!r} is not on the edge {self}")

    def reversed(self) -> Edge:
        """The same edge written from ``b`` to ``a``."""
        return Edge(self.b, self.a, self.mark_b, self.mark_a)

    def canonical(self, order: Sequence[str] | None = None) -> Edge:
        """The edge written with its nodes in ``order`` (sorted by name when no order is given)."""
        if order is None:
            first = self.a <= self.b
        else:
            index = {node: i for i, node in enumerate(order)}
            first = index[self.a] <= index[self.b]
        return self if first else self.reversed()

    def to_dot(self) -> str:
        """A DOT statement for the edge (arrowheads per mark; circle marks as ``odot``)."""
        return (
            f"  {_dot_id(self.a)} -> {_dot_id(self.b)} [dir=both, "
            f"arrowtail={_DOT_ARROW[self.mark_a]}, arrowhead={_DOT_ARROW[self.mark_b]}];"
        )


def _dot_id(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _parse_directed(entry: object, what: str) -> tuple[str, str]:
    """Read one directed edge of prior knowledge: a pair ``("a", "b")`` or the text ``"a -> b"``."""
    if isinstance(entry, str):
        parts = entry.split("->")
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            a, b = parts[0].strip(), parts[1].strip()
        else:
            raise KnowledgeError(
                f"{what} edge {entry!r} is malformed; write it as 'a -> b' or as a pair ('a', 'b')"
            )
    elif (
        isinstance(entry, tuple | list)
        and len(entry) == 2
        and all(isinstance(node, str) and node for node in entry)
    ):
        a, b = str(entry[0]), str(entry[1])
    else:
        raise KnowledgeError(
            f"{what} edge {entry!r} is malformed; write it as 'a -> b' or as a pair ('a', 'b')"
        )
    if a == b:
        raise KnowledgeError(f"{what} edge {entry!r} is a self loop ({a!r} -> {a!r})")
    return a, b


def _find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A directed cycle ``[v0, v1, ..., v0]`` among ``edges``, or ``None`` when they are acyclic."""
    children: dict[str, list[str]] = {}
    for a, b in edges:
        children.setdefault(a, []).append(b)
        children.setdefault(b, [])
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in children:
        if root in state:
            continue
        path: list[str] = [root]
        stack: list[Iterator[str]] = [iter(children[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(children[nxt]))
    return None


class Knowledge:
    """Prior knowledge for causal discovery: required and forbidden directed edges, and tiers.

    Knowledge is a hard constraint in every method: a forbidden edge never appears in the result and
    a required edge always does, oriented as given.

    * ``required``: directed edges ``a -> b`` that must be in the graph. A required edge is never
      removed by an independence test and is oriented ``a -> b`` before any orientation rule runs.
    * ``forbidden``: directed edges ``a -> b`` that must not be in the graph. Forbidding ``a -> b``
      alone does **not** forbid the adjacency: ``b -> a`` stays possible (and an adjacency between
      ``a`` and ``b`` found in the data is then oriented ``b -> a``). The adjacency itself is never
      tested or added only when both ``a -> b`` and ``b -> a`` are forbidden.
    * ``tiers``: a list of lists of nodes; earlier tiers cannot be caused by later ones, so every
      edge from a later tier to an earlier one is forbidden (edges within a tier are allowed). Nodes
      in no tier are unconstrained.

    Edges are given as pairs ``("a", "b")`` or as text ``"a -> b"``.

    In FCI, whose PAG edges are ancestral (``a -> b`` there means ``a`` causes ``b``, possibly through
    unobserved variables), a forbidden ``a -> b`` is read as "``a`` does not cause ``b``" and puts an
    arrowhead at ``a`` on an edge between them (Tetrad's convention); a required ``a -> b`` is
    oriented ``a -> b``.

    Args:
        required: Directed edges that must be present.
        forbidden: Directed edges that must be absent.
        tiers: Ordered groups of nodes (earliest first).

    Raises:
        KnowledgeError: For a malformed entry (naming it) or contradictory knowledge: required edges
            that form a directed cycle (the cycle is printed), a required edge that is also
            forbidden or that a tier forbids, a node in two tiers.

    Examples:
        >>> k = Knowledge(required=["a -> b"], forbidden=[("c", "a")], tiers=[["a"], ["b", "c"]])
        >>> k.allows("b", "c"), k.allows("c", "a"), k.allows("b", "a")
        (True, False, False)
        >>> Knowledge(required=["a -> b", "b -> a"])
        Traceback (most recent call last):
        ...
        deepcausal.errors.KnowledgeError: required edges form a directed cycle: a -> b -> a
    """

    def __init__(
        self,
        required: Iterable[tuple[str, str] | str] = (),
        forbidden: Iterable[tuple[str, str] | str] = (),
        tiers: Iterable[Iterable[str]] = (),
    ) -> None:
        if isinstance(required, str) or isinstance(forbidden, str):
            raise KnowledgeError(
                "required and forbidden must be lists of edges, not a single string; "
                "write required=['a -> b'] rather than required='a -> b'"
            )
        self._required: tuple[tuple[str, str], ...] = tuple(
            dict.fromkeys(_parse_directed(entry, "required") for entry in required)
        )
        self._forbidden: frozenset[tuple[str, str]] = frozenset(
            _parse_directed(entry, "forbidden") for entry in forbidden
        )
        if isinstance(tiers, str):
            raise KnowledgeError("tiers must be a list of lists of node names, not a string")
        tier_list: list[tuple[str, ...]] = []
        self._tier_of: dict[str, int] = {}
        for index, tier in enumerate(tiers):
            if isinstance(tier, str) or not isinstance(tier, Iterable):
                raise KnowledgeError(
                    f"tier {index} ({tier!r}) must be a list of node names, "
                    "e.g. tiers=[['a', 'b'], ['c']]"
                )
            names = tuple(tier)
            for name in names:
                if not isinstance(name, str) or not name:
                    raise KnowledgeError(f"tier {index} holds {name!r}, which is not a node name")
                if name in self._tier_of:
                    raise KnowledgeError(
                        f"node {name!r} is in two tiers ({self._tier_of[name]} and {index})"
                    )
                self._tier_of[name] = index
            tier_list.append(names)
        self._tiers: tuple[tuple[str, ...], ...] = tuple(tier_list)
        self._check_consistent()

    def _check_consistent(self) -> None:
        for a, b in self._required:
            if (a, b) in self._forbidden:
                raise KnowledgeError(f"edge {a} -> {b} is both required and forbidden")
            if self._tier_forbids(a, b):
                raise KnowledgeError(
                    f"required edge {a} -> {b} goes from tier {self._tier_of[a]} back to the "
                    f"earlier tier {self._tier_of[b]}, which the tiers forbid"
                )
        cycle = _find_cycle(self._required)
        if cycle is not None:
            raise KnowledgeError("required edges form a directed cycle: " + " -> ".join(cycle))

    def _tier_forbids(self, a: str, b: str) -> bool:
        ta, tb = self._tier_of.get(a), self._tier_of.get(b)
        return ta is not None and tb is not None and ta > tb

    @property
    def required(self) -> tuple[tuple[str, str], ...]:
        """The required directed edges, in the order given."""
        return self._required

    @property
    def forbidden(self) -> frozenset[tuple[str, str]]:
        """The explicitly forbidden directed edges (tier-implied ones are not listed)."""
        return self._forbidden

    @property
    def tiers(self) -> tuple[tuple[str, ...], ...]:
        """The tiers, earliest first."""
        return self._tiers

    @property
    def is_empty(self) -> bool:
        """Whether there is no knowledge at all."""
        return not (self._required or self._forbidden or self._tiers)

    @property
    def nodes(self) -> frozenset[str]:
        """Every node named by the knowledge."""
        named = {node for edge in (*self._required, *self._forbidden) for node in edge}
        return frozenset(named | set(self._tier_of))

    def tier_of(self, node: str) -> int | None:
        """The index of the tier holding ``node``, or ``None`` when it is in no tier."""
        return self._tier_of.get(node)

    def validate(self, columns: Sequence[str]) -> None:
        """Check that every node named by the knowledge is one of ``columns``.

        Raises:
            KnowledgeError: Naming the unknown nodes.
        """
        unknown = sorted(self.nodes - set(columns))
        if unknown:
            raise KnowledgeError(
                f"prior knowledge names unknown node(s) {unknown}; "
                f"the data has columns {list(columns)}"
            )

    def allows(self, a: str, b: str) -> bool:
        """Whether the directed edge ``a -> b`` is not forbidden (explicitly or by the tiers)."""
        return a != b and (a, b) not in self._forbidden and not self._tier_forbids(a, b)

    def requires(self, a: str, b: str) -> bool:
        """Whether the directed edge ``a -> b`` is required."""
        return (a, b) in set(self._required)

    def allows_adjacency(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` may be adjacent at all (at least one direction is allowed)."""
        return self.allows(a, b) or self.allows(b, a)

    def forbidden_mask(self, columns: Sequence[str]) -> np.ndarray:
        """Boolean ``(d, d)`` matrix: ``M[i, j]`` iff ``columns[i] -> columns[j]`` is forbidden.

        Includes explicit, tier-implied and self-loop (diagonal) entries.
        """
        self.validate(columns)
        index = {name: i for i, name in enumerate(columns)}
        d = len(columns)
        mask = np.eye(d, dtype=bool)
        for a, b in self._forbidden:
            mask[index[a], index[b]] = True
        tier = np.array([self._tier_of.get(name, -1) for name in columns])
        tiered = tier >= 0
        mask |= tiered[:, None] & tiered[None, :] & (tier[:, None] > tier[None, :])
        return mask

    def required_mask(self, columns: Sequence[str]) -> np.ndarray:
        """Boolean ``(d, d)`` matrix: ``M[i, j]`` iff ``columns[i] -> columns[j]`` is required."""
        self.validate(columns)
        index = {name: i for i, name in enumerate(columns)}
        mask = np.zeros((len(columns), len(columns)), dtype=bool)
        for a, b in self._required:
            mask[index[a], index[b]] = True
        return mask

    def is_satisfied_by(self, edges: Iterable[Edge]) -> bool:
        """Whether ``edges`` respect the knowledge.

        No forbidden directed edge is present (an edge ``a -> b`` with a forbidden direction, or an
        undirected ``a --- b`` or a circle-marked edge that could still be read as a forbidden
        direction) and every required edge is present and oriented ``a -> b``.
        """
        present: set[tuple[str, str]] = set()
        for edge in edges:
            for e in (edge, edge.reversed()):
                could_be_directed = e.mark_a in ("tail", "circle") and e.mark_b in (
                    "arrow",
                    "circle",
                )
                if (e.is_undirected or could_be_directed) and not self.allows(e.a, e.b):
                    return False
                if e.mark_a == "tail" and e.mark_b == "arrow":
                    present.add((e.a, e.b))
        return all(edge in present for edge in self._required)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Knowledge):
            return NotImplemented
        return (set(self._required), self._forbidden, self._tiers) == (
            set(other._required),
            other._forbidden,
            other._tiers,
        )

    def __hash__(self) -> int:
        return hash((frozenset(self._required), self._forbidden, self._tiers))

    def __repr__(self) -> str:
        required = [f"{a} -> {b}" for a, b in self._required]
        forbidden = sorted(f"{a} -> {b}" for a, b in self._forbidden)
        tiers = [list(t) for t in self._tiers]
        return f"Knowledge(required={required}, forbidden={forbidden}, tiers={tiers})"


@dataclass
class DiscoveryResult:
    """What a discovery method found.

    Attributes:
        method: The method's name.
        adjacency: Weighted adjacency, rows = source, columns = target (0 = no edge). For PC and FCI
            the entries are 1 where the edge has an arrowhead at the column node and a non-arrow
            mark at the row node, i.e. every entry of an undirected or circle-marked edge that could
            point that way.
        edges: The edges with their marks (a DAG, a CPDAG or a PAG depending on the method).
        graph: The causal graph the data decided, as a :class:`~deepcausal.graph.CausalGraph`, or
            ``None`` when some edge is left unoriented. The DAG of a continuous method; for PC, the
            CPDAG's graph only when every edge is oriented; for FCI, a graph with bidirected edges
            when every PAG edge is directed or bidirected. The equivalence class in ``edges`` is
            the primary answer; :meth:`to_dag` picks a member of it on request.
        diagnostics: Method-specific numbers (loss, constraint value, number of tests, ...).
        wall_time: Seconds the method took.
        n_cycles_broken: Edges removed to make the result acyclic.
        extension: A DAG in the equivalence class (PC: the extension of Dor & Tarsi 1992), which
            orients what the data left undecided; read it through :meth:`to_dag`.
    """

    method: str
    adjacency: pd.DataFrame
    edges: list[Edge]
    graph: CausalGraph | None
    diagnostics: dict[str, float | int | str] = field(default_factory=dict)
    wall_time: float = 0.0
    n_cycles_broken: int = 0
    extension: CausalGraph | None = None

    @property
    def is_oriented(self) -> bool:
        """Whether the data decided every edge (no undirected edge, no circle mark)."""
        return all("circle" not in (e.mark_a, e.mark_b) and not e.is_undirected for e in self.edges)

    def to_dag(self) -> CausalGraph:
        """One DAG of the answer: :attr:`graph` when it is a DAG; otherwise a member of the
        equivalence class that orients each undecided edge by a fixed rule (for PC, Dor & Tarsi's
        extension), which the data do not support over the other members. A warning-free, explicit
        choice: call it only where one DAG is needed (fitting a DeepSCM, say).

        Raises:
            CapabilityError: for a PAG with circle marks or bidirected edges (no DAG represents
                it).
        """
        if self.graph is not None and self.graph.is_dag:
            return self.graph
        if self.extension is not None:
            undecided = [str(e) for e in self.edges if e.is_undirected]
            if undecided:
                logger.info(
                    "%s: to_dag orients %d undecided edge(s) by Dor & Tarsi's rule: %s",
                    self.method,
                    len(undecided),
                    ", ".join(undecided),
                )
            return self.extension
        raise CapabilityError(
            f"the {self.method} result is a PAG with circle marks or latent confounders; no DAG "
            "represents it (use .edges, or .graph where every edge is oriented)"
        )

    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph``: each edge ``a *-* b`` as ``a -> b`` with attributes ``mark_a``,
        ``mark_b`` and ``weight`` (marks: tail, arrow, circle; ``a --- b`` is an undirected edge,
        ``a <-> b`` a latent confounder), so that no mark is lost."""
        import networkx as nx

        g = nx.DiGraph(method=self.method)
        g.add_nodes_from(self.nodes)
        index = {name: k for k, name in enumerate(self.nodes)}
        weights = self.adjacency.to_numpy(dtype=float)
        for e in self.edges:
            weight = weights[index[e.a], index[e.b]] or weights[index[e.b], index[e.a]] or 1.0
            g.add_edge(e.a, e.b, mark_a=e.mark_a, mark_b=e.mark_b, weight=float(weight))
        return g

    @property
    def nodes(self) -> tuple[str, ...]:
        """The variables, in column order."""
        return tuple(str(c) for c in self.adjacency.columns)

    def summary(self) -> str:
        """A short text summary: method, number of edges by kind, time and diagnostics."""
        kinds: dict[str, int] = {}
        for edge in self.edges:
            text = _EDGE_TEXT[(edge.mark_a, edge.mark_b)]
            kinds[text] = kinds.get(text, 0) + 1
        kind_text = ", ".join(f"{count} '{text}'" for text, count in sorted(kinds.items()))
        lines = [
            f"method: {self.method}",
            f"nodes: {len(self.nodes)}",
            f"edges: {len(self.edges)}" + (f" ({kind_text})" if kind_text else ""),
            f"wall time: {self.wall_time:.3f} s",
        ]
        if self.n_cycles_broken and "n_cycles_broken" not in self.diagnostics:
            lines.append(f"cycles broken: {self.n_cycles_broken}")
        for key, value in self.diagnostics.items():
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            lines.append(f"{key}: {shown}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The result as a Graphviz DOT digraph, arrowheads per mark (circle marks as ``odot``)."""
        lines = [f"digraph {_dot_id(self.method)} {{"]
        lines.extend(f"  {_dot_id(node)};" for node in self.nodes)
        lines.extend(edge.to_dot() for edge in self.edges)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.summary()


def edges_to_adjacency(edges: Iterable[Edge], columns: Sequence[str]) -> pd.DataFrame:
    """The 0/1 adjacency of marked edges: ``A[a, b] = 1`` iff the edge could point ``a -> b``.

    An edge could point ``a -> b`` when the mark at ``b`` is an arrow or circle and the mark at
    ``a`` is a tail or circle; an undirected edge counts both ways, a bidirected edge neither way.
    """
    index = {name: i for i, name in enumerate(columns)}
    matrix = np.zeros((len(columns), len(columns)))
    for edge in edges:
        for e in (edge, edge.reversed()):
            if e.is_undirected or (
                e.mark_a in ("tail", "circle") and e.mark_b in ("arrow", "circle")
            ):
                matrix[index[e.a], index[e.b]] = 1.0
    return pd.DataFrame(matrix, index=list(columns), columns=list(columns))


def _causal_graph(
    nodes: Sequence[str],
    directed: Sequence[tuple[str, str]],
    bidirected: Sequence[tuple[str, str]] = (),
) -> CausalGraph:
    from deepcausal.graph import CausalGraph  # lazy: the graph layer is imported only when needed

    return CausalGraph(nodes=list(nodes), directed=list(directed), bidirected=list(bidirected))


def finalize_weighted(
    W: np.ndarray,
    columns: Sequence[str],
    *,
    method: str,
    threshold: float,
    knowledge: Knowledge | None,
    diagnostics: dict[str, float | int | str],
    wall_time: float = 0.0,
) -> DiscoveryResult:
    """Turn a learned weighted adjacency into a :class:`DiscoveryResult` with an acyclic graph.

    Steps: entries with ``|w| < threshold`` become 0; forbidden entries must already be 0 (methods
    mask them, they do not penalise them; a non-zero forbidden entry is a bug and raises
    ``AssertionError``); required edges are kept even below the threshold (one the method left at
    exactly 0 is kept with weight ``threshold``, or 1 when the threshold is 0); then any remaining
    directed cycle is broken by repeatedly removing the weakest (smallest ``|w|``) non-required edge
    on it.

    Args:
        W: ``(d, d)`` weights, ``W[i, j]`` the weight of ``columns[i] -> columns[j]``.
        columns: The variable names.
        method: The method's name.
        threshold: Weights below this magnitude are dropped.
        knowledge: Prior knowledge (``None`` for none).
        diagnostics: Method diagnostics to carry over (``n_cycles_broken`` is added).
        wall_time: Seconds the method took (``discover`` overwrites it).

    Returns:
        The result; ``graph`` is a DAG.

    Examples:
        >>> W = np.array([[0.0, 0.9, 0.0], [0.0, 0.0, 0.5], [0.2, 0.0, 0.0]])
        >>> r = finalize_weighted(W, ["a", "b", "c"], method="demo", threshold=0.1,
        ...                       knowledge=None, diagnostics={})
        >>> [str(e) for e in r.edges], r.n_cycles_broken
        (['a -> b', 'b -> c'], 1)
    """
    columns = [str(c) for c in columns]
    W = np.array(W, dtype=float, copy=True)
    d = len(columns)
    if W.shape != (d, d):
        raise ValueError(f"W has shape {W.shape}, expected ({d}, {d}) for {d} columns")
    if not np.all(np.isfinite(W)):
        raise DataError(f"method {method!r} produced non-finite weights")
    knowledge = knowledge if knowledge is not None else Knowledge()
    forbidden = knowledge.forbidden_mask(columns)
    required = knowledge.required_mask(columns)
    original = W.copy()
    W[np.abs(W) < threshold] = 0.0
    bad = np.argwhere(forbidden & (W != 0.0))
    if bad.size:
        pairs = ", ".join(f"{columns[i]} -> {columns[j]}" for i, j in bad[:5])
        raise AssertionError(
            f"method {method!r} put weight on forbidden edge(s) {pairs}; forbidden entries must be "
            f"masked to exactly 0"
        )
    keep = np.where(original != 0.0, original, threshold if threshold > 0 else 1.0)
    W[required] = keep[required]

    n_broken = 0
    while True:
        support = [(columns[i], columns[j]) for i, j in zip(*np.nonzero(W), strict=True)]
        cycle = _find_cycle(support)
        if cycle is None:
            break
        index = {name: i for i, name in enumerate(columns)}
        candidates = [
            (abs(W[index[u], index[v]]), index[u], index[v])
            for u, v in itertools.pairwise(cycle)
            if not required[index[u], index[v]]
        ]
        # required edges are acyclic (Knowledge refuses cycles), so every cycle has a candidate
        _, i, j = min(candidates)
        W[i, j] = 0.0
        n_broken += 1

    directed = [(columns[i], columns[j]) for i, j in zip(*np.nonzero(W), strict=True)]
    edges = [Edge(a, b, "tail", "arrow") for a, b in directed]
    diagnostics = {**diagnostics, "n_cycles_broken": n_broken}
    return DiscoveryResult(
        method=method,
        adjacency=pd.DataFrame(W, index=columns, columns=columns),
        edges=edges,
        graph=_causal_graph(columns, directed),
        diagnostics=diagnostics,
        wall_time=wall_time,
        n_cycles_broken=n_broken,
    )


_METHODS: dict[str, str] = {
    "pc": "deepcausal.discovery._pc:pc",
    "fci": "deepcausal.discovery._fci:fci",
    "notears": "deepcausal.discovery._notears:notears",
    "notears_mlp": "deepcausal.discovery._notears_mlp:notears_mlp",
    "dagma": "deepcausal.discovery._dagma:dagma",
    "dagma_mlp": "deepcausal.discovery._dagma:dagma_mlp",
    "grandag": "deepcausal.discovery._grandag:grandag",
    "daggnn": "deepcausal.discovery._daggnn:daggnn",
}


def available_methods() -> tuple[str, ...]:
    """The names accepted by :func:`discover`'s ``method`` argument."""
    return tuple(_METHODS)


def _load_method(method: str) -> Callable[..., DiscoveryResult]:
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(
            f"unknown discovery method {method!r}; available methods: {', '.join(_METHODS)}"
        )
    module_name, function_name = _METHODS[method].split(":")
    module = importlib.import_module(module_name)
    return cast(Callable[..., DiscoveryResult], getattr(module, function_name))


def validate_data(data: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """Check discovery input and return it as a DataFrame of numeric columns with string names.

    An array gets columns ``x0 .. x{d-1}``. Boolean and categorical columns become integer codes.

    Raises:
        DataError: For non-numeric columns, NaN or infinite values (naming the column and count),
            duplicate column names, or fewer than 2 columns or rows.
    """
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise DataError(
                f"data must be a 2-d array (rows x variables), got {data.ndim} dimension(s)"
            )
        frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
    else:
        raise DataError(
            f"data must be a pandas DataFrame or a numpy array, got {type(data).__name__}"
        )
    if frame.columns.has_duplicates:
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise DataError(f"duplicate column name(s) {dupes}")
    if frame.shape[1] < 2:
        raise DataError(f"discovery needs at least 2 variables, got {frame.shape[1]}")
    if frame.shape[0] < 2:
        raise DataError(f"discovery needs at least 2 rows, got {frame.shape[0]}")
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            if series.isna().any():
                raise DataError(
                    f"column {column!r} has {int(series.isna().sum())} missing value(s)"
                )
            frame[column] = series.cat.codes.astype(np.int64)
        elif pd.api.types.is_bool_dtype(series.dtype):
            frame[column] = series.astype(np.int64)
        elif not pd.api.types.is_numeric_dtype(series.dtype):
            raise DataError(
                f"column {column!r} has non-numeric dtype {series.dtype}; encode categories as "
                f"integer codes or a pandas categorical"
            )
    values = frame.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        counts = bad.sum(axis=0)
        names = [str(c) for c in frame.columns]
        culprits = ", ".join(f"{names[i]!r} ({counts[i]})" for i in np.nonzero(counts)[0])
        raise DataError(f"data has NaN or infinite values in column(s) {culprits}")
    return frame


def _check_options(method: str, fn: Any, options: dict[str, Any]) -> None:
    """Refuse an option the method does not take, naming it and listing those it does."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    taken = [p for p in params if p not in ("data", "knowledge", "random_state")]
    unknown = sorted(set(options) - set(taken))
    if unknown:
        raise ValueError(
            f"method {method!r} takes no option(s) {unknown}; its options are {sorted(taken)}"
        )


def discover(
    data: pd.DataFrame | np.ndarray,
    method: str = "pc",
    knowledge: Knowledge | None = None,
    random_state: int | None = None,
    standardize: bool = False,
    **options: Any,
) -> DiscoveryResult:
    """Learn a causal graph from data.

    Args:
        data: A DataFrame of numeric columns, or an array (columns named ``x0 .. x{d-1}``).
        method: One of :func:`available_methods`: ``"pc"`` (PC-stable, a CPDAG), ``"fci"`` (FCI, a
            PAG), or a continuous-optimisation method (``"notears"``, ``"dagma"``, ...; a DAG).
        knowledge: Prior knowledge, a hard constraint (see :class:`Knowledge`).
        random_state: Seed for methods that use randomness.
        standardize: Rescale every column to unit variance first. PC and FCI do not depend on
            scales. The continuous methods do: they identify the DAG only under equal noise
            variances, and on raw scales they can read the causal order off the marginal variances
            (Reisach, Seiler & Weichwald 2021). Raw scales are the default; the result's
            diagnostics report ``varsortability`` and ``r2_sortability`` of the graph found, and a
            :class:`~deepcausal.errors.ScaleWarning` says when a continuous method's order follows
            the raw variances.
        **options: Method options (for PC/FCI: ``alpha``, ``max_cond_size``, ``ci_test``).

    Returns:
        The method's :class:`DiscoveryResult`, with ``wall_time`` set.

    Raises:
        DataError: For invalid data.
        KnowledgeError: For knowledge naming unknown columns.
        ValueError: For an unknown method.
        ValueError: For an option the method does not take (the message lists those it takes).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500); y = x + rng.normal(size=500); z = y + rng.normal(size=500)
        >>> result = discover(pd.DataFrame({"x": x, "y": y, "z": z}), method="pc")
        >>> sorted(str(e) for e in result.edges)
        ['x --- y', 'y --- z']
    """
    fn = _load_method(method)
    frame = validate_data(data)
    knowledge = knowledge if knowledge is not None else Knowledge()
    if not isinstance(knowledge, Knowledge):
        raise KnowledgeError(f"knowledge must be a Knowledge, got {type(knowledge).__name__}")
    knowledge.validate(list(frame.columns))
    _check_options(method, fn, options)
    n, d = frame.shape
    if d >= n and not callable(options.get("ci_test")):  # an oracle test needs no rows
        warnings.warn(
            f"{n} rows for {d} variables: with no more rows than variables, independence tests "
            "have almost no power and scores are degenerate, so most edges the result shows (or "
            "omits) are not supported by the data; collect more rows or restrict the variables",
            DataWarning,
            stacklevel=2,
        )
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize must be True or False, got {standardize!r}")
    fitted = frame
    if standardize:
        scale = frame.std(ddof=0).replace(0.0, 1.0)
        fitted = (frame - frame.mean()) / scale
    logger.info("discover: %s on %d rows x %d variables ...", method, n, d)
    start = time.perf_counter()
    result = fn(fitted, knowledge=knowledge, random_state=random_state, **options)
    result.wall_time = time.perf_counter() - start
    _scale_diagnostics(result, frame, method, standardize)
    logger.info(
        "discover: %s found %d edge(s) in %.1f s", method, len(result.edges), result.wall_time
    )
    return result


def _scale_diagnostics(
    result: DiscoveryResult, raw: pd.DataFrame, method: str, standardized: bool
) -> None:
    """Add varsortability and R²-sortability of the oriented edges found; warn where a continuous
    method's causal order follows the raw variances."""
    from deepcausal.discovery._sortability import r2_sortability, varsortability

    # only the edges the method oriented: an equivalence class's unoriented edges have no order
    index = {name: i for i, name in enumerate(raw.columns)}
    adjacency = np.zeros((len(index), len(index)))
    for edge in result.edges:
        for e in (edge, edge.reversed()):
            if e.mark_a == "tail" and e.mark_b == "arrow":
                adjacency[index[e.a], index[e.b]] = 1.0
    if not adjacency.any():
        return
    values = raw.to_numpy(dtype=float)
    var_sort = varsortability(values, adjacency)
    result.diagnostics["varsortability"] = round(var_sort, 4)
    result.diagnostics["r2_sortability"] = round(r2_sortability(values, adjacency), 4)
    result.diagnostics["standardized"] = str(standardized).lower()
    if method not in ("pc", "fci") and not standardized and var_sort >= 0.9:
        warnings.warn(
            f"{method}: {var_sort:.0%} of the causal paths found run from lower to higher raw "
            "variance. On raw scales a least-squares score can read the order off the variances "
            "(Reisach, Seiler & Weichwald 2021); the answer holds only if the noise variances are "
            "equal. Compare with standardize=True (--standardize) and with PC's equivalence class",
            ScaleWarning,
            stacklevel=3,
        )
