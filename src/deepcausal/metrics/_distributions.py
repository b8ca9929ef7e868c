"""Distances between samples: maximum mean discrepancy and counterfactual error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepcausal.errors import DataError

ArrayLike = np.ndarray | pd.DataFrame | pd.Series


def _matrix(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise DataError(f"{name} must be a 2-D sample with at least 2 rows, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError(f"{name} holds NaN or infinite values")
    return arr


def mmd(
    x: ArrayLike,
    y: ArrayLike,
    bandwidth: float | None = None,
    max_samples: int = 2000,
    random_state: int | None = 0,
) -> float:
    """Unbiased squared maximum mean discrepancy with a Gaussian kernel (Gretton et al. 2012).

    ``MMD² = E k(x, x') + E k(y, y') - 2 E k(x, y)``, ``k(a, b) = exp(-|a - b|² / (2 h²))``. Columns are
    scaled by the pooled standard deviation first; the bandwidth ``h`` defaults to the median pairwise
    distance of the pooled sample (the median heuristic). Samples are subsampled to ``max_samples`` rows.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    >>> abs(mmd(a, b)) < 0.01 < mmd(a, b + 1.0)
    True
    """
    a, b = _matrix(x, "x"), _matrix(y, "y")
    if a.shape[1] != b.shape[1]:
        raise DataError(f"x has {a.shape[1]} columns and y has {b.shape[1]}")
    rng = np.random.default_rng(random_state)
    if len(a) > max_samples:
        a = a[rng.choice(len(a), max_samples, replace=False)]
    if len(b) > max_samples:
        b = b[rng.choice(len(b), max_samples, replace=False)]
    pooled = np.vstack([a, b])
    scale = pooled.std(axis=0)
    scale[scale == 0] = 1.0
    a, b, pooled = a / scale, b / scale, pooled / scale

    def sq_dists(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        d = (p**2).sum(1)[:, None] + (q**2).sum(1)[None, :] - 2 * p @ q.T
        return np.maximum(d, 0.0)

    if bandwidth is None:
        sub = pooled[rng.choice(len(pooled), min(len(pooled), 1000), replace=False)]
        dists = np.sqrt(sq_dists(sub, sub)[np.triu_indices(len(sub), k=1)])
        bandwidth = float(np.median(dists)) or 1.0
    gamma = 1.0 / (2.0 * bandwidth**2)
    kxx, kyy, kxy = (np.exp(-gamma * sq_dists(p, q)) for p, q in ((a, a), (b, b), (a, b)))
    m, n = len(a), len(b)
    term_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    term_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(term_x + term_y - 2.0 * kxy.mean())


def rmse(predicted: ArrayLike, truth: ArrayLike) -> float:
    """Root mean squared error over every entry (e.g. counterfactual rows against the exact truth)."""
    p, t = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    if p.shape != t.shape:
        raise DataError(f"predicted has shape {p.shape}, truth has shape {t.shape}")
    return float(np.sqrt(np.mean((p - t) ** 2)))
