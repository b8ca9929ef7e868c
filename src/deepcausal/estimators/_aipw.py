"""Augmented inverse propensity weighting (doubly robust) with K-fold cross-fitting."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand, influence_effect
from deepcausal.estimators._nuisance import (
    check_cross_fitting,
    cross_fit,
    default_outcome_model,
    default_propensity_model,
    folds,
    predict_mean,
    seeds,
)
from deepcausal.estimators._overlap import check_overlap, clip_propensity
from deepcausal.estimators._validation import FitData


def aipw_ate_scores(
    mu: np.ndarray, e: np.ndarray, t: np.ndarray, y: np.ndarray, arm: int
) -> np.ndarray:
    """Per-unit AIPW scores for ``E[Y(arm) - Y(0)]``; their mean is the estimate.

    ``φ_i = μ_a(X_i) - μ_0(X_i) + 1{T_i=a}(Y_i - μ_a(X_i)) / e_a(X_i)
    - 1{T_i=0}(Y_i - μ_0(X_i)) / e_0(X_i)``.
    """
    is_a, is_0 = (t == arm).astype(float), (t == 0).astype(float)
    return (
        mu[:, arm]
        - mu[:, 0]
        + is_a * (y - mu[:, arm]) / e[:, arm]
        - is_0 * (y - mu[:, 0]) / e[:, 0]
    )


def aipw_att(
    mu: np.ndarray, e: np.ndarray, t: np.ndarray, y: np.ndarray, arm: int
) -> tuple[float, np.ndarray]:
    """Doubly robust ATT ``E[Y(a) - Y(0) | T = a]`` and its influence function.

    The score of Chernozhukov et al. (2018, §5.1) for the ATTE:
    ``θ = E[1{T=a}(Y - μ_0) - e_a/e_0 · 1{T=0}(Y - μ_0)] / P(T=a)``.
    """
    is_a, is_0 = (t == arm).astype(float), (t == 0).astype(float)
    p_a = is_a.mean()
    resid0 = y - mu[:, 0]
    num = is_a * resid0 - e[:, arm] / e[:, 0] * is_0 * resid0
    theta = float(num.mean() / p_a)
    return theta, (num - theta * is_a) / p_a


class AIPW(BaseEffectEstimator):
    """Doubly robust AIPW estimator with K-fold cross-fitting.

    The outcome regressions ``μ_a(x) = E[Y | T=a, X=x]`` (one model per arm) and the propensity
    ``e_a(x) = P(T=a | X=x)`` are fit on K-1 folds and evaluated on the held-out fold; the ATE is the
    mean of the efficient influence-function scores (Robins, Rotnitzky & Zhao 1994; cross-fitting as
    in Chernozhukov et al. 2018, "Double/debiased machine learning for treatment and structural
    parameters", Econometrics Journal). The ATT uses the ATTE score of the same paper. Intervals are
    Wald intervals from the variance of the scores; they are valid when both nuisances converge
    fast enough (the product of their errors is ``o(n^{-1/2})``).

    Works with multi-valued treatments (``arm=`` picks the contrast with ``classes_[0]``) and with
    continuous or 0/1 outcomes (pass a regressor, or a classifier for a 0/1 outcome).

    Args:
        outcome_model: scikit-learn regressor for ``μ_a`` (default: histogram gradient boosting).
        propensity_model: scikit-learn classifier with ``predict_proba`` (default: histogram
            gradient boosting with probabilities calibrated by Platt scaling).
        n_folds: number of cross-fitting folds (at least 2).
        clip: propensities are clipped to ``[clip, 1 - clip]`` (a warning reports how many).
        random_state: seed for the folds and for unseeded learners.

    Attributes:
        classes_: treatment values; ``classes_[0]`` is the control arm.
        mu_: cross-fitted outcome predictions on the fit data, shape ``(n, n_arms)``.
        propensity_: cross-fitted (unclipped) propensities on the fit data, shape ``(n, n_arms)``.
        outcome_models_: per fold, the list of fitted per-arm outcome models.

    Examples:
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(400, 2))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
        >>> y = 2.0 * t + X[:, 0] + rng.normal(size=400)
        >>> est = AIPW(LinearRegression(), random_state=0).fit(X, t, y)
        >>> abs(est.ate().value - 2.0) < 0.3
        True
    """

    _multi_arm = True
    _method = "AIPW"
    _checks_overlap = True

    def __init__(
        self,
        outcome_model: Any = None,
        propensity_model: Any = None,
        *,
        n_folds: int = 5,
        clip: float = 0.01,
        random_state: int | None = None,
    ) -> None:
        self.outcome_model = outcome_model
        self.propensity_model = propensity_model
        self.n_folds = n_folds
        self.clip = clip
        self.random_state = random_state

    def _check_params(self) -> None:
        check_cross_fitting(
            self.outcome_model, self.propensity_model, "propensity_model", self.n_folds
        )
        if not 0.0 <= self.clip < 0.5:
            raise ValueError(f"clip must be in [0, 0.5), got {self.clip}")

    def _fit(self, data: FitData) -> None:
        X, t, y = data.X, data.t, data.y
        k = len(data.classes)
        n = X.shape[0]
        split_seed, *model_seeds = seeds(self.random_state, 1 + self.n_folds * (k + 1))
        splits = folds(t, int(self.n_folds), split_seed)
        mu = np.zeros((n, k))
        e = np.zeros((n, k))
        self.outcome_models_: list[list[Any]] = []
        self.propensity_models_: list[Any] = []
        s = iter(model_seeds)
        for train, test in splits:
            models = []
            for a in range(k):
                rows = train[t[train] == a]
                m, mu[test, a] = cross_fit(
                    self.outcome_model, default_outcome_model(), X, y, rows, test, next(s)
                )
                models.append(m)
            self.outcome_models_.append(models)
            p, e[test] = cross_fit(
                self.propensity_model, default_propensity_model(), X, t, train, test, next(s), k
            )
            self.propensity_models_.append(p)
        check_overlap(e, t, clip=self.clip, method=self.method_name, strict=data.strict_overlap)
        self.mu_ = mu
        self.propensity_ = e

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        k = len(self.classes_)
        out = np.zeros((X.shape[0], k))
        for models in self.outcome_models_:
            for a in range(k):
                out[:, a] += predict_mean(models[a], X)
        return out / len(self.outcome_models_)

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        d = self.fit_data_
        e = clip_propensity(self.propensity_, self.clip)
        label = self._estimand_label(estimand, arm)
        if estimand == "ATE":
            scores = aipw_ate_scores(self.mu_, e, d.t, d.y, arm)
            return influence_effect(scores, level=level, method=self.method_name, estimand=label)
        theta, infl = aipw_att(self.mu_, e, d.t, d.y, arm)
        return influence_effect(
            infl, level=level, method=self.method_name, estimand=label, value=theta
        )
