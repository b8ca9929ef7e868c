"""Edges with marks at both ends (tail, arrow, circle): DAG, CPDAG and PAG edges alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast, get_args

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    pass


__all__ = ["Edge", "Mark", "edges_to_adjacency"]

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
