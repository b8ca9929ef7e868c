"""Overlap (positivity) diagnostics: a propensity summary, a plot and the checks estimators run.

Effects are identified only where every unit could have received every arm,
``0 < P(T = a | X) < 1``. Propensities near 0 or 1 make weighting estimators unstable and leave
outcome models extrapolating; propensities that separate the arms completely mean the data say
nothing about the effect.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from deepcausal.errors import DataError, OverlapWarning

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_QUANTILES = (0.0, 0.05, 0.5, 0.95, 1.0)


def _binary_inputs(propensity: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(propensity, dtype=np.float64)
    if e.ndim == 2 and e.shape[1] == 2:
        e = e[:, 1]
    if e.ndim != 1:
        raise DataError(f"propensity must be P(T=1|X) of shape (n,) or (n, 2), got {e.shape}")
    tt = np.asarray(t)
    if tt.shape != e.shape:
        raise DataError(f"t has shape {tt.shape} but propensity has shape {e.shape}")
    levels = np.unique(tt)
    if not np.isin(levels, (0, 1)).all() or levels.shape[0] != 2:
        raise DataError(f"t must be binary 0/1 with both arms present, got values {levels[:5]}")
    if not (np.isfinite(e).all() and (e >= 0).all() and (e <= 1).all()):
        raise DataError("propensity must hold probabilities in [0, 1]")
    return e, tt.astype(np.int64)


@dataclass(frozen=True)
class OverlapSummary:
    """Distribution of the propensity score ``e(X) = P(T=1 | X)`` in each arm.

    Attributes:
        n_treated: number of treated units.
        n_control: number of control units.
        treated_quantiles: min, 5%, median, 95% and max of ``e`` among the treated.
        control_quantiles: the same among the controls.
        threshold: propensities below it or above ``1 - threshold`` count as extreme.
        share_extreme: share of all units with an extreme propensity.
        ess_treated: Kish effective sample size of the treated under ATE weights ``1 / e``.
        ess_control: the same for the controls under weights ``1 / (1 - e)``.
    """

    n_treated: int
    n_control: int
    treated_quantiles: tuple[float, ...]
    control_quantiles: tuple[float, ...]
    threshold: float
    share_extreme: float
    ess_treated: float
    ess_control: float

    def __str__(self) -> str:
        head = "arm       n     min     5%    50%    95%    max    ESS"
        rows = [
            f"treated {self.n_treated:>4} "
            + " ".join(f"{q:6.3f}" for q in self.treated_quantiles)
            + f" {self.ess_treated:6.1f}",
            f"control {self.n_control:>4} "
            + " ".join(f"{q:6.3f}" for q in self.control_quantiles)
            + f" {self.ess_control:6.1f}",
        ]
        tail = (
            f"{self.share_extreme:.1%} of units have e(X) outside "
            f"[{self.threshold:g}, {1 - self.threshold:g}]"
        )
        return "\n".join([head, *rows, tail])


def _kish_ess(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum()) if w.size else 0.0


def overlap_summary(propensity: Any, t: Any, *, threshold: float = 0.05) -> OverlapSummary:
    """Summarise the propensity score by arm (a positivity diagnostic).

    Args:
        propensity: ``P(T=1 | X)`` per unit, shape ``(n,)`` (or ``(n, 2)`` class probabilities),
            e.g. an estimator's ``propensity_``.
        t: binary treatment 0/1, shape ``(n,)``.
        threshold: propensities below it or above ``1 - threshold`` are reported as extreme.

    Returns:
        The summary; ``print`` it for a table.

    Examples:
        >>> s = overlap_summary([0.2, 0.4, 0.6, 0.9], [0, 0, 1, 1])
        >>> s.n_treated, round(s.share_extreme, 2)
        (2, 0.0)
    """
    e, tt = _binary_inputs(propensity, t)
    treated, control = e[tt == 1], e[tt == 0]
    safe = np.clip(e, 1e-12, 1 - 1e-12)
    return OverlapSummary(
        n_treated=int(treated.size),
        n_control=int(control.size),
        treated_quantiles=tuple(float(q) for q in np.quantile(treated, _QUANTILES)),
        control_quantiles=tuple(float(q) for q in np.quantile(control, _QUANTILES)),
        threshold=threshold,
        share_extreme=float(np.mean((e < threshold) | (e > 1 - threshold))),
        ess_treated=_kish_ess(1.0 / safe[tt == 1]),
        ess_control=_kish_ess(1.0 / (1.0 - safe[tt == 0])),
    )


def plot_overlap(propensity: Any, t: Any, *, ax: Axes | None = None, bins: int = 30) -> Axes:
    """Histogram of the propensity score in each arm (mirrored: treated up, control down).

    Args:
        propensity: ``P(T=1 | X)`` per unit, shape ``(n,)`` or ``(n, 2)``.
        t: binary treatment 0/1.
        ax: axes to draw on (a new figure when ``None``).
        bins: number of histogram bins on ``[0, 1]``.

    Returns:
        The matplotlib axes.
    """
    import matplotlib.pyplot as plt

    e, tt = _binary_inputs(propensity, t)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    edges = np.linspace(0.0, 1.0, bins + 1)
    h1, _ = np.histogram(e[tt == 1], bins=edges)
    h0, _ = np.histogram(e[tt == 0], bins=edges)
    width = edges[1] - edges[0]
    ax.bar(edges[:-1], h1, width=width, align="edge", color="tab:red", alpha=0.7, label="treated")
    ax.bar(edges[:-1], -h0, width=width, align="edge", color="tab:blue", alpha=0.7, label="control")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("propensity score e(X) = P(T=1 | X)")
    ax.set_ylabel("units (control below the line)")
    ax.legend(loc="upper center")
    return ax


def check_overlap(
    propensity: np.ndarray, t: np.ndarray, *, clip: float, method: str, strict: bool = True
) -> None:
    """Refuse data whose propensities separate an arm completely; warn about extreme propensities.

    Args:
        propensity: class probabilities, shape ``(n, k)``; column ``a`` is ``P(T = a | X)``.
        t: arm codes ``0..k-1``.
        clip: propensities below ``clip`` count as a poor-overlap warning.
        method: the estimator's name, for messages.
        strict: whether a complete separation is an error; ``fit(..., overlap="warn")`` turns it
            into an :class:`OverlapWarning` for a user who accepts extrapolation.

    Raises:
        DataError: the propensity of some arm is higher for every unit in that arm than for every
            unit outside it (no overlap: the data carry no information about the effect).

    Warns:
        OverlapWarning: some units have a propensity below ``clip`` for some arm (or above
            ``1 - clip`` for a binary treatment). Estimators that clip say so in their docstring.
    """
    k = propensity.shape[1]
    arms = (1,) if k == 2 else tuple(range(k))
    for a in arms:
        inside, outside = propensity[t == a, a], propensity[t != a, a]
        if inside.size and outside.size and outside.max() < inside.min():
            message = (
                f"{method}: no overlap: the estimated propensity of arm {a} separates the arms "
                f"completely (max {outside.max():.3g} outside the arm < min {inside.min():.3g} "
                "inside it); treated and control units share no covariate region, so the effect "
                "is not identified from these data; restrict the population or the covariates"
            )
            if strict:
                raise DataError(message + ' (fit(..., overlap="warn") accepts it with a warning)')
            warnings.warn(message, OverlapWarning, stacklevel=3)
            return
    low = propensity < clip
    if low.any():
        n_units = int(low.any(axis=1).sum())
        share = n_units / propensity.shape[0]
        smallest = float(propensity.min())
        warnings.warn(
            f"{method}: poor overlap: {n_units} unit(s) ({share:.1%}) have a propensity below "
            f"{clip:g} for some arm (smallest {smallest:.2g}): weights there are extreme and "
            "outcome models extrapolate; consider trimming those units or restricting the "
            "population (see overlap_summary)",
            OverlapWarning,
            stacklevel=3,
        )


def clip_propensity(propensity: np.ndarray, clip: float) -> np.ndarray:
    """Clip class probabilities to ``[clip, 1]`` and renormalise rows (binary: ``[clip, 1 - clip]``)."""
    if propensity.shape[1] == 2:
        e1 = np.clip(propensity[:, 1], clip, 1.0 - clip)
        return np.column_stack([1.0 - e1, e1])
    p = np.maximum(propensity, clip)
    return p / p.sum(axis=1, keepdims=True)
