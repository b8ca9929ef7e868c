"""Instrumental variables: the contract of IV estimators, and two-stage least squares.

An instrument ``Z`` moves the treatment ``T`` and reaches the outcome ``Y`` only through it, and
shares no cause with ``Y``; then the effect of ``T`` on ``Y`` is identified even when ``T`` and
``Y`` share an unobserved confounder. IV estimators learn the structural response
``h(t, x) = E[Y | do(T = t), X = x]`` (up to a constant for the nonparametric ones), so they take a
continuous or binary treatment and answer ``effect(X, t0, t1) = h(t1, x) - h(t0, x)``.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._validation import check_outcome, check_X

__all__ = [
    "BaseIVEstimator",
    "TwoStageLeastSquares",
    "WeakInstrumentWarning",
    "first_stage_f",
    "two_stage_least_squares",
]


class WeakInstrumentWarning(UserWarning):
    """The instruments barely move the treatment (first-stage F below 10, Staiger & Stock 1997)."""


def _design(X: np.ndarray | None, n: int, *extra: np.ndarray) -> np.ndarray:
    blocks = [np.ones((n, 1)), *(e.reshape(n, -1) for e in extra)]
    if X is not None:
        blocks.append(X)
    return np.column_stack(blocks)


def first_stage_f(t: np.ndarray, Z: np.ndarray, X: np.ndarray | None) -> float:
    """The F statistic of the instruments' joint significance in the regression of the treatment
    on instruments and covariates (the classic weak-instrument diagnostic).

    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 1)); t = z[:, 0] + rng.normal(size=500)
    >>> first_stage_f(t, z, None) > 100
    True
    """
    n = t.shape[0]
    full, restricted = _design(X, n, Z), _design(X, n)
    rss = [
        float(np.sum((t - d @ np.linalg.lstsq(d, t, rcond=None)[0]) ** 2))
        for d in (full, restricted)
    ]
    q, dof = Z.shape[1], n - full.shape[1]
    if dof <= 0 or rss[0] <= 0:
        return math.inf
    return ((rss[1] - rss[0]) / q) / (rss[0] / dof)


class BaseIVEstimator(BaseEstimator, ABC):
    """Base class of the instrumental-variable estimators (scikit-learn conventions).

    ``fit(X, t, y, instruments=Z)`` validates the data once: numeric and finite arrays of one row
    per unit; a treatment that varies within the instruments' strata (a discrete instrument); a
    :class:`WeakInstrumentWarning` with the first-stage F statistic below 10. ``X`` may be
    ``None`` (no covariates).
    """

    _method = "IV"

    def fit(self, X: Any, t: Any, y: Any, *, instruments: Any) -> BaseIVEstimator:
        """Fit the estimator.

        Args:
            X: covariates ``(n, d)`` (exogenous: they are their own instruments), or ``None``.
            t: treatment, continuous or 0/1, shape ``(n,)``.
            y: outcome, shape ``(n,)``.
            instruments: the instruments ``Z``, shape ``(n,)`` or ``(n, k)``.

        Raises:
            DataError: missing, non-numeric or non-finite values, mismatched lengths, or a
                treatment with no variation within the instruments' strata.
        """
        Z, _ = check_X(_as_2d(instruments, "instruments"), name="instruments")
        n = Z.shape[0]
        Xa = None if X is None else check_X(X)[0]
        if Xa is not None and Xa.shape[0] != n:
            raise DataError(f"X has {Xa.shape[0]} rows but the instruments have {n}")
        ta = check_outcome(t, n).astype(float)  # numeric, finite, one per row
        ya = check_outcome(y, n)
        if np.unique(ta).shape[0] < 2:
            raise DataError("t takes a single value: an effect needs variation in the treatment")
        _check_variation(ta, Z)
        self.first_stage_f_ = first_stage_f(ta, Z, Xa)
        if self.first_stage_f_ < 10:
            warnings.warn(
                f"weak instruments: the first-stage F statistic is {self.first_stage_f_:.2f} "
                "(below 10, Staiger & Stock 1997); IV estimates are then biased towards OLS and "
                "their intervals too narrow",
                WeakInstrumentWarning,
                stacklevel=2,
            )
        self.n_features_in_ = 0 if Xa is None else Xa.shape[1]
        self.n_instruments_ = Z.shape[1]
        self._fit(Xa, ta, ya, Z)
        self.fit_data_ = (Xa, ta, ya, Z)
        return self

    def predict(self, X: Any, t: Any) -> np.ndarray:
        """The structural response ``h(t, x)`` for each row (``t`` a scalar or one per row; with
        no covariates, ``predict(None, grid)`` evaluates ``h`` on a grid of treatment values)."""
        self._check_fitted()
        Xa = self._check_X(X)
        ta = np.asarray(t, dtype=float).reshape(-1)
        if Xa is not None:
            n = Xa.shape[0]
        else:  # no covariates: one row per treatment value, or the fit rows for a scalar
            n = ta.shape[0] if ta.shape[0] > 1 else self.fit_data_[1].shape[0]
        if ta.shape[0] not in (1, n):
            raise DataError(
                f"t has {ta.shape[0]} values for {n} rows of X: pass one or one per row"
            )
        return self._predict(Xa, np.broadcast_to(ta, (n,)).copy())

    def effect(self, X: Any, t0: float = 0.0, t1: float = 1.0) -> np.ndarray:
        """Per-unit effects ``h(t1, x) - h(t0, x)``."""
        return self.predict(X, t1) - self.predict(X, t0)

    def ate(self, t0: float = 0.0, t1: float = 1.0, level: float = 0.95) -> Effect:
        """The average effect of moving every unit from ``t0`` to ``t1``, with an interval."""
        self._check_fitted()
        effect = self._ate(float(t0), float(t1), check_level(level))
        contrast = effect.contrast or f"t={float(t1):g} vs t={float(t0):g}"
        return replace(effect, n=len(self.fit_data_[2]), contrast=contrast)

    @property
    def method_name(self) -> str:
        return self._method

    # -- what subclasses implement
    @abstractmethod
    def _fit(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray | None, t: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _ate(self, t0: float, t1: float, level: float) -> Effect: ...

    # -- helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "fit_data_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, t, y, instruments=Z)"
            )

    def _check_X(self, X: Any) -> np.ndarray | None:
        if self.n_features_in_ == 0:
            if X is not None:
                raise DataError("the estimator was fitted without covariates: pass X=None")
            return None
        return check_X(X, n_features=self.n_features_in_)[0]


def _as_2d(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise DataError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
    return arr


def _check_variation(t: np.ndarray, Z: np.ndarray) -> None:
    """A discrete instrument must leave the treatment varying across its levels."""
    if Z.shape[1] != 1 or np.unique(Z[:, 0]).shape[0] > 10:
        return
    means = [float(t[Z[:, 0] == z].mean()) for z in np.unique(Z[:, 0])]
    if np.ptp(means) == 0:
        raise DataError(
            "the treatment does not vary with the instrument: its mean is the same at every "
            f"level of it ({means[0]:.4g}); this instrument identifies nothing"
        )


def two_stage_least_squares(
    y: np.ndarray, exogenous: np.ndarray, endogenous: np.ndarray, instruments: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of ``[exogenous, endogenous]`` and their HC1 robust covariance by 2SLS, the
    endogenous columns instrumented by ``instruments`` (with the exogenous ones).

    >>> rng = np.random.default_rng(1)
    >>> z, u = rng.normal(size=(2, 1000))
    >>> d = z + u
    >>> y = 1.0 + 0.5 * d + u
    >>> coef, _ = two_stage_least_squares(y, np.ones((1000, 1)), d[:, None], z[:, None])
    >>> np.round(coef, 1).tolist()
    [1.0, 0.5]
    """
    n = y.shape[0]
    first = np.column_stack([exogenous, instruments])
    fitted = first @ np.linalg.lstsq(first, endogenous, rcond=None)[0]
    W, W_hat = np.column_stack([exogenous, endogenous]), np.column_stack([exogenous, fitted])
    bread = np.linalg.pinv(W_hat.T @ W)
    coef = bread @ (W_hat.T @ y)
    resid = y - W @ coef
    meat = (W_hat * resid[:, None] ** 2).T @ W_hat
    dof = n / max(n - W.shape[1], 1)
    return coef, dof * bread @ meat @ bread.T


