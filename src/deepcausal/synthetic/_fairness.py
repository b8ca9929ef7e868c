"""Which edges a fairness criterion removes at generation (DECAF, van Breugel et al. 2021).

With protected attributes ``A`` (roots of the graph) and target ``Y``:

* ``"ftu"`` — fairness through unawareness: ``Y`` is generated without looking at ``A``; the edge
  ``A -> Y`` is removed.
* ``"cf"`` — counterfactual fairness (Kusner et al. 2017): ``Y`` is generated from what ``A`` does
  not cause; every edge into ``Y`` from ``A`` or from a descendant of ``A`` is removed, so ``Y``
  would not change had ``A`` been different, while the other features keep their dependence on
  ``A``.
* ``"dp"`` — demographic parity: ``Y`` and everything that causes it are generated independently of
  ``A``; every edge from ``A`` or a descendant of ``A`` into ``Y`` or an ancestor of ``Y`` is
  removed, so that neither ``Y`` nor the features a downstream model predicts it from carry ``A``'s
  influence.

A removed edge ``V -> W`` feeds ``W``'s mechanism an independent unit's value of ``V``
(:meth:`deepcausal.scm.DeepSCM.without_edges`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

from deepcausal.errors import DataWarning
from deepcausal.graph import CausalGraph

__all__ = ["FAIRNESS", "Fairness", "biased_edges"]

Fairness = Literal["ftu", "cf", "dp"]
#: The fairness criteria :func:`biased_edges` knows.
FAIRNESS: tuple[str, ...] = ("ftu", "cf", "dp")


def biased_edges(
    graph: CausalGraph, protected: Sequence[str], target: str, fairness: str | None
) -> list[tuple[str, str]]:
    """The edges ``fairness`` removes (module docstring), in the graph's node order.

    Warns (:class:`~deepcausal.errors.DataWarning`) where the removal leaves the target without
    any parent: it is then generated from its marginal alone.

    Examples:
        >>> g = CausalGraph("sex -> occupation; sex -> income; occupation -> income; age -> income")
        >>> biased_edges(g, ["sex"], "income", "ftu")
        [('sex', 'income')]
        >>> biased_edges(g, ["sex"], "income", "dp")
        [('sex', 'occupation'), ('sex', 'income'), ('occupation', 'income')]
    """
    if fairness is None:
        return []
    if fairness not in FAIRNESS:
        raise ValueError(f"unknown fairness criterion {fairness!r}; choose from {list(FAIRNESS)}")
    sources = set(protected) | graph.descendants(list(protected))
    if fairness == "ftu":
        wanted = {(a, target) for a in protected}
    elif fairness == "cf":
        wanted = {(v, target) for v in sources}
    else:
        reach = graph.ancestors(target, inclusive=True)
        wanted = {(v, w) for v in sources for w in graph.children(v) if w in reach}
    order = {n: i for i, n in enumerate(graph.nodes)}
    edges = sorted(
        ((v, w) for v, w in wanted if v in graph.parents(w)),
        key=lambda e: (order[e[0]], order[e[1]]),
    )
    left = set(graph.parents(target)) - {v for v, w in edges if w == target}
    if graph.parents(target) and not left:
        warnings.warn(
            f"fairness {fairness!r} removes every edge into {target!r}: it will be generated from "
            "its marginal alone, unrelated to every other column",
            DataWarning,
            stacklevel=2,
        )
    return edges
