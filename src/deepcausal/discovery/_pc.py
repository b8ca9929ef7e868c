"""PC-stable (Colombo & Maathuis 2014) with Meek's orientation rules: a CPDAG from data."""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from deepcausal.discovery._constraint import cpdag_edges, dag_from_pdag
from deepcausal.discovery._edges import edges_to_adjacency
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._pdag import meek_rules, orient_by_knowledge, orient_colliders
from deepcausal.discovery._result import DiscoveryResult, _causal_graph
from deepcausal.discovery._skeleton import adjacency_search, check_alpha, check_max_cond_size

__all__ = ["ColliderRule", "pc"]

ColliderRule = Literal["majority", "conservative", "sepset"]


def pc(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    alpha: float = 0.05,
    max_cond_size: int | None = None,
    ci_test: Any = "fisherz",
    collider_rule: ColliderRule = "majority",
) -> DiscoveryResult:
    """The PC algorithm, order-independent version (PC-stable), with Meek's rules.

    1. Adjacency search, PC-stable (Colombo & Maathuis 2014): conditioning sets grow level by level
       and are drawn from neighbourhoods frozen at the start of each level.
    2. Prior knowledge: required edges were never tested; every edge whose direction knowledge decides
       is oriented and locked (``a -> b`` when it is required or ``b -> a`` is forbidden).
    3. Unshielded colliders ``a -> c <- b``. By default the majority rule of Colombo & Maathuis
       (2014), "MPC-stable": ``c`` is a collider when it lies in fewer than half of the separating
       sets of ``a`` and ``b`` among the subsets of their neighbourhoods (``"conservative"``: in
       none of them; ``"sepset"``: not in the one separating set the search found first). Colliders
       are applied most-certain first so that conflicts resolve the same way in any variable order.
    4. Meek's rules R1-R4 (Meek 1995) until nothing changes.

    Pairs that knowledge keeps apart (both directions forbidden) are never tested, so they have no
    separating set: no collider is read from a triple through them, and the rules that need a
    *tested* non-adjacency treat them as adjacent. This keeps every orientation sound, at the price of
    some orientations an unconstrained run could make.

    Under the faithfulness assumption and with a perfect test (an oracle) the result is the CPDAG of
    the true DAG (Spirtes, Glymour & Scheines 2000), refined by the knowledge.

    Args:
        data: Validated data (see :func:`~deepcausal.discovery.discover`).
        knowledge: Prior knowledge, never violated.
        random_state: Unused (PC is deterministic); accepted for a uniform interface.
        alpha: Significance level; a pair is separated when ``p > alpha``.
        max_cond_size: Largest conditioning set tested (``None``: no limit).
        ci_test: A test name (``"fisherz"``, ``"gsq"``, ``"chisq"``, ``"gcm"``), a
            :class:`~deepcausal.discovery.ci.CITest`, or a callable ``(x, y, given, data) -> p``.
        collider_rule: ``"majority"`` (default), ``"conservative"`` or ``"sepset"``.

    Returns:
        A result whose ``edges`` form the CPDAG (``"tail"``/``"arrow"`` marks; undirected edges are
        tail-tail) and whose ``graph`` is a DAG in its equivalence class. ``adjacency`` has 1 at
        ``[a, b]`` when ``a -> b`` or ``a --- b``.

    Examples:
        >>> rng = np.random.default_rng(1)
        >>> a, b = rng.normal(size=(2, 1000))
        >>> df = pd.DataFrame({"a": a, "b": b, "c": a + b + rng.normal(size=1000)})
        >>> from deepcausal.discovery import discover
        >>> [str(e) for e in discover(df, method="pc").edges]
        ['a -> c', 'b -> c']
    """
    del random_state
    if collider_rule not in get_args(ColliderRule):
        raise ValueError(
            f"collider_rule must be one of {get_args(ColliderRule)}, got {collider_rule!r}"
        )
    alpha = check_alpha(alpha)
    max_cond_size = check_max_cond_size(max_cond_size)
    search = adjacency_search(data, knowledge, ci_test, alpha=alpha, max_cond_size=max_cond_size)
    columns, forbidden, required = search.columns, search.forbidden, search.required
    skeleton = search.skeleton
    adjacent = skeleton.adjacent
    d = len(columns)
    arrow = np.zeros((d, d), dtype=bool)
    locked = np.zeros((d, d), dtype=bool)
    orient_by_knowledge(adjacent, arrow, locked, forbidden, required)
    candidates = search.colliders(collider_rule, adjacent, skeleton.sepsets, skeleton.sep_pvalues)
    n_colliders = orient_colliders(arrow, candidates)
    meek_rules(adjacent, arrow, locked, untested=forbidden & forbidden.T)

    edges = cpdag_edges(adjacent, arrow, columns)
    dag, n_broken, how = dag_from_pdag(adjacent, arrow, required)
    directed = [(columns[i], columns[j]) for i, j in zip(*np.nonzero(dag), strict=True)]
    extension = _causal_graph(columns, directed)
    diagnostics = search.diagnostics(
        n_unshielded_colliders=n_colliders, collider_rule=collider_rule, dag=how
    )
    return DiscoveryResult(
        method="pc",
        adjacency=edges_to_adjacency(edges, columns),
        edges=edges,
        graph=extension if all(not e.is_undirected for e in edges) else None,
        diagnostics=diagnostics,
        n_cycles_broken=n_broken,
        extension=extension,
    )
