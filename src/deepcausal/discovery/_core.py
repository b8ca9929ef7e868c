"""The continuous-optimisation core of discovery: the penalty schedules that drive a method's
sub-problems to a DAG, and the finish that turns learned weights into an acyclic result.

A continuous-optimisation method (NOTEARS, NOTEARS-MLP, DAGMA, DAGMA-MLP, GraN-DAG, DAG-GNN)
supplies three things: its score and parameters, a ``solve`` function that minimises one
sub-problem (score plus the acyclicity term at the weights the schedule hands it), and how to read
a weighted adjacency off its parameters. This module owns the rest:

* :class:`AugmentedLagrangian` and :func:`augmented_lagrangian` -- ``score + alpha h + rho/2 h^2``
  with dual updates ``alpha += rho h`` and a growing ``rho`` (Zheng et al. 2018, NOTEARS; the
  variant of Lachapelle et al. 2020, GraN-DAG, grows ``rho`` after the dual step instead of
  re-solving);
* :class:`CentralPath` and :func:`central_path` -- ``mu_t score + h_{s_t}`` for a decreasing
  ``mu_t``, each problem warm-started from the last, with the restart rule for a step that leaves
  the log-det domain (Bello et al. 2022, DAGMA);
* :func:`finish` -- masking of forbidden edges, thresholding, kept required edges and cycle
  breaking (:func:`~deepcausal.discovery._result.finalize_weighted`), and for the linear methods
  the optional ordering-based local search on their score
  (:func:`~deepcausal.discovery._order_search.order_search`).

The acyclicity functions themselves are in :mod:`deepcausal.discovery._acyclicity`.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._order_search import order_search
from deepcausal.discovery._result import DiscoveryResult, finalize_weighted
from deepcausal.errors import ConvergenceWarning

__all__ = [
    "AugmentedLagrangian",
    "CentralPath",
    "LeftDomain",
    "PenaltyOutcome",
    "augmented_lagrangian",
    "central_path",
    "check_penalties",
    "finish",
    "named_schedule",
]

logger = logging.getLogger(__name__)

S = TypeVar("S")


def named_schedule(make: Callable[..., S], renamed: Mapping[str, str], **values: Any) -> S:
    """``make(**values)`` (a schedule dataclass), with a validation error that calls each field by
    the name the method's user knows it by (``renamed``: field -> option, e.g. GraN-DAG's
    ``rho_init`` is its ``mu_init``)."""
    try:
        return make(**values)
    except ValueError as exc:
        message = str(exc)
        for field_name, option in renamed.items():
            message = re.sub(rf"\b{field_name}\b", option, message)
        raise ValueError(message) from None


def check_penalties(**values: float) -> None:
    """Raise ``ValueError`` naming every penalty weight or threshold that is negative."""
    bad = {k: v for k, v in values.items() if v < 0}
    if bad:
        raise ValueError(f"{' and '.join(values)} must be non-negative, got {bad}")


@dataclass(frozen=True)
class AugmentedLagrangian:
    """An augmented-Lagrangian schedule for ``min score s.t. h = 0``.

    Each dual step minimises ``score + alpha h + rho/2 h^2``, then sets ``alpha += rho h``.

    Args:
        max_iter: dual steps at most.
        h_tol: stop once ``h <= h_tol``.
        rho_init: the first penalty weight ``rho``.
        rho_max: stop once ``rho`` reaches this.
        rho_factor: ``rho`` is multiplied by this when ``h`` did not shrink enough.
        progress: ``h`` must fall below ``progress`` times its last value to count as progress.
        resolve: ``True`` (NOTEARS): a sub-problem without progress is solved again with the
            larger ``rho`` before the dual step; ``False`` (GraN-DAG): one solve per dual step,
            and ``rho`` grows after it.
    """

    max_iter: int = 100
    h_tol: float = 1e-8
    rho_init: float = 1.0
    rho_max: float = 1e16
    rho_factor: float = 10.0
    progress: float = 0.25
    resolve: bool = True

    def __post_init__(self) -> None:
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if self.h_tol < 0:
            raise ValueError(f"h_tol must be non-negative, got {self.h_tol}")
        if self.rho_init <= 0:
            raise ValueError(f"rho_init must be positive, got {self.rho_init}")
        if self.rho_max < self.rho_init:
            raise ValueError(
                f"rho_max must be at least the first penalty weight {self.rho_init}, got "
                f"{self.rho_max}"
            )
        if self.rho_factor <= 1:
            raise ValueError(f"rho_factor must be > 1, got {self.rho_factor}")
        if not 0 < self.progress < 1:
            raise ValueError(f"progress must be in (0, 1), got {self.progress}")


@dataclass(frozen=True)
class PenaltyOutcome:
    """Where an augmented-Lagrangian schedule stopped: the last ``h`` and penalty weight, and the
    number of dual steps."""

    h: float
    rho: float
    iterations: int


def augmented_lagrangian(
    solve: Callable[[S, float, float], tuple[S, float]],
    start: S,
    schedule: AugmentedLagrangian,
    *,
    method: str,
) -> tuple[S, PenaltyOutcome]:
    """Drive ``solve`` to ``h = 0`` along ``schedule``.

    Args:
        solve: ``solve(state, rho, alpha) -> (new_state, h)`` minimises one sub-problem from
            ``state`` (the last accepted one: a re-solve with a larger ``rho`` restarts from it; a
            method that trains a module in place may ignore it) and returns the acyclicity of its
            solution.
        start: the initial state (parameters, or ``None`` for an in-place module).
        schedule: the schedule.
        method: the method's name, for the log and the warning.

    Returns:
        The last accepted state and a :class:`PenaltyOutcome`. A :class:`ConvergenceWarning` says
        when ``h`` is still above ``h_tol``: the finish breaks the remaining cycles.
    """
    rho, alpha, h, h_last = schedule.rho_init, 0.0, math.inf, math.inf
    state = start
    iterations = 0
    for iterations in range(1, schedule.max_iter + 1):
        if not schedule.resolve:
            state, h = solve(state, rho, alpha)
            logger.debug("%s: step %d, h=%.3e, rho=%.1e", method, iterations, h, rho)
            if h <= schedule.h_tol:
                break
            alpha += rho * h
            if h > schedule.progress * h_last:
                rho *= schedule.rho_factor
            h_last = h
            if rho >= schedule.rho_max:
                break
            continue
        candidate, h_new = state, h
        while rho < schedule.rho_max:
            candidate, h_new = solve(state, rho, alpha)
            logger.debug("%s: step %d, rho=%.0e, h=%.3e", method, iterations, rho, h_new)
            if h_new > schedule.progress * h:
                rho *= schedule.rho_factor
            else:
                break
        state, h = candidate, h_new
        alpha += rho * h
        if h <= schedule.h_tol or rho >= schedule.rho_max:
            break
    if h > schedule.h_tol:
        warnings.warn(
            f"{method} stopped after {iterations} dual step(s) with h = {h:.2e} > h_tol = "
            f"{schedule.h_tol:.0e} (rho = {rho:.0e}); the remaining cycles are broken by "
            "removing the weakest edges on them (more dual steps, a stronger sparsity penalty or "
            "standardised data may reach a DAG)",
            ConvergenceWarning,
            stacklevel=4,
        )
    return state, PenaltyOutcome(h=float(h), rho=float(rho), iterations=iterations)


class LeftDomain(Exception):
    """Raised by a central-path ``solve`` whose iterate left the log-det domain ``s > rho(A)``."""


@dataclass(frozen=True)
class CentralPath:
    """DAGMA's central path: ``T`` problems ``mu_t (score + penalties) + h_{s_t}``.

    Args:
        T: number of problems.
        mu_init: weight of the score in the first problem.
        mu_factor: ``mu`` is multiplied by this after each problem.
        s: log-det parameter per problem (one value, or a sequence padded with its last value).
        warm_iter: optimiser iterations for each of the first ``T - 1`` problems.
        max_iter: optimiser iterations for the last problem.
        lr: the optimiser's step size.
        checkpoint: how often (in iterations) a problem checks its stopping rule.
        tol: the relative change of the objective that ends a problem.
    """

    T: int = 5
    mu_init: float = 1.0
    mu_factor: float = 0.1
    s: float | Sequence[float] = 1.0
    warm_iter: int = 30_000
    max_iter: int = 60_000
    lr: float = 3e-4
    checkpoint: int = 1000
    tol: float = 1e-6

    def __post_init__(self) -> None:
        if self.T < 1:
            raise ValueError(f"T must be >= 1, got {self.T}")
        if self.mu_init <= 0 or not 0 < self.mu_factor <= 1:
            raise ValueError(
                f"need mu_init > 0 and 0 < mu_factor <= 1, got {self.mu_init}, {self.mu_factor}"
            )
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.checkpoint < 1:
            raise ValueError(f"checkpoint must be >= 1, got {self.checkpoint}")
        if self.warm_iter < 1 or self.max_iter < 1:
            raise ValueError(
                f"warm_iter and max_iter must be >= 1, got {self.warm_iter}, {self.max_iter}"
            )
        self.s_values()  # validates s

    def s_values(self) -> list[float]:
        """The log-det parameter of each of the ``T`` problems."""
        s = self.s
        values = [float(s)] * self.T if isinstance(s, int | float) else [float(v) for v in s]
        if not values or any(v <= 0 for v in values):
            raise ValueError(f"s must be positive (one value or one per problem), got {s!r}")
        return (values + [values[-1]] * self.T)[: self.T]


def central_path(
    solve: Callable[[S, float, float, int, float], S],
    start: S,
    path: CentralPath,
    *,
    method: str,
    s_step: float = 0.0,
    min_lr: float = 0.0,
) -> tuple[S, int]:
    """Follow ``path``, warm-starting each problem from the last solution.

    Args:
        solve: ``solve(state, mu, s, iterations, lr) -> state`` minimises one problem from
            ``state``; it raises :class:`LeftDomain` (having undone its own steps) when its
            iterate leaves the log-det domain.
        start: the initial state.
        path: the schedule.
        method: the method's name, for the log.
        s_step: a problem that left the domain is restarted with half the step size and ``s``
            larger by this (the reference linear DAGMA: 0.1).
        min_lr: a problem whose step size fell below this is abandoned (its start is kept).

    Returns:
        The last state and the number of restarted problems.
    """
    state = start
    mu = path.mu_init
    restarts = 0
    for t, s_t in enumerate(path.s_values()):
        lr = path.lr
        inner = path.max_iter if t == path.T - 1 else path.warm_iter
        while True:
            try:
                state = solve(state, mu, s_t, inner, lr)
                break
            except LeftDomain:
                restarts += 1
                lr *= 0.5
                s_t += s_step
                if lr < min_lr:
                    break
        logger.debug("%s: problem %d done, mu=%.1e", method, t, mu)
        mu *= path.mu_factor
    return state, restarts


def finish(
    W: np.ndarray,
    data: pd.DataFrame,
    knowledge: Knowledge,
    *,
    method: str,
    threshold: float,
    diagnostics: dict[str, float | int | str],
    refine_alpha: float | None = None,
) -> DiscoveryResult:
    """The result of a continuous method from its learned weights ``W``: forbidden entries are
    zeroed (a masked weight can still hold rounding noise), then
    :func:`~deepcausal.discovery._result.finalize_weighted` thresholds, keeps required edges and
    breaks any remaining cycle.

    With ``refine_alpha`` (linear least-squares methods only) that DAG starts
    :func:`~deepcausal.discovery._order_search.order_search` at that test level, and the result
    is the searched DAG with its least-squares weights, thresholded alike. The diagnostics gain
    ``continuous_edges`` (the edges before the search), ``refine_moves``, ``refine_sweeps``,
    ``refine_superstructure`` and ``refine_candidate_pairs`` (the super-structure's size).
    """
    columns = [str(c) for c in data.columns]
    forbidden = knowledge.forbidden_mask(columns)
    W = np.array(W, dtype=np.float64, copy=True)
    W[forbidden] = 0.0
    result = finalize_weighted(
        W,
        columns,
        method=method,
        threshold=threshold,
        knowledge=knowledge,
        diagnostics=diagnostics,
    )
    if refine_alpha is None:
        return result
    found = order_search(
        data.to_numpy(dtype=np.float64),
        result.adjacency.to_numpy() != 0,
        forbidden,
        knowledge.required_mask(columns),
        alpha=refine_alpha,
    )
    searched = {
        **result.diagnostics,
        "continuous_edges": len(result.edges),
        "refine_moves": found.moves,
        "refine_sweeps": found.sweeps,
        "refine_superstructure": found.superstructure,
        "refine_candidate_pairs": found.candidate_pairs,
    }
    return finalize_weighted(
        found.W, columns, method=method, threshold=threshold, knowledge=knowledge,
        diagnostics=searched,
    )  # fmt: skip
