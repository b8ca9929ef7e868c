"""Regression adjustment (g-computation): one outcome model per treatment arm."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand
from deepcausal.estimators._bootstrap import bootstrap_effect, bootstrap_replicates
from deepcausal.estimators._nuisance import (
    check_learner,
    default_linear_outcome_model,
    fresh,
    predict_mean,
    seeds,
)
from deepcausal.estimators._validation import FitData


class RegressionAdjustment(BaseEffectEstimator):
    """Regression adjustment (the g-formula with an outcome model per arm).

    ``μ_a(x) = E[Y | T = a, X = x]`` is fit separately in each arm; per-unit effects are
    ``μ_a(x) - μ_0(x)`` and the ATE (ATT) is their mean over all (the treated) fit units — Robins'
    (1986) g-computation formula, ``E[Y(a)] = E_X[E[Y | T=a, X]]``, with a plug-in outcome model
    (a "T-learner"). Consistent when the outcome model is correctly specified; no propensity model.

    Intervals: a nonparametric bootstrap (``n_bootstrap`` refits on resamples stratified by arm),
    computed on the first call to ``ate``/``att`` and reused for every level.

    Works with multi-valued treatments.

    Args:
        outcome_model: scikit-learn regressor (default: ordinary least squares).
        n_bootstrap: bootstrap refits for the intervals.
        random_state: seed for the bootstrap and for unseeded learners.

    Attributes:
        outcome_models_: the fitted model of each arm.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(500, 2))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-0.5 * X[:, 0])))
        >>> y = 2.0 * t + X @ [1.0, -1.0] + rng.normal(size=500)
        >>> est = RegressionAdjustment(n_bootstrap=20, random_state=0).fit(X, t, y)
        >>> abs(est.ate().value - 2.0) < 0.3
        True
    """

    _multi_arm = True
    _method = "regression adjustment"

    def __init__(
        self,
        outcome_model: Any = None,
        *,
        n_bootstrap: int = 200,
        random_state: int | None = None,
    ) -> None:
        self.outcome_model = outcome_model
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def _check_params(self) -> None:
        check_learner(self.outcome_model, "outcome_model", needs_proba=False)
        if int(self.n_bootstrap) < 2:
            raise ValueError(f"n_bootstrap must be >= 2, got {self.n_bootstrap}")

    def _fit(self, data: FitData) -> None:
        k = len(data.classes)
        self.outcome_models_: list[Any] = []
        for a, seed in zip(range(k), seeds(self.random_state, k), strict=True):
            rows = data.t == a
            model = fresh(self.outcome_model, default_linear_outcome_model(), seed)
            model.fit(data.X[rows], data.y[rows])
            self.outcome_models_.append(model)

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([predict_mean(m, X) for m in self.outcome_models_])

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        if not hasattr(self, "bootstrap_"):
            self.bootstrap_ = bootstrap_replicates(self, int(self.n_bootstrap), self.random_state)
        return bootstrap_effect(self, estimand, arm, level, self.bootstrap_)
