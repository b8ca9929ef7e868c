"""The adjacency search shared by PC and FCI: PC-stable (Colombo & Maathuis 2014).

Level by level (conditioning-set size ``l = 0, 1, 2, ...``), every remaining edge ``i - j`` is tested
against every set ``S`` of size ``l`` drawn from the neighbours of ``i`` (other than ``j``) as they were
at the *start* of the level; the edge is removed at the first ``S`` with ``p > alpha`` and ``S`` is
stored as the separating set. Freezing the neighbourhoods per level makes the skeleton independent of
the variable order. Required edges are never tested (so never removed); pairs for which knowledge
forbids both directions are never adjacent and never tested. :func:`adjacency_search` runs it on a
table, with the option checks and the collider decisions PC and FCI both make after it.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._pdag import Collider, sepset_colliders
from deepcausal.discovery.ci._base import CachedTest
from deepcausal.discovery.ci._resolve import resolve_ci_test

__all__ = [
    "AdjacencySearch",
    "Skeleton",
    "adjacency_search",
    "check_alpha",
    "check_max_cond_size",
    "knowledge_masks",
    "pc_stable_skeleton",
]


@dataclass
class Skeleton:
    """The result of the adjacency search.

    Attributes:
        adjacent: Symmetric boolean ``(d, d)`` adjacency.
        sepsets: Separating set of every pair removed by a test, keyed ``(i, j)`` with ``i < j``.
        sep_pvalues: The p-value of the test that removed each pair (same keys).
        max_level: The largest conditioning-set size that was tested.
    """

    adjacent: np.ndarray
    sepsets: dict[tuple[int, int], tuple[int, ...]]
    sep_pvalues: dict[tuple[int, int], float]
    max_level: int


def check_alpha(alpha: object) -> float:
    """Validate a significance level in (0, 1)."""
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, numbers.Real)
        or not 0.0 < float(alpha) < 1.0
    ):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def check_max_cond_size(max_cond_size: object) -> int | None:
    """Validate a maximum conditioning-set size (``None`` for no limit)."""
    if max_cond_size is None:
        return None
    if (
        isinstance(max_cond_size, bool)
        or not isinstance(max_cond_size, numbers.Integral)
        or int(max_cond_size) < 0
    ):
        raise ValueError(
            f"max_cond_size must be a non-negative integer or None, got {max_cond_size!r}"
        )
    return int(max_cond_size)


def knowledge_masks(knowledge: Knowledge, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(forbidden, required)`` boolean masks; ``forbidden`` without the diagonal."""
    forbidden = knowledge.forbidden_mask(columns)
    np.fill_diagonal(forbidden, False)
    return forbidden, knowledge.required_mask(columns)


def _chunks(items: Iterator[tuple[int, ...]]) -> Iterator[list[tuple[int, ...]]]:
    # Small first chunks: the first separating set is often early. Later chunks grow so that large
    # searches are vectorised.
    size = 4
    while True:
        chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        yield chunk
        size = min(size * 4, 1024)


def pc_stable_skeleton(
    test: CachedTest,
    d: int,
    *,
    alpha: float,
    max_cond_size: int | None,
    forbidden: np.ndarray,
    required: np.ndarray,
) -> Skeleton:
    """Run the PC-stable adjacency search.

    Args:
        test: The bound, cached independence test.
        d: Number of variables.
        alpha: Significance level; an edge is removed when ``p > alpha``.
        max_cond_size: Largest conditioning set tested (``None``: no limit).
        forbidden: ``forbidden[i, j]`` iff ``i -> j`` is forbidden (no diagonal).
        required: ``required[i, j]`` iff ``i -> j`` is required.

    Returns:
        The skeleton with separating sets.
    """
    keep = required | required.T
    adjacent = ~(forbidden & forbidden.T)
    np.fill_diagonal(adjacent, False)
    sepsets: dict[tuple[int, int], tuple[int, ...]] = {}
    sep_pvalues: dict[tuple[int, int], float] = {}
    level = 0
    max_level = -1
    while max_cond_size is None or level <= max_cond_size:
        neighbours = [np.flatnonzero(adjacent[i]).tolist() for i in range(d)]
        testable = any(
            len(neighbours[i]) - 1 >= level
            for i in range(d)
            if any(not keep[i, j] for j in neighbours[i])
        )
        if not testable:
            break
        max_level = level
        for i in range(d):
            for j in neighbours[i]:
                if not adjacent[i, j] or keep[i, j]:
                    continue
                candidates = [k for k in neighbours[i] if k != j]
                if len(candidates) < level:
                    continue
                for chunk in _chunks(itertools.combinations(candidates, level)):
                    pvalues = test.pvalues(i, j, chunk)
                    hits = np.flatnonzero(pvalues > alpha)
                    if hits.size:
                        hit = int(hits[0])
                        adjacent[i, j] = adjacent[j, i] = False
                        key = (i, j) if i < j else (j, i)
                        sepsets[key] = chunk[hit]
                        sep_pvalues[key] = float(pvalues[hit])
                        break
        level += 1
    return Skeleton(adjacent, sepsets, sep_pvalues, max_level)


