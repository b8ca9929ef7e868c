"""The estimator contract and the ``Effect`` result value.

Every estimator follows scikit-learn's conventions (hyper-parameters stored unchanged in ``__init__``,
``get_params``/``set_params`` from :class:`sklearn.base.BaseEstimator`, ``fit`` returns ``self``,
learned attributes end in ``_``) and adds the causal methods:

- ``predict_outcomes(X)``: both (all) potential outcomes, one column per treatment arm;
- ``effect(X)``: per-unit effects (CATE) of an arm against the control arm;
- ``ate()`` / ``att()``: the average effect over the fit data (all units / the treated), as an
  :class:`Effect` with a confidence interval.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator

from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators._validation import FitData, check_fit_data, check_level, check_X

Estimand = Literal["ATE", "ATT"]


def _label(value: Any) -> str:
    """A treatment value as users wrote it (``1``, ``'drug'``), not as numpy reprs it."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _fmt(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 1e5:
        return f"{x:.2f}"
    return f"{x:.3g}"


@dataclass(frozen=True)
class Effect:
    """An average treatment effect with its confidence interval.

    Attributes:
        value: the point estimate.
        ci_low: lower end of the confidence interval.
        ci_high: upper end of the confidence interval.
        std_error: the estimated standard error of ``value``.
        method: the estimator (and, where it matters, how the interval was made).
        estimand: ``"ATE"`` or ``"ATT"``, with the contrast for multi-valued treatments.
        level: the confidence level of the interval.

    >>> print(Effect(4.02, 3.85, 4.19, 0.087, "AIPW"))
    ATE = 4.02 (95% CI 3.85 to 4.19), AIPW
    """

    value: float
    ci_low: float
    ci_high: float
    std_error: float
    method: str
    estimand: str = "ATE"
    level: float = 0.95

    def __str__(self) -> str:
        return (
            f"{self.estimand} = {_fmt(self.value)} ({self.level * 100:g}% CI "
            f"{_fmt(self.ci_low)} to {_fmt(self.ci_high)}), {self.method}"
        )

    def covers(self, truth: float) -> bool:
        """Whether the interval contains ``truth``."""
        return self.ci_low <= truth <= self.ci_high


