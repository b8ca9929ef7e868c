"""Effects through proxies of a hidden confounder: proximal two-stage least squares, and Kuroki and
Pearl's effect restoration for a discrete confounder measured with a known error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._base import Effect, normal_effect
from deepcausal.estimators._iv import _as_2d, two_stage_least_squares
from deepcausal.estimators._validation import check_outcome, check_X

__all__ = ["EffectRestoration", "ProximalTwoStage"]


class ProximalTwoStage(BaseEstimator):
    r"""Proximal causal inference with a linear outcome bridge, by two-stage least squares.

    With a hidden confounder ``U`` of treatment ``T`` and outcome ``Y``, a treatment-side proxy
    ``Z`` (a negative-control exposure: caused by ``U``, no effect on ``Y`` and ``W``) and an
    outcome-side proxy ``W`` (a negative-control outcome: caused by ``U``, not affected by ``T`` or
    ``Z``), the effect is identified through an outcome bridge ``h(w, t, x)`` with
    ``E[Y - h(W, T, X) | Z, T, X] = 0`` (Miao, Geng & Tchetgen Tchetgen 2018, Biometrika;
    Tchetgen Tchetgen, Ying, Cui, Shi & Miao 2020, "An introduction to proximal causal learning").
    With a linear bridge ``h = b₀ + b_t T + b_wᵀW + b_xᵀX`` the condition is a 2SLS problem: ``W``
    is endogenous and instrumented by ``Z``; ``T`` and ``X`` are exogenous. The ATE is ``b_t``, its
    interval from the HC1 sandwich (proximal 2SLS, P2SLS, of the same papers). Valid when the
    bridge is linear: a linear-Gaussian ``U`` with linear effects, as in their simulations.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> u = rng.normal(size=3000)
        >>> z, w = u + rng.normal(size=3000), u + rng.normal(size=3000)
        >>> t = (u + rng.normal(size=3000) > 0).astype(float)
        >>> y = 2.0 * t + 1.5 * u + rng.normal(size=3000)
        >>> est = ProximalTwoStage().fit(None, t, y, treatment_proxy=z, outcome_proxy=w)
        >>> abs(est.ate().value - 2.0) < 0.3
        True
    """

    _method = "proximal 2SLS"

    def fit(
        self, X: Any, t: Any, y: Any, *, treatment_proxy: Any, outcome_proxy: Any
    ) -> ProximalTwoStage:
        """Fit the outcome bridge.

        Args:
            X: observed covariates ``(n, d)``, or ``None``.
            t: treatment (binary or continuous), ``(n,)``.
            y: outcome, ``(n,)``.
            treatment_proxy: ``Z``, ``(n,)`` or ``(n, k)``.
            outcome_proxy: ``W``, ``(n,)`` or ``(n, m)``; ``k >= m``.

        Raises:
            DataError: bad values, mismatched lengths, or fewer treatment proxies than outcome
                proxies (the bridge is then not identified).
        """
        Z = check_X(_as_2d(treatment_proxy, "treatment_proxy"), name="treatment_proxy")[0]
        W = check_X(_as_2d(outcome_proxy, "outcome_proxy"), name="outcome_proxy")[0]
        n = Z.shape[0]
        if W.shape[0] != n:
            raise DataError(f"outcome_proxy has {W.shape[0]} rows, treatment_proxy {n}")
        if Z.shape[1] < W.shape[1]:
            raise DataError(
                f"{Z.shape[1]} treatment proxies for {W.shape[1]} outcome proxies: the bridge "
                "needs at least as many treatment proxies (instruments) as outcome proxies"
            )
        Xa = None if X is None else check_X(X)[0]
        ta, ya = check_outcome(t, n), check_outcome(y, n)
        exog = np.column_stack([np.ones(n), ta] + ([] if Xa is None else [Xa]))
        self.coef_, self.coef_cov_ = two_stage_least_squares(ya, exog, W, Z)
        self.n_ = n
        self.n_features_in_ = 0 if Xa is None else Xa.shape[1]
        return self

    def ate(self, t0: float = 0.0, t1: float = 1.0, level: float = 0.95) -> Effect:
        """The average effect of moving the treatment from ``t0`` to ``t1``."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("this ProximalTwoStage is not fitted yet; call fit first")
        level = check_level(level)
        scale = float(t1) - float(t0)
        return normal_effect(
            float(self.coef_[1]) * scale,
            abs(scale) * math.sqrt(max(float(self.coef_cov_[1, 1]), 0.0)),
            level=level,
            method=f"{self._method} (HC1 robust SE)",
            estimand="ATE",
        )


