"""The plug-in estimator of any identified effect on discrete data: the ID algorithm's estimand
evaluated on empirical frequencies, with a bootstrap interval."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.identify import Estimand

__all__ = ["PlugInEstimand"]


class PlugInEstimand(BaseEstimator):
    """``E[Y | do(T=t)] - E[Y | do(T=c)]`` by evaluating an identified :class:`Estimand` on the
    data's frequencies (Shpitser & Pearl 2006's ID formula, plug-in), with a nonparametric
    bootstrap of the rows for the interval.

    It serves every effect the ID algorithm identifies — the napkin graph, the Verma graph — where
    neither back-door nor front-door adjustment applies. Every variable of the estimand must be
    discrete (plug-in frequencies); the outcome must be numeric.

    Args:
        n_bootstrap: bootstrap refits for the interval.
        random_state: seed of the bootstrap.
    """

    def __init__(self, *, n_bootstrap: int = 200, random_state: int | None = None) -> None:
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(
        self, data: pd.DataFrame, estimand: Estimand, *, treated: Any, control: Any
    ) -> PlugInEstimand:
        """Evaluate ``estimand`` at ``treated`` and ``control`` on ``data`` and its resamples."""
        if len(estimand.treatment) != 1 or len(estimand.outcome) != 1:
            raise DataError("the plug-in effect needs one treatment and one outcome")
        if int(self.n_bootstrap) < 2:
            raise ValueError(f"n_bootstrap must be >= 2, got {self.n_bootstrap}")
        self.estimand_ = estimand
        self.treated_, self.control_ = treated, control
        self.value_ = self._effect(data)
        rng = np.random.default_rng(self.random_state)
        reps = []
        for _ in range(int(self.n_bootstrap)):
            sample = data.iloc[rng.integers(0, len(data), len(data))]
            try:
                reps.append(self._effect(sample))
            except DataError:  # a resample that lost a needed cell: skip it
                continue
        if len(reps) < 2:
            raise DataError("too few bootstrap resamples keep every cell the estimand needs")
        self.bootstrap_ = np.asarray(reps)
        self.n_ = len(data)
        return self

    def _effect(self, data: pd.DataFrame) -> float:
        (t,), (y,) = self.estimand_.treatment, self.estimand_.outcome
        means = []
        for value in (self.treated_, self.control_):
            dist = self.estimand_.evaluate(data, {t: value})
            try:
                numbers = np.asarray(dist.index, dtype=float)
            except (TypeError, ValueError):
                raise DataError(f"outcome {y!r} is not numeric; recode it, e.g. 0/1") from None
            means.append(float(np.dot(numbers, dist.to_numpy())))
        return means[0] - means[1]

    def ate(self, level: float = 0.95) -> Effect:
        """The effect with a bootstrap Wald interval."""
        if not hasattr(self, "value_"):
            raise NotFittedError("this PlugInEstimand is not fitted yet; call fit first")
        level = check_level(level)
        se = float(np.std(self.bootstrap_, ddof=1)) if self.bootstrap_.size > 1 else math.inf
        (t,) = self.estimand_.treatment
        effect = normal_effect(
            self.value_,
            se,
            level=level,
            method=f"ID plug-in, bootstrap ({self.bootstrap_.size})",
            estimand="ATE",
        )
        contrast = f"{t}={self.treated_} vs {t}={self.control_} (control)"
        return replace(effect, contrast=contrast, n=self.n_)
