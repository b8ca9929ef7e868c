"""How far a DAG's causal order follows the data's marginal variances, or its R² values.

Continuous-optimisation discovery (NOTEARS, DAGMA, ...) scores a DAG by a least-squares fit. On
simulated data the variance usually grows along the causal order, and such a score can then read
the order off the raw variances ("varsortability", Reisach, Seiler & Weichwald 2021, "Beware of the
Simulated DAG! Causal Discovery Benchmarks May Be Easy To Game"). Rescaling the columns changes the
answer. R²-sortability (Reisach, Bühlmann & Weichwald 2023, "A Scale-Invariant Sorting Criterion to
Find a Causal Order in Additive Noise Models") measures the same pattern for the fraction of each
variable's variance explained by all others, which rescaling leaves unchanged.

Both are the fraction of directed paths ``a ~> b`` of the DAG along which the quantity strictly
increases (ties count one half), as in the reference implementation of Reisach et al. 2021.
"""

from __future__ import annotations

import numpy as np

__all__ = ["r2_sortability", "r2_values", "sortability", "varsortability"]


def sortability(scores: np.ndarray, adjacency: np.ndarray, tol: float = 1e-9) -> float:
    """The fraction of directed paths along which ``scores`` increase (ties: one half).

    Args:
        scores: One number per variable.
        adjacency: ``(d, d)``; a non-zero ``[i, j]`` is an edge ``i -> j`` of a DAG.
        tol: Relative tolerance for a tie.

    Returns:
        A number in [0, 1], or NaN when the graph has no edge.

    >>> sortability(np.array([1.0, 2.0, 3.0]), np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]))
    1.0
    """
    s = np.asarray(scores, dtype=float).reshape(-1)
    edges = (np.asarray(adjacency) != 0).astype(float)
    if edges.shape != (len(s), len(s)):
        raise ValueError(f"adjacency of shape {edges.shape} for {len(s)} scores")
    ratio = s[None, :] / np.where(s[:, None] == 0, np.finfo(float).tiny, s[:, None])
    paths = edges.copy()
    total = 0.0
    ordered = 0.0
    for _ in range(len(s)):  # a path of a DAG has at most d - 1 edges
        if not paths.any():
            break
        reach = paths > 0
        total += float(reach.sum())
        ordered += float((reach & (ratio > 1 + tol)).sum())
        ordered += 0.5 * float((reach & (np.abs(ratio - 1) <= tol)).sum())
        paths = np.minimum(paths @ edges, 1.0)
    return ordered / total if total else float("nan")


def varsortability(data: np.ndarray, adjacency: np.ndarray) -> float:
    """Sortability of the marginal variances (Reisach, Seiler & Weichwald 2021)."""
    return sortability(np.var(np.asarray(data, dtype=float), axis=0), adjacency)


def r2_values(data: np.ndarray) -> np.ndarray:
    """R² of each column regressed linearly on all the others: ``1 - 1 / (Σ_jj (Σ⁻¹)_jj)``."""
    x = np.asarray(data, dtype=float)
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    if cov.shape[0] == 1:
        return np.zeros(1)
    precision = np.linalg.pinv(cov, hermitian=True)
    product = np.diag(cov) * np.diag(precision)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - 1.0 / product
    return np.clip(np.nan_to_num(r2, nan=0.0), 0.0, 1.0)


def r2_sortability(data: np.ndarray, adjacency: np.ndarray) -> float:
    """Sortability of each variable's R² given all others (Reisach, Bühlmann & Weichwald 2023)."""
    return sortability(r2_values(data), adjacency)