class TwoStageLeastSquares(BaseIVEstimator):
    r"""Two-stage least squares with heteroskedasticity-robust standard errors.

    The linear structural model ``Y = α + β T + γᵀX + ε`` with ``E[ε | Z, X] = 0``: the first stage
    regresses ``T`` on ``[1, Z, X]`` by OLS, the second ``Y`` on ``[1, T̂, X]``:

    .. math:: \hat\theta = (\hat W^\top W)^{-1} \hat W^\top y, \quad
              W = [1, T, X],\ \hat W = [1, \hat T, X],

    with the HC1 sandwich ``n/(n-k) (Ŵᵀ W)⁻¹ (Σ ûᵢ² ŵᵢŵᵢᵀ) (Wᵀ Ŵ)⁻¹`` and residuals ``û = y - Wθ̂``
    computed with the actual treatment (Wooldridge 2010, "Econometric Analysis of Cross Section
    and Panel Data", §5.2). The effect of moving from ``t0`` to ``t1`` is ``β (t1 - t0)`` for every
    unit.

    Attributes:
        coef_: ``[α, β, γ...]``.
        coef_cov_: its robust covariance.
        first_stage_f_: the instruments' first-stage F statistic.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> u, z = rng.normal(size=(2, 2000))
        >>> t = z + u + rng.normal(size=2000)           # u confounds t and y
        >>> y = 2.0 * t + 3 * u + rng.normal(size=2000)
        >>> round(TwoStageLeastSquares().fit(None, t, y, instruments=z).ate().value, 1)
        2.0
    """

    _method = "2SLS"

    def _fit(self, X: np.ndarray | None, t: np.ndarray, y: np.ndarray, Z: np.ndarray) -> None:
        n = t.shape[0]
        self.coef_, self.coef_cov_ = two_stage_least_squares(
            y, exogenous=_design(X, n), endogenous=t.reshape(n, 1), instruments=Z
        )
        # coef_ is [α, γ..., β]: put β second, as documented
        order = [0, self.coef_.shape[0] - 1, *range(1, self.coef_.shape[0] - 1)]
        self.coef_ = self.coef_[order]
        self.coef_cov_ = self.coef_cov_[np.ix_(order, order)]

    def _predict(self, X: np.ndarray | None, t: np.ndarray) -> np.ndarray:
        return np.asarray(_design(X, t.shape[0], t) @ self.coef_)

    def _ate(self, t0: float, t1: float, level: float) -> Effect:
        beta, var = float(self.coef_[1]), float(self.coef_cov_[1, 1])
        return normal_effect(
            beta * (t1 - t0),
            abs(t1 - t0) * math.sqrt(max(var, 0.0)),
            level=level,
            method=f"{self.method_name} (HC1 robust SE)",
            estimand="ATE",
        )
