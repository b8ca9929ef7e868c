"""Double machine learning: the interactive and the partially linear model (Chernozhukov et al. 2018)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from deepcausal.estimators._aipw import AIPW
from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand, normal_effect
from deepcausal.estimators._nuisance import (
    check_cross_fitting,
    cross_fit,
    default_outcome_model,
    default_propensity_model,
    folds,
    predict_mean,
    predict_proba_arms,
    seeds,
)
from deepcausal.estimators._overlap import check_overlap
from deepcausal.estimators._validation import FitData

CateForm = Literal["interactive", "constant", "linear"]


class DML(BaseEffectEstimator):
    """Double/debiased machine learning, cross-fitted (Chernozhukov et al. 2018).

    ``cate="interactive"`` (the default) is the interactive regression model (IRM), §5.1 of the
    paper and DoubleML's ``DoubleMLIRM``: ``Y = g(T, X) + U``, ``T = m(X) + V``, with no restriction
    on how the effect varies. ``g(0, X)``, ``g(1, X)`` and ``m(X)`` are cross-fitted and the ATE is
    the mean of the doubly robust (AIPW) score, the ATT that of the ATTE score; propensities are
    clipped to ``[0.01, 0.99]`` as DoubleML trims them. It estimates the ATE whatever the effect's
    heterogeneity.

    ``cate="constant"`` and ``cate="linear"`` are the partially linear model (PLR)
    ``Y = θ(X)·T + g(X) + U`` with ``E[U | X, T] = 0`` (Robinson 1988). The nuisances
    ``ℓ(X) = E[Y | X]`` and ``m(X) = P(T = 1 | X)`` are fit on K-1 folds and evaluated on the
    held-out fold; ``θ`` solves the Neyman-orthogonal score
    ``E[(Ỹ - θ(X) T̃) T̃] = 0`` with residuals ``Ỹ = Y - ℓ(X)``, ``T̃ = T - m(X)``
    (Chernozhukov, Chetverikov, Demirer, Duflo, Hansen, Newey & Robins 2018, "Double/debiased
    machine learning for treatment and structural parameters", Econometrics Journal, §4.1).

    - ``cate="constant"`` (the paper's estimator): ``θ`` is one number, the ATE and the ATT;
      its variance is ``J⁻² E[ψ²] / n`` with ``J = E[T̃²]``.
    - ``cate="linear"``: ``θ(X) = β₀ + (X - X̄)ᵀβ`` (standardised X), fit by least squares of
      ``Ỹ`` on ``T̃ · [1, X - X̄]``; the ATE on the fit data is ``β₀``, the ATT the mean of
      ``θ(X)`` over the treated; intervals from the heteroskedasticity-robust sandwich.

    Under a non-constant effect the constant-θ estimator targets the overlap-weighted average
    effect ``E[m(X)(1 - m(X)) τ(X)] / E[m(X)(1 - m(X))]``, not the ATE, and its :class:`Effect`
    says so (``estimand="overlap-weighted ATE"``); it is the ATE only when the effect is constant.
    Binary treatment only.
    Cross-fitted propensities outside ``[0.01, 0.99]`` raise an
    :class:`~deepcausal.errors.OverlapWarning` (they are not clipped: the score never divides by
    them, but such units carry almost no information about the effect).

    Args:
        outcome_model: scikit-learn regressor for ``ℓ(X) = E[Y | X]`` (PLR) or ``g(a, X)`` (IRM)
            (default: histogram gradient boosting).
        treatment_model: scikit-learn classifier for ``m(X)`` (default: histogram gradient
            boosting with calibrated probabilities).
        n_folds: number of cross-fitting folds.
        cate: ``"interactive"`` (IRM), ``"constant"`` or ``"linear"`` (PLR).
        random_state: seed for the folds and for unseeded learners.

    Attributes:
        coef_: ``θ`` (constant) or ``[β₀, β...]`` (linear, on standardised covariates).
        coef_cov_: covariance matrix of ``coef_``.
        residuals_: ``(Ỹ, T̃)`` on the fit data.
        propensity_: cross-fitted ``P(T = a | X)``, shape ``(n, 2)``.

    Examples:
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(500, 2))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
        >>> y = 1.5 * t + np.sin(X[:, 0]) + rng.normal(size=500)
        >>> abs(DML(LinearRegression(), random_state=0).fit(X, t, y).ate().value - 1.5) < 0.3
        True
        >>> DML(LinearRegression(), cate="constant", random_state=0).fit(X, t, y).ate().estimand
        'overlap-weighted ATE'
    """

    _method = "DML"
    _checks_overlap = True

    def __init__(
        self,
        outcome_model: Any = None,
        treatment_model: Any = None,
        *,
        n_folds: int = 5,
        cate: CateForm = "interactive",
        random_state: int | None = None,
    ) -> None:
        self.outcome_model = outcome_model
        self.treatment_model = treatment_model
        self.n_folds = n_folds
        self.cate = cate
        self.random_state = random_state

    def _check_params(self) -> None:
        check_cross_fitting(
            self.outcome_model, self.treatment_model, "treatment_model", self.n_folds
        )
        if self.cate not in ("interactive", "constant", "linear"):
            raise ValueError(
                f"cate must be 'interactive', 'constant' or 'linear', got {self.cate!r}"
            )

    def _features(self, X: np.ndarray) -> np.ndarray:
        if self.cate == "constant":
            return np.ones((X.shape[0], 1))
        return np.column_stack([np.ones(X.shape[0]), (X - self.x_mean_) / self.x_scale_])

    def _fit(self, data: FitData) -> None:
        if self.cate == "interactive":
            # the IRM's score is the cross-fitted AIPW score: one implementation serves both
            self.irm_ = AIPW(
                self.outcome_model,
                self.treatment_model,
                n_folds=self.n_folds,
                clip=0.01,
                random_state=self.random_state,
            )._fit_validated(data, check_overlap=False)
            self.propensity_ = self.irm_.propensity_
            check_overlap(
                self.propensity_, data.t, clip=0.01, method=self.method_name,
                strict=data.strict_overlap,
            )  # fmt: skip
            return
        X, t, y = data.X, data.t, data.y
        n = X.shape[0]
        split_seed, *model_seeds = seeds(self.random_state, 1 + 2 * self.n_folds)
        ell = np.zeros(n)
        e = np.zeros((n, 2))
        self.outcome_models_: list[Any] = []
        self.treatment_models_: list[Any] = []
        s = iter(model_seeds)
        for train, test in folds(t, int(self.n_folds), split_seed):
            m_y, ell[test] = cross_fit(
                self.outcome_model, default_outcome_model(), X, y, train, test, next(s)
            )
            m_t, e[test] = cross_fit(
                self.treatment_model, default_propensity_model(), X, t, train, test, next(s), 2
            )
            self.outcome_models_.append(m_y)
            self.treatment_models_.append(m_t)
        check_overlap(e, t, clip=0.01, method=self.method_name, strict=data.strict_overlap)
        self.propensity_ = e
        y_res = y - ell
        t_res = t - e[:, 1]
        self.residuals_ = (y_res, t_res)
        self.x_mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        Z = self._features(X) * t_res[:, None]
        gram = Z.T @ Z
        coef, *_ = np.linalg.lstsq(gram, Z.T @ y_res, rcond=None)
        resid = y_res - Z @ coef
        bread = np.linalg.pinv(gram)
        meat = (Z * resid[:, None] ** 2).T @ Z
        # small-sample degrees-of-freedom correction (HC1)
        dof = n / max(n - Z.shape[1], 1)
        self.coef_ = coef
        self.coef_cov_ = dof * bread @ meat @ bread

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        if self.cate == "interactive":
            return self.irm_._predict_outcomes(X)
        ell = np.mean([predict_mean(m, X) for m in self.outcome_models_], axis=0)
        m = np.mean([predict_proba_arms(p, X, 2)[:, 1] for p in self.treatment_models_], axis=0)
        theta = self._features(X) @ self.coef_
        mu0 = ell - theta * m
        return np.column_stack([mu0, mu0 + theta])

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        method = f"{self.method_name} ({self.cate})"
        if self.cate == "interactive":
            return replace(self.irm_._average(estimand, arm, level), method=method)
        d = self.fit_data_
        rows = d.X if estimand == "ATE" else d.X[d.t == 1]
        a = self._features(rows).mean(axis=0)
        value = float(a @ self.coef_)
        se = math.sqrt(max(float(a @ self.coef_cov_ @ a), 0.0))
        label = "overlap-weighted ATE" if self.cate == "constant" else estimand
        return normal_effect(value, se, level=level, method=method, estimand=label)