def normal_effect(
    value: float, std_error: float, *, level: float, method: str, estimand: str
) -> Effect:
    """An :class:`Effect` with the Wald interval ``value ± z_{(1+level)/2} · std_error``."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    return Effect(
        value=float(value),
        ci_low=float(value - z * std_error),
        ci_high=float(value + z * std_error),
        std_error=float(std_error),
        method=method,
        estimand=estimand,
        level=level,
    )


class BaseEffectEstimator(BaseEstimator, ABC):
    """Base class of the treatment-effect estimators.

    Subclasses implement ``_fit``, ``_predict_outcomes`` and ``_average`` and declare whether they
    accept more than two treatment arms (``_multi_arm``).

    Treatment arms are the sorted distinct values of ``t`` (``classes_``); ``classes_[0]`` is the
    control arm against which effects are measured. For a binary treatment the default contrast is
    ``classes_[1]`` vs ``classes_[0]``; for more arms pass ``arm=`` to pick the contrast.
    """

    _multi_arm: ClassVar[bool] = False
    _method: ClassVar[str] = "estimator"

    # -- the public API -------------------------------------------------------------------------

    def fit(self, X: Any, t: Any, y: Any) -> BaseEffectEstimator:
        """Fit the estimator.

        Args:
            X: covariates (confounders), array or DataFrame of shape ``(n, d)``.
            t: treatment assignment, shape ``(n,)``; binary, or categorical where the method allows.
            y: outcome, shape ``(n,)``; continuous or 0/1.

        Returns:
            ``self``.

        Raises:
            DataError: NaN or infinite values, mismatched lengths, a single treatment arm, a
                non-binary treatment where a binary one is needed, or no overlap.
        """
        data = check_fit_data(X, t, y, binary=not self._multi_arm, method=self.method_name)
        self._check_params()
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)  # a refit starts from scratch (no stale bootstrap or names)
        self.classes_ = data.classes
        self.n_features_in_ = data.X.shape[1]
        if data.feature_names is not None:
            self.feature_names_in_ = np.asarray(data.feature_names, dtype=object)
        self._fit(data)
        self.fit_data_ = data
        return self

    def predict_outcomes(self, X: Any) -> np.ndarray:
        """Predicted potential outcomes ``E[Y(a) | X]``, shape ``(n, n_arms)``, columns ``classes_``."""
        self._check_fitted()
        Xa, _ = check_X(X, n_features=self.n_features_in_)
        return self._predict_outcomes(Xa)

    def effect(self, X: Any, arm: Any = None) -> np.ndarray:
        """Per-unit (conditional average) effects ``E[Y(arm) - Y(control) | X]``, shape ``(n,)``.

        Args:
            X: covariates, shape ``(n, d)``.
            arm: the treatment value to contrast with the control arm ``classes_[0]``; required
                only when there are more than two arms.
        """
        self._check_fitted()
        a = self._arm_index(arm)
        mu = self.predict_outcomes(X)
        return np.asarray(mu[:, a] - mu[:, 0])

    def ate(self, level: float = 0.95, *, arm: Any = None) -> Effect:
        """Average treatment effect on the fit data, with a ``level`` confidence interval."""
        return self._effect("ATE", level, arm)

    def att(self, level: float = 0.95, *, arm: Any = None) -> Effect:
        """Average treatment effect on the treated (units that received ``arm``), on the fit data."""
        return self._effect("ATT", level, arm)

    @property
    def method_name(self) -> str:
        """The estimator's name as it appears in an :class:`Effect`."""
        return self._method

    # -- what subclasses implement --------------------------------------------------------------

    def _check_params(self) -> None:
        """Validate hyper-parameters at fit time (scikit-learn style); raise ValueError."""

    @abstractmethod
    def _fit(self, data: FitData) -> None:
        """Learn from validated data (``data.t`` holds arm codes ``0..k-1``)."""

    @abstractmethod
    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        """Potential outcomes for validated covariates, shape ``(n, k)``."""

    @abstractmethod
    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        """The ATE or ATT of arm code ``arm`` against code 0 on the fit data."""

    # -- helpers --------------------------------------------------------------------------------

    def _effect(self, estimand: Estimand, level: float, arm: Any) -> Effect:
        self._check_fitted()
        level = check_level(level)
        a = self._arm_index(arm)
        return self._average(estimand, a, level)

    def _estimand_label(self, estimand: Estimand, arm: int) -> str:
        if len(self.classes_) == 2:
            return estimand
        return f"{estimand}({_label(self.classes_[arm])} vs {_label(self.classes_[0])})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "fit_data_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, t, y) first"
            )

    def _arm_index(self, arm: Any) -> int:
        classes = self.classes_
        if arm is None:
            if len(classes) == 2:
                return 1
            raise DataError(
                f"the treatment has {len(classes)} arms {classes.tolist()}; pass arm=<one of "
                f"{classes[1:].tolist()}> to choose the contrast with the control arm "
                f"{_label(classes[0])}"
            )
        matches = [i for i, c in enumerate(classes) if c == arm]
        if not matches:
            raise DataError(f"arm={arm!r} is not a treatment value seen in fit: {classes.tolist()}")
        a = matches[0]
        if a == 0:
            raise DataError(
                f"arm={arm!r} is the control arm; effects are measured against it, pick another arm"
            )
        return a


def influence_effect(
    scores: np.ndarray, *, level: float, method: str, estimand: str, value: float | None = None
) -> Effect:
    """An :class:`Effect` from per-unit influence-function scores.

    The estimate is ``mean(scores)`` (or ``value``), its standard error ``sd(scores) / sqrt(n)``.
    """
    n = scores.shape[0]
    est = float(np.mean(scores)) if value is None else float(value)
    se = float(np.std(scores - np.mean(scores), ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    return normal_effect(est, se, level=level, method=method, estimand=estimand)