class EffectRestoration(BaseEstimator):
    r"""Effect restoration: the ATE adjusted for a discrete confounder seen only through an
    error-prone measurement (Kuroki & Pearl 2014, "Measurement bias and effect restoration in
    causal inference", Biometrika).

    The confounder ``U`` (``k`` levels) is measured by ``W`` with a known error matrix
    ``M[w, u] = P(W = w | U = u)``. Since ``P(t, y, w) = Σ_u M[w, u] P(t, y, u)``, the joint with the
    true confounder is ``P(t, y, ·) = M⁻¹ P(t, y, ·)`` column by column, and the back-door formula
    on it gives ``E[Y | do(T = t)] = Σ_u P(u) E[Y | t, u]``. ``Y`` may be binary or numeric (its
    conditional means are restored the same way). Intervals: a bootstrap of the rows (the error
    matrix held fixed). A singular error matrix identifies nothing and is refused.

    Args:
        error_matrix: ``M``, ``(k, k)``, columns summing to 1: ``M[w, u] = P(W = w | U = u)``.
        n_bootstrap: bootstrap resamples for the interval.
        random_state: seed of the bootstrap.

    Examples:
        >>> M = np.array([[0.8, 0.3], [0.2, 0.7]])
        >>> rng = np.random.default_rng(0)
        >>> u = rng.binomial(1, 0.4, 20000)
        >>> w = np.where(rng.random(20000) < M[1, u], 1, 0)
        >>> t = rng.binomial(1, 0.2 + 0.6 * u)
        >>> y = 1.0 * t + 2.0 * u + rng.normal(size=20000)
        >>> est = EffectRestoration(M, random_state=0).fit(None, t, y, proxy=w)
        >>> abs(est.ate().value - 1.0) < 0.15
        True
    """

    _method = "effect restoration (Kuroki-Pearl)"

    def __init__(
        self, error_matrix: Any = None, *, n_bootstrap: int = 200, random_state: int | None = None
    ) -> None:
        self.error_matrix = error_matrix
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def _matrix(self) -> np.ndarray:
        M = np.asarray(self.error_matrix, dtype=float)
        if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 2:
            raise ValueError(f"error_matrix must be a square (k, k) matrix, k >= 2; got {M.shape}")
        if not np.isfinite(M).all() or (M < 0).any() or not np.allclose(M.sum(axis=0), 1.0):
            raise ValueError(
                "error_matrix columns must be probabilities P(W = . | U = u) summing to 1"
            )
        if abs(np.linalg.det(M)) < 1e-10 or np.linalg.cond(M) > 1e10:
            raise DataError(
                "the error matrix is singular: the measurement W carries no recoverable "
                "information about U (two levels of U look alike), so the effect cannot be "
                "restored"
            )
        return M

    def fit(self, X: Any, t: Any, y: Any, *, proxy: Any) -> EffectRestoration:
        """Restore the joint distribution and the effect.

        Args:
            X: must be ``None`` (observed covariates are not supported by the restoration).
            t: binary treatment 0/1.
            y: outcome, numeric.
            proxy: ``W``, the measured confounder, codes ``0..k-1``.
        """
        if X is not None:
            raise DataError("EffectRestoration takes no covariates: pass X=None")
        M = self._matrix()
        w = np.asarray(proxy)
        n = w.shape[0]
        ta, ya = check_outcome(t, n), check_outcome(y, n)
        if not np.isin(ta, (0.0, 1.0)).all():
            raise DataError("EffectRestoration needs a binary 0/1 treatment")
        k = M.shape[0]
        if not np.isin(w, np.arange(k)).all():
            raise DataError(f"proxy must hold codes 0..{k - 1} (the error matrix has {k} levels)")
        self.Minv_ = np.linalg.inv(M)
        self.value_ = self._effect(ta, ya, w.astype(int))
        rng = np.random.default_rng(self.random_state)
        reps = []
        for _ in range(int(self.n_bootstrap)):
            idx = rng.integers(0, n, n)
            reps.append(self._effect(ta[idx], ya[idx], w[idx].astype(int)))
        self.bootstrap_ = np.asarray(reps)
        return self

    def _effect(self, t: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
        k = self.Minv_.shape[0]
        # observed P(t, w) and E[Y 1{T=t} | w]-type moments, restored to U by M⁻¹
        p_tw = np.array([[np.mean((t == a) & (w == b)) for b in range(k)] for a in (0, 1)])
        m_tw = np.array([[np.mean(y * ((t == a) & (w == b))) for b in range(k)] for a in (0, 1)])
        p_tu, m_tu = p_tw @ self.Minv_.T, m_tw @ self.Minv_.T
        if (p_tu <= 0).any():
            raise DataError(
                "the restored P(t, u) has non-positive cells: the error matrix does not fit these "
                "data (or a cell is too rare); check the matrix or collect more rows"
            )
        p_u = p_tu.sum(axis=0)
        means = m_tu / p_tu  # E[Y | T = t, U = u]
        return float(np.sum(p_u * (means[1] - means[0])))

    def ate(self, level: float = 0.95) -> Effect:
        """The restored ATE with a bootstrap Wald interval."""
        if not hasattr(self, "value_"):
            raise NotFittedError("this EffectRestoration is not fitted yet; call fit first")
        level = check_level(level)
        se = float(np.std(self.bootstrap_, ddof=1)) if self.bootstrap_.size > 1 else math.inf
        return normal_effect(
            self.value_,
            se,
            level=level,
            method=f"{self._method}, bootstrap ({self.bootstrap_.size})",
            estimand="ATE",
        )
