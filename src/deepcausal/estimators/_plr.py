"""The effect of a continuous treatment by double machine learning in the partially linear model.

``Y = θ·T + g(X) + U`` with ``E[U | X, T] = 0``, ``T = m(X) + V`` with ``E[V | X] = 0`` (Robinson
1988). The nuisances ``ℓ(X) = E[Y | X]`` and ``m(X) = E[T | X]`` are cross-fitted on K folds and
``θ`` solves the Neyman-orthogonal partialling-out score ``E[(Ỹ - θ T̃) T̃] = 0`` with residuals
``Ỹ = Y - ℓ(X)``, ``T̃ = T - m(X)`` (Chernozhukov, Chetverikov, Demirer, Duflo, Hansen, Newey &
Robins 2018, "Double/debiased machine learning for treatment and structural parameters",
Econometrics Journal, §4.1; DoubleML's ``DoubleMLPLR`` with ``score="partialling out"``). The
variance is ``J⁻² E[ψ²] / n`` with ``J = E[T̃²]`` and ``ψ = (Ỹ - θ T̃) T̃``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError, OverlapWarning
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._nuisance import (
    check_learner,
    cross_fit,
    default_outcome_model,
    seeds,
)
from deepcausal.estimators._validation import _check_vector, check_outcome, check_X

__all__ = ["PartiallyLinearDML"]


class PartiallyLinearDML(BaseEstimator):
    """Double machine learning for a continuous treatment: one slope ``θ``, the effect of a unit
    increase of ``T`` (see the module docstring for the model, the score and the variance).

    When the effect of ``T`` is not linear or varies with ``X``, ``θ`` is the variance-weighted
    average slope ``E[Var(T | X) θ(X)] / E[Var(T | X)]``; the :class:`Effect` is labelled as the
    average slope, never as the effect of any particular change.

    Args:
        outcome_model: scikit-learn regressor for ``ℓ(X) = E[Y | X]`` (default: histogram
            gradient boosting).
        treatment_model: scikit-learn regressor for ``m(X) = E[T | X]`` (default: the same).
        n_folds: cross-fitting folds.
        random_state: seed for the folds and for unseeded learners.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(2000, 2))
        >>> t = X[:, 0] + rng.normal(size=2000)
        >>> y = 1.5 * t + np.sin(X[:, 0]) + X[:, 1] + rng.normal(size=2000)
        >>> est = PartiallyLinearDML(random_state=0).fit(X, t, y)
        >>> abs(est.ate().value - 1.5) < 0.1
        True
    """

    def __init__(
        self,
        outcome_model: Any = None,
        treatment_model: Any = None,
        n_folds: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.outcome_model = outcome_model
        self.treatment_model = treatment_model
        self.n_folds = n_folds
        self.random_state = random_state

    def fit(self, X: Any, t: Any, y: Any) -> PartiallyLinearDML:
        """Cross-fit the nuisances and solve the score for ``θ``."""
        check_learner(self.outcome_model, "outcome_model", needs_proba=False)
        check_learner(self.treatment_model, "treatment_model", needs_proba=False)
        if not isinstance(self.n_folds, int) or self.n_folds < 2:
            raise ValueError(f"n_folds must be an integer >= 2, got {self.n_folds!r}")
        Xa, names = check_X(X)
        n = Xa.shape[0]
        tv = _check_vector(t, "t", n)
        try:
            ta = tv.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError("t must be numeric for a continuous treatment") from None
        if not np.all(np.isfinite(ta)):
            raise DataError("t has missing or infinite values")
        if np.unique(ta).size < 3:
            raise DataError(
                "t takes fewer than 3 values: for a binary or categorical treatment use DML"
            )
        ya = check_outcome(y, n)
        if n < 2 * self.n_folds:
            raise DataError(f"{n} rows are too few for {self.n_folds}-fold cross-fitting")
        y_res = np.empty(n)
        t_res = np.empty(n)
        split_seed, *fit_seeds = seeds(self.random_state, 2 * self.n_folds + 1)
        splits = KFold(self.n_folds, shuffle=True, random_state=split_seed).split(Xa)
        for k, (train, held) in enumerate(splits):
            _, ell = cross_fit(
                self.outcome_model, default_outcome_model(), Xa, ya, train, held, fit_seeds[2 * k]
            )
            _, m = cross_fit(
                self.treatment_model, default_outcome_model(), Xa, ta, train, held,
                fit_seeds[2 * k + 1],
            )  # fmt: skip
            y_res[held] = ya[held] - ell
            t_res[held] = ta[held] - m
        J = float(np.mean(t_res**2))
        share = J / max(float(np.var(ta)), 1e-300)
        if share <= 1e-6:
            raise DataError(
                "the treatment is (almost) a function of the covariates: nothing is left of it "
                "once X is accounted for, so its effect cannot be told apart from theirs"
            )
        if share < 0.05:
            warnings.warn(
                f"only {share:.1%} of the treatment's variance is left once X is accounted for: "
                "its effect rests on little variation (the continuous analogue of poor overlap) "
                "and the slope extrapolates",
                OverlapWarning,
                stacklevel=2,
            )
        theta = float(np.mean(y_res * t_res) / J)
        psi = (y_res - theta * t_res) * t_res
        self.theta_ = theta
        self.std_error_ = math.sqrt(float(np.mean(psi**2)) / J**2 / n)
        self.residual_variance_share_ = share
        self.n_ = n
        self.feature_names_in_ = None if names is None else np.asarray(names, dtype=object)
        self.treatment_name_ = str(getattr(t, "name", None) or "t")
        return self

    def effect(self, X: Any = None, t0: float = 0.0, t1: float = 1.0) -> np.ndarray:
        """Each unit's effect of moving ``T`` from ``t0`` to ``t1``: ``θ (t1 - t0)`` (the model's
        effect is the same for every unit)."""
        self._check_fitted()
        n = self.n_ if X is None else check_X(X)[0].shape[0]
        return np.full(n, self.theta_ * (float(t1) - float(t0)))

    def ate(self, t0: float = 0.0, t1: float = 1.0, level: float = 0.95) -> Effect:
        """The average effect of moving every unit's ``T`` from ``t0`` to ``t1``, with an
        interval: ``θ (t1 - t0)``."""
        self._check_fitted()
        level = check_level(level)
        delta = float(t1) - float(t0)
        effect = normal_effect(
            self.theta_ * delta,
            self.std_error_ * abs(delta),
            level=level,
            method="DML (partially linear, continuous treatment)",
            estimand="average slope" if delta == 1.0 else f"average slope × {delta:g}",
        )
        name = self.treatment_name_
        return replace(effect, contrast=f"{name}={float(t1):g} vs {name}={float(t0):g}", n=self.n_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "theta_"):
            raise NotFittedError(
                "this PartiallyLinearDML is not fitted yet; call fit(X, t, y) first"
            )
