"""The value every effect answer returns: an estimate with its standard error and confidence
interval, whichever estimator or model produced it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Effect", "check_level", "normal_effect"]


def check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be in (0, 1), e.g. 0.95; got {level}")
    return float(level)


def _label(value: Any) -> str:
    """A treatment value as users wrote it (``1``, ``'drug'``), not as numpy reprs it."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _fmt(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 1e5:
        return f"{x:.2f}"
    return f"{x:.3g}"


@dataclass(frozen=True)
class Effect:
    """An average treatment effect with its confidence interval.

    Attributes:
        value: the point estimate.
        ci_low: lower end of the confidence interval.
        ci_high: upper end of the confidence interval.
        std_error: the estimated standard error of ``value``.
        method: the estimator (and, where it matters, how the interval was made).
        estimand: ``"ATE"`` or ``"ATT"`` (with the contrast for multi-valued treatments), or the
            weighted effect an estimator targets instead (e.g. ``"overlap-weighted ATE"``).
        level: the confidence level of the interval.
        contrast: which arm is compared with which, e.g. ``"t='drug' vs t='placebo'"``.

    >>> e = Effect(4.02, 3.85, 4.19, 0.087, "AIPW", contrast="t=1 vs t=0")
    >>> print(e)
    ATE = 4.02 (95% CI 3.85 to 4.19), AIPW; t=1 vs t=0
    >>> e.to_dict()["p_value"] < 1e-10
    True
    """

    value: float
    ci_low: float
    ci_high: float
    std_error: float
    method: str
    estimand: str = "ATE"
    level: float = 0.95
    contrast: str = ""
    n: int | None = None

    def __str__(self) -> str:
        text = (
            f"{self.estimand} = {_fmt(self.value)} ({self.level * 100:g}% CI "
            f"{_fmt(self.ci_low)} to {_fmt(self.ci_high)}), {self.method}"
        )
        return f"{text}; {self.contrast}" if self.contrast else text

    def covers(self, truth: float) -> bool:
        """Whether the interval contains ``truth``."""
        return self.ci_low <= truth <= self.ci_high

    @property
    def p_value(self) -> float:
        """Two-sided p-value of ``value = 0`` under the normal approximation of the interval."""
        if not self.std_error > 0 or not math.isfinite(self.std_error):
            return math.nan
        return float(2 * stats.norm.sf(abs(self.value) / self.std_error))

    def to_dict(self) -> dict[str, Any]:
        """Every field and the p-value, as plain JSON-serialisable values."""
        return {
            "estimand": self.estimand,
            "contrast": self.contrast,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "level": self.level,
            "std_error": self.std_error,
            "p_value": self.p_value,
            "n": self.n,
            "method": self.method,
        }

    def summary(self) -> str:
        """A few aligned lines: the estimand and arms, estimate, interval, standard error,
        p-value, units and method.

        >>> print(Effect(2.0, 1.5, 2.5, 0.255, "AIPW", contrast="t=1 vs t=0", n=400).summary())
        ATE           t=1 vs t=0
        estimate      2.00
        95% CI        1.50 to 2.50
        std. error    0.255
        p-value       4.4e-15
        units         400
        method        AIPW
        """
        p = self.p_value
        rows = [
            (self.estimand, self.contrast or "-"),
            ("estimate", _fmt(self.value)),
            (f"{self.level * 100:g}% CI", f"{_fmt(self.ci_low)} to {_fmt(self.ci_high)}"),
            ("std. error", f"{self.std_error:.3g}"),
            ("p-value", "-" if math.isnan(p) else f"{p:.2g}"),
            ("units", "-" if self.n is None else str(self.n)),
            ("method", self.method),
        ]
        return "\n".join(f"{key:<13} {value}" for key, value in rows)


def normal_effect(
    value: float, std_error: float, *, level: float, method: str, estimand: str
) -> Effect:
    """An :class:`Effect` with the Wald interval ``value ± z_{(1+level)/2} · std_error``."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    return Effect(
        value=float(value),
        ci_low=float(value - z * std_error),
        ci_high=float(value + z * std_error),
        std_error=float(std_error),
        method=method,
        estimand=estimand,
        level=level,
    )
