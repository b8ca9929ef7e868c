"""The front-door estimator: an effect through a mediator that shields it from the confounder."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from deepcausal._effect import check_level
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._base import Effect, _label, normal_effect
from deepcausal.estimators._iv import _as_2d
from deepcausal.estimators._nuisance import check_learner, fresh, predict_mean
from deepcausal.estimators._validation import check_outcome, check_treatment, check_X

__all__ = ["FrontDoor"]


class FrontDoor(BaseEstimator):
    r"""The front-door adjustment (Pearl 1995, "Causal diagrams for empirical research"), by
    plug-in regression, with a bootstrap interval.

    Where every directed path from ``T`` to ``Y`` runs through mediators ``M``, no back-door path
    joins ``T`` and ``M``, and ``T`` blocks every back-door path from ``M`` to ``Y``, the effect is
    identified even though ``T`` and ``Y`` share a hidden confounder:

    .. math:: E[Y \mid do(T = t)] = \sum_m P(m \mid t) \sum_{t'} P(t')\, E[Y \mid m, t'].

    ``E[Y | m, t']`` is a regression of ``Y`` on ``(M, T)`` (any scikit-learn regressor; by default
    OLS on the degree-2 polynomial of ``(M, T)``, which interacts the arms with the mediators and
    bends with them), ``P(m | t)`` the empirical distribution of the mediators
    among the units with ``T = t`` — so discrete and continuous mediators are handled alike — and
    ``P(t')`` the arms' shares:

    .. math:: \hat\mu_t = \frac{1}{n_t} \sum_{i: T_i = t} \sum_{t'} \hat P(t')\, \hat E[Y \mid M_i, t'].

    Intervals: a nonparametric bootstrap of the rows (``n_bootstrap`` refits).

    Args:
        outcome_model: regressor for ``E[Y | M, T]`` (default: OLS on the degree-2 polynomial).
        n_bootstrap: bootstrap refits for the interval.
        random_state: seed of the bootstrap and of unseeded learners.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> u = rng.normal(size=4000)
        >>> t = (u + rng.normal(size=4000) > 0).astype(int)
        >>> m = 1.5 * t + rng.normal(size=4000)
        >>> y = 2.0 * m + 3.0 * u + rng.normal(size=4000)   # the effect of t is 1.5 * 2 = 3
        >>> est = FrontDoor(n_bootstrap=50, random_state=0).fit(None, t, y, mediators=m)
        >>> abs(est.ate().value - 3.0) < 0.3
        True
    """

    _method = "front-door"

    def __init__(
        self, outcome_model: Any = None, *, n_bootstrap: int = 200, random_state: int | None = None
    ) -> None:
        self.outcome_model = outcome_model
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(self, X: Any, t: Any, y: Any, *, mediators: Any, control: Any = None) -> FrontDoor:
        """Fit the front-door estimate.

        Args:
            X: must be ``None``: the front-door formula needs no covariates (ones that confound
                ``M`` and ``Y`` break its assumptions).
            t: treatment, binary or categorical.
            y: outcome, numeric.
            mediators: ``M``, ``(n,)`` or ``(n, k)``, numeric.
            control: the control arm (default: the smallest value).

        Raises:
            DataError: covariates given, bad values, mismatched lengths.
        """
        if X is not None:
            raise DataError("FrontDoor takes no covariates: pass X=None and the mediators")
        check_learner(self.outcome_model, "outcome_model", needs_proba=False)
        if int(self.n_bootstrap) < 2:
            raise ValueError(f"n_bootstrap must be >= 2, got {self.n_bootstrap}")
        M = check_X(_as_2d(mediators, "mediators"), name="mediators")[0]
        n = M.shape[0]
        codes, classes = check_treatment(t, n, binary=False, method=self._method, control=control)
        ya = check_outcome(y, n)
        self.classes_ = classes
        self.treatment_name_ = getattr(t, "name", None) or "t"
        self.fit_data_ = (M, codes, ya)
        self.means_ = self._means(M, codes, ya, self.random_state)
        rng = np.random.default_rng(self.random_state)
        reps = []
        for b in range(int(self.n_bootstrap)):
            idx = rng.integers(0, n, n)
            if np.unique(codes[idx]).shape[0] == len(classes):
                reps.append(self._means(M[idx], codes[idx], ya[idx], b))
        if len(reps) < 2:
            raise DataError("too few bootstrap resamples hold every arm; the arms are too small")
        self.bootstrap_ = np.asarray(reps)
        return self

    def _means(self, M: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int | None) -> np.ndarray:
        """``E[Y | do(T = a)]`` for every arm ``a``."""
        k = len(self.classes_)
        onehot = np.eye(k)[t][:, 1:]
        model = fresh(self.outcome_model, _default_outcome(), seed)
        model.fit(self._features(M, onehot), y)
        shares = np.bincount(t, minlength=k) / t.shape[0]
        out = np.zeros(k)
        for a in range(k):
            rows = M[t == a]
            total = np.zeros(rows.shape[0])
            for b in range(k):
                arm = np.zeros((rows.shape[0], k - 1))
                if b > 0:
                    arm[:, b - 1] = 1.0
                total += shares[b] * predict_mean(model, self._features(rows, arm))
            out[a] = total.mean()
        return out

    @staticmethod
    def _features(M: np.ndarray, arm: np.ndarray) -> np.ndarray:
        return np.column_stack([M, arm])

    def ate(self, level: float = 0.95, *, arm: Any = None) -> Effect:
        """``E[Y | do(T = arm)] - E[Y | do(T = control)]`` with a bootstrap Wald interval."""
        if not hasattr(self, "means_"):
            raise NotFittedError("this FrontDoor is not fitted yet; call fit first")
        level = check_level(level)
        classes = self.classes_.tolist()
        if arm is None and len(classes) > 2:
            raise DataError(
                f"the treatment has {len(classes)} arms; pass arm= one of {classes[1:]}"
            )
        a = 1 if arm is None else classes.index(arm) if arm in classes else -1
        if a <= 0:
            raise DataError(f"arm={arm!r} must be a non-control treatment value of {classes}")
        reps = self.bootstrap_[:, a] - self.bootstrap_[:, 0]
        se = float(np.std(reps, ddof=1)) if reps.size > 1 else math.inf
        name = self.treatment_name_
        effect = normal_effect(
            float(self.means_[a] - self.means_[0]),
            se,
            level=level,
            method=f"{self._method}, bootstrap ({reps.size})",
            estimand="ATE",
        )
        contrast = f"{name}={_label(classes[a])} vs {name}={_label(classes[0])} (control)"
        return replace(effect, contrast=contrast, n=len(self.fit_data_[2]))


def _default_outcome() -> Any:
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    return make_pipeline(PolynomialFeatures(2, include_bias=False), LinearRegression())
