"""Inverse propensity weighting with the Hajek (self-normalised) estimator."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand, influence_effect
from deepcausal.estimators._nuisance import (
    check_learner,
    default_linear_outcome_model,
    default_logistic_propensity_model,
    fresh,
    predict_proba_arms,
    seeds,
)
from deepcausal.estimators._overlap import check_overlap, clip_propensity
from deepcausal.estimators._validation import FitData


class IPW(BaseEffectEstimator):
    """Hajek inverse-propensity-weighted estimator of the ATE and ATT.

    The mean potential outcome of arm ``a`` is the self-normalised weighted mean
    ``μ_a = Σ 1{T_i=a} Y_i / e_a(X_i) / Σ 1{T_i=a} / e_a(X_i)`` (Hajek 1971; Hirano, Imbens & Ridder
    2003 for estimated propensities); the ATE is ``μ_a - μ_0``. The ATT re-weights the control arm
    by ``e_a / e_0`` and compares it with the treated mean. Propensities are clipped to
    ``[clip, 1 - clip]``; an :class:`~deepcausal.errors.OverlapWarning` says how many units that
    touched, and complete separation of the arms raises a ``DataError``.

    Intervals: Wald intervals from the influence function of the Hajek estimator with the propensity
    treated as known, which is conservative for the ATE when the propensity is fit by maximum
    likelihood (Hirano, Imbens & Ridder 2003).

    IPW has no outcome model; ``predict_outcomes`` and ``effect`` regress the Hajek-normalised
    pseudo-outcomes ``1{T=a} Y / e_a(X)`` on ``X`` with ``pseudo_outcome_model`` (an IPW
    "PW-learner"; per-unit effects from weighting alone are noisy).

    Works with multi-valued treatments.

    Args:
        propensity_model: scikit-learn classifier with ``predict_proba`` (default: logistic regression).
        clip: propensity clipping threshold.
        pseudo_outcome_model: scikit-learn regressor for the per-unit effects (default: OLS).
        random_state: seed for unseeded learners.

    Attributes:
        propensity_: fitted (unclipped) propensities on the fit data, shape ``(n, n_arms)``.
        weights_: the normalised ATE weights of each unit for its own arm.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(2000, 1))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
        >>> y = 1.0 * t + X[:, 0] + rng.normal(size=2000)
        >>> eff = IPW(random_state=0).fit(X, t, y).ate()
        >>> eff.ci_low < 1.0 < eff.ci_high
        True
    """

    _multi_arm = True
    _method = "IPW (Hajek)"
    _checks_overlap = True

    def __init__(
        self,
        propensity_model: Any = None,
        *,
        clip: float = 0.01,
        pseudo_outcome_model: Any = None,
        random_state: int | None = None,
    ) -> None:
        self.propensity_model = propensity_model
        self.clip = clip
        self.pseudo_outcome_model = pseudo_outcome_model
        self.random_state = random_state

    def _check_params(self) -> None:
        check_learner(self.propensity_model, "propensity_model", needs_proba=True)
        check_learner(self.pseudo_outcome_model, "pseudo_outcome_model", needs_proba=False)
        if not 0.0 <= self.clip < 0.5:
            raise ValueError(f"clip must be in [0, 0.5), got {self.clip}")

    def _fit(self, data: FitData) -> None:
        X, t, y = data.X, data.t, data.y
        k = len(data.classes)
        seed_p, *seed_m = seeds(self.random_state, 1 + k)
        model = fresh(self.propensity_model, default_logistic_propensity_model(), seed_p)
        model.fit(X, t)
        self.propensity_model_ = model
        e_raw = predict_proba_arms(model, X, k)
        check_overlap(e_raw, t, clip=self.clip, method=self.method_name, strict=data.strict_overlap)
        self.propensity_ = e_raw
        e = clip_propensity(e_raw, self.clip)
        own = e[np.arange(len(t)), t]
        w = np.zeros_like(own)
        for a in range(k):
            m = t == a
            w[m] = (1.0 / own[m]) / np.sum(1.0 / own[m])
        self.weights_ = w
        self.pseudo_outcome_models_: list[Any] = []
        for a in range(k):
            z = np.where(t == a, y / e[:, a], 0.0) / np.mean((t == a) / e[:, a])
            reg = fresh(self.pseudo_outcome_model, default_linear_outcome_model(), seed_m[a])
            reg.fit(X, z)
            self.pseudo_outcome_models_.append(reg)

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        cols = [
            np.asarray(m.predict(X), dtype=float).reshape(-1) for m in self.pseudo_outcome_models_
        ]
        return np.column_stack(cols)

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        d = self.fit_data_
        t, y = d.t, d.y
        e = clip_propensity(self.propensity_, self.clip)
        label = self._estimand_label(estimand, arm)
        is_a, is_0 = (t == arm).astype(float), (t == 0).astype(float)
        if estimand == "ATE":
            infl = np.zeros(len(y))
            value = 0.0
            for sign, ind, ea in ((1.0, is_a, e[:, arm]), (-1.0, is_0, e[:, 0])):
                h = ind / ea
                mu = float(np.sum(h * y) / np.sum(h))
                infl += sign * h * (y - mu) / h.mean()
                value += sign * mu
            return influence_effect(
                infl, level=level, method=self.method_name, estimand=label, value=value
            )
        ratio = is_0 * e[:, arm] / e[:, 0]
        mu_a = float(np.sum(is_a * y) / is_a.sum())
        mu_0 = float(np.sum(ratio * y) / ratio.sum())
        p_a = is_a.mean()
        infl = (is_a * (y - mu_a) - ratio * (y - mu_0)) / p_a
        return influence_effect(
            infl, level=level, method=self.method_name, estimand=label, value=mu_a - mu_0
        )
