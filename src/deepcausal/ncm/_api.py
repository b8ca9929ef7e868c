"""``bounds``: the public entry point of partial identification, one function over every method."""

from __future__ import annotations

from typing import Any

from deepcausal.graph import CausalGraph
from deepcausal.ncm._discrete import check_query, prepare_discrete
from deepcausal.ncm._result import Bounds

__all__ = ["BOUND_METHODS", "bounds"]

BOUND_METHODS = ("lp", "neural")


def bounds(
    graph: CausalGraph | str,
    data: Any,
    treatment: str,
    outcome: str,
    *,
    treated: Any = 1,
    control: Any = 0,
    method: str = "lp",
    **options: Any,
) -> Bounds:
    """Bounds on the average effect ``E[Y | do(T=treated)] - E[Y | do(T=control)]``.

    Args:
        graph: an ADMG (``"Z -> X; X -> Y; X <-> Y"``), a graph file, or a :class:`CausalGraph`.
        data: a DataFrame with one column per node.
        treatment, outcome: node names.
        treated, control: the two treatment values compared.
        method: ``"lp"``: linear-programming bounds over response-function models (Balke & Pearl
            1997) for small discrete graphs; ``"neural"``: min/max over neural causal models that
            fit the data (after Balazadeh, Syrgkanis & Krishnan 2022): discrete NCMs for discrete
            data, ADMG DeepSCMs for continuous data.
        **options: ``"neural"`` takes ``n_seeds``, ``config`` (:class:`NCMConfig`),
            ``random_state`` and ``device``.

    Returns:
        :class:`Bounds`.

    Raises:
        GraphError: an unknown node, or a graph node that is not a column.
        DataError: NaN, or a continuous column with ``method="lp"`` (bin it or use ``"neural"``).
        SchemaError: a treatment value never observed.

    Examples:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> u = rng.random(5000) < 0.5
        >>> x = (rng.random(5000) < np.where(u, 0.8, 0.2)).astype(int)
        >>> y = (rng.random(5000) < 0.2 + 0.3 * x + 0.4 * u).astype(int)
        >>> b = bounds("X -> Y; X <-> Y", pd.DataFrame({"X": x, "Y": y}), "X", "Y")
        >>> round(b.width, 6)  # Manski's natural bounds are one wide for a binary outcome
        1.0
    """
    if method not in BOUND_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, BOUND_METHODS))}, got {method!r}"
        )
    if method == "lp":
        if options:
            raise TypeError(f"method='lp' takes no options, got {', '.join(options)}")
        from deepcausal.graph import as_graph
        from deepcausal.ncm._lp import lp_bounds

        g = as_graph(graph)
        check_query(g, data, treatment, outcome)
        prepared = prepare_discrete(
            g,
            data,
            purpose="LP bounds",
            advice="bin it (e.g. pandas.cut) or use method='neural'",
        )
        return lp_bounds(prepared, treatment, outcome, treated, control)
    from deepcausal.ncm._neural import neural_bounds

    return neural_bounds(
        graph, data, treatment, outcome, treated=treated, control=control, **options
    )