def vote_colliders(
    test: CachedTest,
    adjacent: np.ndarray,
    sepsets: dict[tuple[int, int], tuple[int, ...]],
    *,
    alpha: float,
    max_cond_size: int | None,
    conservative: bool,
) -> list[tuple[tuple[float, ...], int, int, int]]:
    """Majority (MPC) or conservative (CPC) collider decisions (Colombo & Maathuis 2014, sec. 4).

    For every unshielded triple ``i - k - j`` every subset ``S`` of ``adj(i) \\ {j}`` and of
    ``adj(j) \\ {i}`` in the final skeleton is tested, and ``k`` is a collider when it lies in
    fewer than half of the separating sets found (majority) or in none of them (conservative); a
    triple that is neither clearly a collider nor clearly not one is left unoriented. The decision
    does not depend on which separating set the search happened to find first, so neither does the
    result on the variable order. Priority: the smaller the share of separating sets holding ``k``,
    the earlier.
    """
    d = adjacent.shape[0]
    candidates: list[tuple[tuple[float, ...], int, int, int]] = []
    for i, j in itertools.combinations(range(d), 2):
        if adjacent[i, j] or (i, j) not in sepsets:
            continue
        middles = np.flatnonzero(adjacent[i] & adjacent[j]).tolist()
        if not middles:
            continue
        separating: set[tuple[int, ...]] = set()
        for x in (i, j):
            others = [k for k in np.flatnonzero(adjacent[x]).tolist() if k not in (i, j)]
            largest = len(others) if max_cond_size is None else min(len(others), max_cond_size)
            for size in range(largest + 1):
                sets = list(itertools.combinations(others, size))
                pvalues = test.pvalues(i, j, sets)
                separating.update(s for s, p in zip(sets, pvalues, strict=True) if p > alpha)
        if not separating:
            separating = {sepsets[(i, j)]}  # found with a set no longer adjacent: use it
        for k in middles:
            share = sum(k in s for s in separating) / len(separating)
            collider = share == 0.0 if conservative else share < 0.5
            if collider:
                candidates.append(((share,), i, k, j))
    return candidates


@dataclass
class AdjacencySearch:
    """PC-stable run on a table: what PC and FCI share before they orient edges.

    Attributes:
        columns: The column names, as strings.
        test: The bound, cached independence test (it counts the tests run so far).
        ci_test: The ``ci_test`` argument as given (its name goes into the diagnostics).
        alpha: The checked significance level.
        forbidden, required: The knowledge masks (:func:`knowledge_masks`).
        skeleton: The result of :func:`pc_stable_skeleton`.
    """

    columns: list[str]
    test: CachedTest
    ci_test: Any
    alpha: float
    forbidden: np.ndarray
    required: np.ndarray
    skeleton: Skeleton

    def colliders(
        self,
        rule: str,
        adjacent: np.ndarray,
        sepsets: dict[tuple[int, int], tuple[int, ...]],
        sep_pvalues: dict[tuple[int, int], float],
    ) -> list[Collider]:
        """Unshielded colliders of ``adjacent`` by ``rule``: ``"sepset"`` (the separating sets
        found), else :func:`vote_colliders` (majority, or ``"conservative"``)."""
        if rule == "sepset":
            return sepset_colliders(adjacent, sepsets, sep_pvalues)
        return vote_colliders(
            self.test,
            adjacent,
            sepsets,
            alpha=self.alpha,
            # no larger sets than the adjacency search tested: the cost stays of its order
            max_cond_size=max(self.skeleton.max_level, 0),
            conservative=rule == "conservative",
        )

    def diagnostics(self, **more: float | int | str) -> dict[str, float | int | str]:
        """The diagnostics every constraint-based result reports (the level, the test, how many
        tests ran), then ``more``."""
        return {
            "alpha": self.alpha,
            "ci_test": _test_name(self.ci_test),
            "n_tests": self.test.n_tests,
            "n_cached": self.test.n_cached,
            "max_cond_size_tested": self.skeleton.max_level,
            **more,
        }


def adjacency_search(
    data: pd.DataFrame,
    knowledge: Knowledge,
    ci_test: Any,
    *,
    alpha: float,
    max_cond_size: int | None,
) -> AdjacencySearch:
    """Bind ``ci_test`` to ``data`` and run PC-stable under ``knowledge`` (``alpha`` and
    ``max_cond_size`` checked by :func:`check_alpha` and :func:`check_max_cond_size`)."""
    columns = [str(c) for c in data.columns]
    test = resolve_ci_test(ci_test, data)
    forbidden, required = knowledge_masks(knowledge, columns)
    skeleton = pc_stable_skeleton(
        test,
        len(columns),
        alpha=alpha,
        max_cond_size=max_cond_size,
        forbidden=forbidden,
        required=required,
    )
    return AdjacencySearch(columns, test, ci_test, alpha, forbidden, required, skeleton)


def _test_name(ci_test: Any) -> str:
    if isinstance(ci_test, str):
        return ci_test
    return str(getattr(ci_test, "name", None) or getattr(ci_test, "__name__", None) or ci_test)
