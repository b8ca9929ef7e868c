"""Nearest-neighbour matching on the propensity score, with a caliper."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from deepcausal.errors import DataError, OverlapWarning
from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand, normal_effect
from deepcausal.estimators._nuisance import (
    check_learner,
    default_logistic_propensity_model,
    fresh,
    predict_proba_arms,
    seeds,
)
from deepcausal.estimators._overlap import check_overlap
from deepcausal.estimators._validation import FitData

_EPS = 1e-6


def _logit(e: np.ndarray) -> np.ndarray:
    e = np.clip(e, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(e) - np.log1p(-e))


class PSMatching(BaseEffectEstimator):
    """Propensity-score matching: nearest neighbours with replacement, optional caliper.

    Each unit is matched to the ``n_neighbors`` units of the other arm closest in the logit of the
    estimated propensity score (Rosenbaum & Rubin 1983), with replacement; its missing potential
    outcome is their mean. With a ``caliper`` (in standard deviations of the logit propensity;
    Austin 2011 recommends 0.2), matches farther than it are discarded and units left without a
    match are dropped from the estimand, with an :class:`~deepcausal.errors.OverlapWarning`.
    The ATE averages the imputed effects of all matched units, the ATT those of the treated.

    Intervals: the Abadie & Imbens (2006, Econometrica, Theorem 7) variance estimator for matching
    with replacement, which accounts for how often each unit is reused; the conditional variances
    come from matching each unit to its nearest neighbour within its own arm. The propensity is
    treated as known, which makes the ATE interval conservative (Abadie & Imbens 2016).

    ``predict_outcomes(X)`` imputes both potential outcomes of new units from their nearest
    neighbours in each arm. Binary treatment only.

    Args:
        propensity_model: scikit-learn classifier with ``predict_proba`` (default: logistic regression).
        n_neighbors: matches per unit (M).
        caliper: maximum distance in standard deviations of the logit propensity (``None``: none).
        random_state: seed for an unseeded propensity model.

    Attributes:
        propensity_: estimated P(T = a | X) on the fit data, shape ``(n, 2)``.
        matched_: boolean mask of the units that found at least one match.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(600, 1))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
        >>> y = 3.0 * t + X[:, 0] + 0.5 * rng.normal(size=600)
        >>> abs(PSMatching(random_state=0).fit(X, t, y).att().value - 3.0) < 0.3
        True
    """

    _method = "PS matching"
    _checks_overlap = True

    def __init__(
        self,
        propensity_model: Any = None,
        *,
        n_neighbors: int = 1,
        caliper: float | None = None,
        random_state: int | None = None,
    ) -> None:
        self.propensity_model = propensity_model
        self.n_neighbors = n_neighbors
        self.caliper = caliper
        self.random_state = random_state

    def _check_params(self) -> None:
        check_learner(self.propensity_model, "propensity_model", needs_proba=True)
        if int(self.n_neighbors) < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {self.n_neighbors}")
        if self.caliper is not None and not self.caliper > 0:
            raise ValueError(f"caliper must be positive or None, got {self.caliper}")

    def _fit(self, data: FitData) -> None:
        X, t = data.X, data.t
        model = fresh(
            self.propensity_model,
            default_logistic_propensity_model(),
            seeds(self.random_state, 1)[0],
        )
        model.fit(X, t)
        self.propensity_model_ = model
        e = predict_proba_arms(model, X, 2)
        check_overlap(e, t, clip=0.0, method=self.method_name, strict=data.strict_overlap)
        self.propensity_ = e
        s = _logit(e[:, 1])
        self.score_ = s
        self.score_scale_ = float(np.std(s)) or 1.0
        m = int(self.n_neighbors)
        self.index_: list[NearestNeighbors] = []  # per arm, over that arm's scores
        self.arm_rows_: list[np.ndarray] = []
        for a in (0, 1):
            rows = np.nonzero(t == a)[0]
            if rows.size < m:
                raise DataError(
                    f"arm {data.classes.tolist()[a]!r} has {rows.size} units, fewer than n_neighbors={m}"
                )
            self.arm_rows_.append(rows)
            self.index_.append(NearestNeighbors(n_neighbors=m).fit(s[rows, None]))
        # matches[i]: rows of the other arm matched to unit i (after the caliper)
        self.matches_ = self._match(s, t)
        self.matched_ = np.array([len(mm) > 0 for mm in self.matches_])
        dropped = int((~self.matched_).sum())
        if dropped:
            warnings.warn(
                f"{self.method_name}: {dropped} unit(s) ({dropped / len(t):.1%}) have no match within "
                f"the caliper ({self.caliper} SD of the logit propensity) and are left out of the "
                "ATE/ATT, which then refer to the matched units only",
                OverlapWarning,
                stacklevel=3,
            )
        if not self.matched_[t == 1].any() or not self.matched_[t == 0].any():
            raise DataError(
                f"{self.method_name}: no unit of some arm found a match within the caliper; "
                "widen the caliper (no overlap at this resolution)"
            )

    def _match(self, s: np.ndarray, own_arm: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(s)
        for a in (0, 1):
            units = np.nonzero(own_arm == a)[0]
            if units.size == 0:
                continue
            other = 1 - a
            dist, idx = self.index_[other].kneighbors(s[units, None])
            rows = self.arm_rows_[other][idx]
            limit = math.inf if self.caliper is None else self.caliper * self.score_scale_
            for j, u in enumerate(units):
                out[u] = rows[j][dist[j] <= limit]
        return out

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        s = _logit(predict_proba_arms(self.propensity_model_, X, 2)[:, 1])
        y = self.fit_data_.y
        out = np.zeros((X.shape[0], 2))
        for a in (0, 1):
            _, idx = self.index_[a].kneighbors(s[:, None])
            out[:, a] = y[self.arm_rows_[a][idx]].mean(axis=1)
        return out

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        d = self.fit_data_
        t, y = d.t, d.y
        n = len(y)
        units = self.matched_ & ((t == 1) if estimand == "ATT" else np.ones(n, dtype=bool))
        in_s = np.zeros(n)
        in_s[units] = 1.0
        imputed = np.array([y[mm].mean() if len(mm) else np.nan for mm in self.matches_])
        y1 = np.where(t == 1, y, imputed)
        y0 = np.where(t == 0, y, imputed)
        tau_i = (y1 - y0)[units]
        tau = float(tau_i.mean())
        # w_j: total weight of unit j as a match; q_j: sum of squared weights (Abadie-Imbens K_M)
        w = np.zeros(n)
        q = np.zeros(n)
        for i in np.nonzero(units)[0]:
            mm = self.matches_[i]
            w[mm] += 1.0 / len(mm)
            q[mm] += 1.0 / len(mm) ** 2
        sigma2 = self._own_arm_variance()
        n_s = units.sum()
        correction = float(np.sum((w**2 + 2.0 * in_s * w - q) * sigma2))
        var = (np.sum((tau_i - tau) ** 2) + correction) / n_s**2
        return normal_effect(
            tau,
            math.sqrt(max(var, 0.0)),
            level=level,
            method=self.method_name,
            estimand=self._estimand_label(estimand, arm),
        )

    def _own_arm_variance(self) -> np.ndarray:
        """``σ²(X_j, T_j)`` by matching each unit to its nearest other unit in its own arm."""
        d = self.fit_data_
        s, y = self.score_, d.y
        sigma2 = np.zeros(len(y))
        for a in (0, 1):
            rows = self.arm_rows_[a]
            nn = NearestNeighbors(n_neighbors=2).fit(s[rows, None])
            _, idx = nn.kneighbors(s[rows, None])
            # the nearest point is usually the unit itself; take the other one
            other = np.where(rows[idx[:, 0]] == rows, rows[idx[:, 1]], rows[idx[:, 0]])
            sigma2[rows] = 0.5 * (y[rows] - y[other]) ** 2
        return sigma2
