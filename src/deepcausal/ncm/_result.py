"""The values that partial and neural identification return: an interval, and an identification decision."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Bounds", "NeuralIdentification", "envelope"]


@dataclass(frozen=True)
class Bounds:
    """Bounds on the average treatment effect ``E[Y | do(T=treated)] - E[Y | do(T=control)]``.

    Attributes:
        lower, upper: the interval.
        method: ``"lp"`` or ``"neural"``.
        treatment, outcome, treated, control: the query.
        tight: ``True`` when the interval is the sharp one (no model of the graph that reproduces
            the data gives a value outside it, and both ends are attained); ``False`` when it is
            valid but may be wider than the sharp interval (see the method's notes).
        violation: total-variation distance between the data's distribution and the nearest
            distribution the graph allows (``0`` when the data fit the graph; a few hundredths are
            sampling noise, more suggests a wrong graph). The bounds are those of that nearest
            distribution.
        n: rows of data used.
        per_seed: for ``"neural"``, the ``(lower, upper)`` pair of every seed.
        notes: how the interval was computed.
    """

    lower: float
    upper: float
    method: str
    treatment: str
    outcome: str
    treated: Any
    control: Any
    tight: bool
    violation: float = 0.0
    n: int = 0
    per_seed: tuple[tuple[float, float], ...] = ()
    notes: str = ""

    @classmethod
    def neural(
        cls,
        per_seed: Sequence[tuple[float, float]],
        *,
        treatment: str,
        outcome: str,
        treated: Any,
        control: Any,
        n: int,
        notes: str,
    ) -> Bounds:
        """Neural bounds: the outer envelope of every seed's ``(min, max)`` pair (not sharp)."""
        lower, upper = envelope(per_seed)
        return cls(lower, upper, "neural", treatment, outcome, treated, control, tight=False,
                   n=n, per_seed=tuple(per_seed), notes=notes)  # fmt: skip

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def contains(self, value: float, tol: float = 0.0) -> bool:
        """Whether ``value`` lies in ``[lower - tol, upper + tol]``."""
        return self.lower - tol <= value <= self.upper + tol

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": f"E[{self.outcome} | do({self.treatment}={self.treated})] - "
            f"E[{self.outcome} | do({self.treatment}={self.control})]",
            "lower": self.lower,
            "upper": self.upper,
            "width": self.width,
            "method": self.method,
            "tight": self.tight,
            "violation": self.violation,
            "n": self.n,
            "per_seed": [list(p) for p in self.per_seed],
            "notes": self.notes,
        }

    def summary(self) -> str:
        kind = "sharp" if self.tight else "valid, possibly wider than sharp"
        lines = [
            f"ATE of {self.treatment}={self.treated} vs {self.control} on {self.outcome}: "
            f"[{self.lower:.4f}, {self.upper:.4f}] (width {self.width:.4f}; {self.method} bounds, {kind})",
        ]
        if self.violation > 0:
            lines.append(
                f"the data lie at total-variation distance {self.violation:.4f} from the graph's models"
            )
        if self.notes:
            lines.append(self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class NeuralIdentification:
    """The decision of neural identification (Xia, Lee, Bengio & Bareinboim 2021) for one query.

    Attributes:
        identifiable: ``gap + z * se <= tau``.
        lower, upper: the query's smallest and largest value over the neural causal models that fit
            the data (means over seeds).
        estimate: the midpoint when identifiable, else ``None``.
        tau, z: the decision threshold and the one-sided normal quantile.
        per_seed: ``(min, max)`` query values of every seed.
        fit_distance: per seed and run, the total-variation distance between each fitted model's
            observational distribution and the data's.
        symbolic: what the ID algorithm says (``True``/``False``), for comparison; ``None`` for
            counterfactual queries.
        seconds: wall time.
        query: the query in words (empty for the average effect).
    """

    identifiable: bool
    lower: float
    upper: float
    estimate: float | None
    treatment: str
    outcome: str
    treated: Any
    control: Any
    tau: float
    z: float
    per_seed: tuple[tuple[float, float], ...]
    fit_distance: tuple[tuple[float, float], ...] = ()
    symbolic: bool | None = None
    seconds: float = 0.0
    query: str = ""

    @property
    def gap(self) -> float:
        """Mean over seeds of ``max - min``."""
        return float(np.mean([hi - lo for lo, hi in self.per_seed]))

    @property
    def gap_se(self) -> float:
        """Standard error of :attr:`gap` over seeds (0 with one seed)."""
        gaps = [hi - lo for lo, hi in self.per_seed]
        if len(gaps) < 2:
            return 0.0
        return float(np.std(gaps, ddof=1) / math.sqrt(len(gaps)))

    @property
    def text(self) -> str:
        """The query in words."""
        return self.query or (
            f"E[{self.outcome} | do({self.treatment}={self.treated})] - "
            f"E[{self.outcome} | do({self.treatment}={self.control})]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.text,
            "identifiable": self.identifiable,
            "lower": self.lower,
            "upper": self.upper,
            "gap": self.gap,
            "gap_se": self.gap_se,
            "estimate": self.estimate,
            "tau": self.tau,
            "per_seed": [list(p) for p in self.per_seed],
            "fit_distance": [list(p) for p in self.fit_distance],
            "symbolic": self.symbolic,
            "seconds": self.seconds,
        }

    def summary(self) -> str:
        verdict = "identifiable" if self.identifiable else "not identifiable"
        head = (
            f"neural identification: {verdict} (gap {self.gap:.4f} + {self.z:.2f} x SE "
            f"{self.gap_se:.4f} {'<=' if self.identifiable else '>'} tau {self.tau})"
        )
        lines = [
            f"{self.text}: {head}",
            f"range over fitted models: [{self.lower:.4f}, {self.upper:.4f}]",
        ]
        if self.estimate is not None:
            lines.append(f"estimate: {self.estimate:.4f}")
        if self.symbolic is not None:
            agree = "agrees" if self.symbolic == self.identifiable else "DISAGREES"
            lines.append(
                f"the ID algorithm says {'identifiable' if self.symbolic else 'not'} ({agree})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def envelope(per_seed: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The outer envelope of per-seed ``(lower, upper)`` pairs: the lowest lower end and the
    highest upper end (what the neural bounds report)."""
    return float(min(lo for lo, _ in per_seed)), float(max(hi for _, hi in per_seed))
