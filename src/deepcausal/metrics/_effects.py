"""Accuracy of treatment-effect estimates against ground truth (simulators, semi-synthetic data)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepcausal.errors import DataError


def _pair(true_effect: Any, estimated_effect: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(true_effect, dtype=np.float64).reshape(-1)
    b = np.asarray(estimated_effect, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise DataError(
            f"true and estimated effects differ in length: {a.shape[0]} vs {b.shape[0]}"
        )
    if a.size == 0:
        raise DataError("no effects to compare")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise DataError("effects contain NaN or infinite values")
    return a, b


def pehe(true_effect: Any, estimated_effect: Any) -> float:
    """Precision in estimation of heterogeneous effects (Hill 2011): mean squared CATE error.

    ``PEHE = (1/n) Σ (τ(x_i) - τ̂(x_i))²``; papers usually report its square root
    (:func:`sqrt_pehe`).

    >>> pehe([1.0, 2.0], [1.0, 4.0])
    2.0
    """
    a, b = _pair(true_effect, estimated_effect)
    return float(np.mean((a - b) ** 2))


def sqrt_pehe(true_effect: Any, estimated_effect: Any) -> float:
    """``sqrt(PEHE)``, the root-mean-squared error of per-unit effects (as in Shalit et al. 2017).

    >>> sqrt_pehe([1.0, 2.0], [1.0, 4.0])
    1.4142135623730951
    """
    return math.sqrt(pehe(true_effect, estimated_effect))


def ate_error(true_effect: Any, estimated: Any) -> float:
    """Absolute error of an average effect: ``|mean τ(x_i) - τ̂|``.

    Args:
        true_effect: the true per-unit effects (or the true ATE as a scalar).
        estimated: the estimated ATE (a scalar) or per-unit estimates, which are averaged.

    >>> ate_error([1.0, 3.0], [2.5, 2.5])
    0.5
    >>> ate_error(2.0, 1.75)
    0.25
    """
    truth = np.asarray(true_effect, dtype=np.float64)
    est = np.asarray(estimated, dtype=np.float64)
    if truth.size == 0 or est.size == 0:
        raise DataError("no effects to compare")
    return float(abs(truth.mean() - est.mean()))


def interval_covers(truth: float, low: float, high: float) -> bool:
    """Whether ``low <= truth <= high``.

    >>> interval_covers(1.0, 0.5, 1.5)
    True
    """
    return bool(low <= truth <= high)
