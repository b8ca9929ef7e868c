"""Linear NOTEARS: structure learning as continuous optimisation with a smooth DAG constraint.

Zheng, Aragam, Ravikumar & Xing (2018), "DAGs with NO TEARS: continuous optimization for structure
learning", NeurIPS. The linear SEM ``X = X W + N`` is fitted by

    min_W  loss(W) + lambda1 |W|_1   subject to   h(W) = tr(exp(W * W)) - d = 0,

solved with the augmented Lagrangian ``loss + rho/2 h^2 + alpha h + lambda1 |W|_1``: each
sub-problem is solved by L-BFGS-B on ``W = W+ - W-`` with ``W+, W- >= 0`` (so the L1 term is
linear), ``rho`` grows tenfold until ``h`` shrinks by a factor 4, then ``alpha += rho h`` -- the
reference implementation's schedule. The least-squares loss is computed from the covariance
``S = X^T X / n`` (``0.5 tr((I - W)^T S (I - W))``, gradient ``-S (I - W)``), so one evaluation
costs ``O(d^3)`` whatever ``n``; the logistic loss (binary data) costs ``O(n d^2)``. The
acyclicity function and its gradient are torch computations in float64 (see
:mod:`deepcausal.discovery._acyclicity`), one ``O(d^3)`` matrix exponential per evaluation.

Prior knowledge is a mask: forbidden entries (and the diagonal) have bounds ``[0, 0]`` in both
halves, so they are exactly zero throughout; required edges carry no L1 penalty and are kept by
:func:`~deepcausal.discovery._result.finalize_weighted` whatever their final weight. The schedule is
the discovery core's :func:`~deepcausal.discovery._core.augmented_lagrangian`; the score is
:class:`~deepcausal.discovery._linear.LinearScore`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.optimize as sopt
import torch

from deepcausal.discovery._acyclicity import notears_h_and_grad
from deepcausal.discovery._core import (
    AugmentedLagrangian,
    augmented_lagrangian,
    check_penalties,
    finish,
)
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._linear import (
    ArrayOps,
    LinearLoss,
    LinearScore,
    linear_data,
    memory_guard,
    refine_level,
)
from deepcausal.discovery._result import DiscoveryResult

__all__ = ["notears"]


def notears(
    data: pd.DataFrame,
    *,
    knowledge: Knowledge,
    random_state: int | None = None,
    loss: LinearLoss = "l2",
    lambda1: float = 0.1,
    threshold: float = 0.3,
    max_iter: int = 100,
    h_tol: float = 1e-8,
    rho_max: float = 1e16,
    device: str = "auto",
    refine: bool = False,
    refine_alpha: float = 1e-4,
) -> DiscoveryResult:
    """Linear NOTEARS (Zheng et al. 2018) with least-squares or logistic loss and an L1 penalty.

    Args:
        data: numeric columns (validated by :func:`~deepcausal.discovery.discover`). Used as
            given (only centred for the least-squares loss): NOTEARS is not scale invariant, so
            standardise real data with different units first.
        knowledge: prior knowledge, enforced as a mask.
        random_state: unused (the method is deterministic); accepted for a uniform interface.
        loss: ``"l2"`` (least squares, continuous data) or ``"logistic"`` (binary 0/1 data).
        lambda1: L1 penalty weight.
        threshold: weights with ``|w| < threshold`` are dropped from the result.
        max_iter: maximum number of dual (``alpha``) updates.
        h_tol: stop once ``h(W) <= h_tol``.
        rho_max: stop once the penalty weight ``rho`` reaches this.
        device: ``"auto"`` (the GPU when there is one and ``d >= 100``, else NumPy/SciPy on the
            CPU), ``"cpu"`` or ``"cuda[:i]"``; see
            :func:`~deepcausal.discovery._linear.linear_backend`.
        refine: after the continuous solve, refine its DAG by ordering-based local search on the
            same least-squares score, over the inverse covariance's super-structure
            (:func:`~deepcausal.discovery._order_search.order_search`; Teyssier & Koller 2005,
            Loh & Bühlmann 2014); the weights are then least-squares coefficients. Needs
            ``loss="l2"``. Off by default: the method as published.
        refine_alpha: level of the search's partial-correlation and coefficient tests.

    Returns:
        A :class:`~deepcausal.discovery.DiscoveryResult` with diagnostics ``loss``, ``h``,
        ``rho``, ``iterations`` (dual updates) and ``evaluations`` (objective evaluations).

    Examples:
        >>> import pandas as pd
        >>> from deepcausal.discovery import discover
        >>> from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
        >>> W = simulate_weights(simulate_dag(5, 1, "ER", random_state=1), random_state=1)
        >>> X = pd.DataFrame(simulate_sem(W, 500, random_state=1))
        >>> r = discover(X, method="notears")
        >>> bool(((r.adjacency.to_numpy() != 0) == (W != 0)).all())
        True
    """
    check_penalties(lambda1=lambda1, threshold=threshold)
    refine_at = refine_level(refine, refine_alpha, loss)
    schedule = AugmentedLagrangian(max_iter=max_iter, h_tol=h_tol, rho_max=rho_max)
    lin = linear_data(data, knowledge, loss, device)
    with memory_guard("notears", lin.X.shape[0], lin.X.shape[1], loss, lin.backend):
        W, diag = _notears_linear(
            lin.X, lin.forbidden, lin.required, loss=loss, lambda1=lambda1, schedule=schedule,
            device=lin.backend,
        )  # fmt: skip
    return finish(
        W, data, knowledge, method="notears", threshold=threshold, diagnostics=diag,
        refine_alpha=refine_at,
    )  # fmt: skip


def _notears_linear(
    X: np.ndarray,
    forbidden: np.ndarray,
    required: np.ndarray,
    *,
    loss: LinearLoss,
    lambda1: float,
    schedule: AugmentedLagrangian,
    device: torch.device | None,
) -> tuple[np.ndarray, dict[str, float | int | str]]:
    d = X.shape[1]
    dd = d * d
    xp = ArrayOps(device)
    score = LinearScore(X, loss, xp)
    # L1 weight per entry (the same for W+ and W-): required edges are not shrunk
    pen1 = np.where(required, 0.0, lambda1).ravel()
    pen = xp.asarray(np.concatenate([pen1, pen1]))
    free = ~forbidden.ravel()
    bounds = [(0.0, None) if f else (0.0, 0.0) for f in free] * 2
    evals = 0

    def solve(w: np.ndarray, rho: float, alpha: float) -> tuple[np.ndarray, float]:
        def func(w: np.ndarray) -> tuple[float, np.ndarray]:
            nonlocal evals
            evals += 1
            wt = xp.asarray(w)
            W = (wt[:dd] - wt[dd:]).reshape(d, d)
            value, g_loss = score.value_and_grad(W)
            h, g_h = notears_h_and_grad(W)
            obj = value + 0.5 * rho * h * h + alpha * h + float((pen * wt).sum())
            g_smooth = (g_loss + (rho * h + alpha) * g_h).reshape(-1)
            return obj, xp.numpy(xp.concatenate(g_smooth, -g_smooth) + pen)

        w_new = sopt.minimize(func, w, method="L-BFGS-B", jac=True, bounds=bounds).x
        return w_new, notears_h_and_grad(xp.asarray(w_new[:dd] - w_new[dd:]).reshape(d, d))[0]

    w_est, out = augmented_lagrangian(solve, np.zeros(2 * dd), schedule, method="notears")
    W_est = (w_est[:dd] - w_est[dd:]).reshape(d, d)
    diag: dict[str, float | int | str] = {
        "loss": score.value_and_grad(xp.asarray(W_est))[0],
        "h": out.h,
        "rho": out.rho,
        "iterations": out.iterations,
        "evaluations": evals,
    }
    return W_est, diag
