"""Prior knowledge for discovery: required and forbidden directed edges, and tiers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from deepcausal.errors import (
    KnowledgeError,
)

if TYPE_CHECKING:
    pass


from deepcausal.discovery._edges import Edge

__all__ = ["Knowledge"]


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
