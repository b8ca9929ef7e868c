"""Neural bounds: the smallest and largest effect over generative models that fit the data.

Balazadeh, Syrgkanis & Krishnan 2022 ("Partial identification of treatment effects with implicit
generative models", NeurIPS) bound an effect by optimising it over neural SCMs of the graph whose
observational distribution stays close to the data's. Two model classes serve here:

* discrete data: the exact-likelihood discrete NCM (:class:`~deepcausal.ncm._model.DiscreteNCM`),
  fitted by cross-entropy under a push on the effect that decays (as neural identification does),
  so "close" is measured by the likelihood rather than a Sinkhorn distance;
* continuous data: the ADMG :class:`~deepcausal.scm.DeepSCM`, fitted by MMD and energy distance under
  the same kind of push (:mod:`deepcausal.ncm._continuous`).

Every seed gives one ``(min, max)`` pair; the reported interval is their outer envelope (the smallest
minimum and the largest maximum), so the neural bounds err on the side of width.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from deepcausal.graph import CausalGraph, as_graph
from deepcausal.ncm._discrete import check_query, looks_continuous
from deepcausal.ncm._fit import NCMConfig
from deepcausal.ncm._identify import ate_query, run_min_max
from deepcausal.ncm._result import Bounds

__all__ = ["neural_bounds"]


def _is_discrete(data: Any, nodes: tuple[str, ...]) -> bool:
    """Whether every node's column reads as categories (a missing one is named later)."""
    return not any(looks_continuous(data[v].to_numpy()) for v in nodes if v in data.columns)


def neural_bounds(
    graph: CausalGraph | str,
    data: Any,
    treatment: str,
    outcome: str,
    *,
    treated: Any = 1,
    control: Any = 0,
    n_seeds: int = 4,
    config: Any = None,
    random_state: int = 0,
    device: str = "auto",
) -> Bounds:
    """Neural bounds on ``E[Y | do(T=treated)] - E[Y | do(T=control)]`` (see the module docstring).

    Args:
        graph, data, treatment, outcome, treated, control: as :func:`~deepcausal.ncm.bounds`.
        n_seeds: min/max pairs; the interval is their outer envelope.
        config: an :class:`~deepcausal.ncm.NCMConfig`.
        random_state: seed.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
    """
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    start = time.perf_counter()
    g = as_graph(graph)
    check_query(g, data, treatment, outcome)
    if not _is_discrete(data, g.nodes):
        from deepcausal.ncm._continuous import continuous_bounds

        if config is not None:
            raise TypeError("config (an NCMConfig) is for discrete data; continuous data take none")
        return continuous_bounds(
            g, data, treatment, outcome, treated=treated, control=control,
            n_seeds=n_seeds, random_state=random_state, device=device,
        )  # fmt: skip
    if config is not None and not isinstance(config, NCMConfig):
        raise TypeError(f"config must be an NCMConfig, got {type(config).__name__}")
    fits = run_min_max(
        g,
        data,
        lambda prepared: ate_query(prepared, treatment, outcome, treated, control),
        purpose="neural bounds",
        advice="merge categories",
        n_seeds=n_seeds,
        config=config,
        random_state=random_state,
        device=device,
    )
    fit = float(np.max(fits.distances))
    return Bounds.neural(
        fits.per_seed,
        treatment=treatment,
        outcome=outcome,
        treated=treated,
        control=control,
        n=fits.data.n,
        notes=(
            f"discrete neural causal models, {n_seeds} min/max pairs (outer envelope); the "
            f"fitted models lie within total-variation distance {fit:.4f} of the data; "
            f"{time.perf_counter() - start:.1f} s"
        ),
    )
