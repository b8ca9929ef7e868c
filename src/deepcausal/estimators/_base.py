"""The estimator contract (the ``Effect`` result value lives in :mod:`deepcausal._effect`).

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
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator

from deepcausal._effect import Effect, _label, check_level, normal_effect
from deepcausal.errors import CapabilityError, DataError, NotFittedError
from deepcausal.estimators._overlap import check_overlap as _check_overlap
from deepcausal.estimators._validation import (
    FitData,
    check_feature_names,
    check_fit_data,
    check_X,
)

Estimand = Literal["ATE", "ATT"]


class BaseEffectEstimator(BaseEstimator, ABC):
    """Base class of the treatment-effect estimators.

    Subclasses implement ``_fit``, ``_predict_outcomes`` and ``_average`` and declare whether they
    accept more than two treatment arms (``_multi_arm``).

    Treatment arms are the distinct values of ``t`` (``classes_``); ``classes_[0]`` is the control
    arm against which effects are measured: the one named by ``fit(..., control=)``, else the
    smallest value in sorted order (0 of 0/1, False of booleans, the first label alphabetically).
    Every :class:`Effect` names its contrast. For a binary treatment the default contrast is
    ``classes_[1]`` vs ``classes_[0]``; for more arms pass ``arm=`` to pick the contrast.

    Every estimator checks overlap at fit: a warning names the share of units whose propensity
    for some arm is below 0.01, and a complete separation of the arms is an error unless
    ``fit(..., overlap="warn")``. Estimators without a propensity model of their own use a
    logistic regression for the check.
    """

    _multi_arm: ClassVar[bool] = False
    _method: ClassVar[str] = "estimator"
    #: Whether ``_fit`` checks overlap itself (with the propensity it estimates anyway).
    _checks_overlap: ClassVar[bool] = False

    # -- the public API -------------------------------------------------------------------------

    def fit(
        self, X: Any, t: Any, y: Any, *, control: Any = None, overlap: str = "check"
    ) -> BaseEffectEstimator:
        """Fit the estimator.

        Args:
            X: covariates (confounders), array or DataFrame of shape ``(n, d)``.
            t: treatment assignment, shape ``(n,)``; binary, or categorical where the method allows.
            y: outcome, shape ``(n,)``; continuous or 0/1.
            control: the value of ``t`` that is the control arm (default: the smallest value).
            overlap: ``"check"`` (a complete separation of the arms is an error) or ``"warn"``
                (it is a warning: the effect then rests on extrapolation).

        Returns:
            ``self``.

        Raises:
            DataError: NaN or infinite values, mismatched lengths, a single treatment arm, a
                non-binary treatment where a binary one is needed, an unknown ``control``, or no
                overlap.
        """
        if overlap not in ("check", "warn"):
            raise ValueError(f"overlap must be 'check' or 'warn', got {overlap!r}")
        data = check_fit_data(
            X,
            t,
            y,
            binary=not self._multi_arm,
            method=self.method_name,
            control=control,
            strict_overlap=overlap == "check",
        )
        return self._fit_validated(data, check_overlap=True)

    def _fit_validated(self, data: FitData, *, check_overlap: bool) -> BaseEffectEstimator:
        """Fit on validated data (a bootstrap refit skips the overlap check of its resample: the
        fit on the whole data made it)."""
        self._start_fit()
        self.classes_ = data.classes
        self.n_features_in_ = data.X.shape[1]
        if data.feature_names is not None:
            self.feature_names_in_ = np.asarray(data.feature_names, dtype=object)
        if check_overlap:
            _check_separation(data, self.method_name)
        if check_overlap and not self._checks_overlap:
            _check_overlap(
                _diagnostic_propensity(data),
                data.t,
                clip=0.01,
                method=self.method_name,
                strict=data.strict_overlap,
            )
        self._fit(data)
        self.fit_data_ = data
        return self

    def _start_fit(self) -> None:
        """Check the hyper-parameters and forget a previous fit (no stale bootstrap or names)."""
        self._check_params()
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)

    def predict_outcomes(self, X: Any) -> np.ndarray:
        """Predicted potential outcomes ``E[Y(a) | X]``, shape ``(n, n_arms)``, columns ``classes_``."""
        self._check_fitted()
        check_feature_names(X, getattr(self, "feature_names_in_", None), self.method_name)
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

    def _streamed_effect(self, estimand: Estimand, level: float) -> Effect:
        """The effect of a fit streamed from a table beyond memory (neural estimators)."""
        raise CapabilityError(f"{self.method_name} cannot be fitted to a streamed table")

    @abstractmethod
    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        """The ATE or ATT of arm code ``arm`` against code 0 on the fit data."""

    # -- helpers --------------------------------------------------------------------------------

    def _effect(self, estimand: Estimand, level: float, arm: Any) -> Effect:
        self._check_fitted()
        level = check_level(level)
        a = self._arm_index(arm)
        streamed = getattr(self, "streamed_", None)
        if streamed is not None:  # fitted to a table beyond memory: its scoring pass's effect
            name = streamed.treatment
            contrast = f"{name}={_label(self.classes_[1])} vs {name}={_label(self.classes_[0])}"
            effect = self._streamed_effect(estimand, level)
            return replace(effect, contrast=f"{contrast} (control)", n=streamed.n_rows)
        name = self.fit_data_.treatment_name
        contrast = (
            f"{name}={_label(self.classes_[a])} vs {name}={_label(self.classes_[0])} (control)"
        )
        n = len(self.fit_data_.t) if estimand == "ATE" else int(np.sum(self.fit_data_.t == a))
        return replace(self._average(estimand, a, level), contrast=contrast, n=n)

    def _estimand_label(self, estimand: Estimand, arm: int) -> str:
        if len(self.classes_) == 2:
            return estimand
        return f"{estimand}({_label(self.classes_[arm])} vs {_label(self.classes_[0])})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "fit_data_") and not hasattr(self, "streamed_"):
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


def _check_separation(data: FitData, method: str) -> None:
    """Refuse (or, with ``overlap="warn"``, warn about) treatment arms that a hyperplane in the
    covariates separates perfectly: complete separation (Albert & Anderson 1984, the case where
    logistic regression has no finite estimate), the plainest form of no overlap."""
    import warnings

    from deepcausal.errors import OverlapWarning

    Z = _standardised(data.X)
    arms = (1,) if len(data.classes) == 2 else range(len(data.classes))
    separated = [a for a in arms if _linearly_separable(Z, data.t == a)]
    if not separated:
        return
    arm = _label(data.classes[separated[0]])
    message = (
        f"{method}: no overlap: a linear function of the covariates separates the units with "
        f"{data.treatment_name}={arm} from the others completely; the arms share no covariate "
        "region, so the effect is not identified from these data; restrict the population or "
        "the covariates"
    )
    if data.strict_overlap:
        raise DataError(message + ' (fit(..., overlap="warn") accepts it with a warning)')
    warnings.warn(message, OverlapWarning, stacklevel=4)


def _linearly_separable(Z: np.ndarray, inside: np.ndarray) -> bool:
    """Whether a hyperplane separates the rows ``inside`` from the others strictly: the linear
    program ``find w, b with s_i (w·z_i + b) >= 1`` (``s_i = ±1``) is feasible."""
    from scipy.optimize import linprog

    sign = np.where(inside, 1.0, -1.0)
    A = -sign[:, None] * np.column_stack([Z, np.ones(len(Z))])
    width = Z.shape[1] + 1
    result = linprog(
        np.zeros(width),
        A_ub=A,
        b_ub=-np.ones(len(Z)),
        bounds=[(None, None)] * width,
        method="highs",
    )
    return bool(result.status == 0)


def _standardised(X: np.ndarray) -> np.ndarray:
    scale = X.std(axis=0)
    return np.asarray((X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0))


def _diagnostic_propensity(data: FitData) -> np.ndarray:
    """``P(T = a | X)`` by a logistic regression on standardised covariates, for the overlap
    check of estimators that have no propensity model of their own (not used for estimation)."""
    from sklearn.linear_model import LogisticRegression

    Z = _standardised(data.X)
    model = LogisticRegression(max_iter=1000).fit(Z, data.t)
    out = np.zeros((Z.shape[0], len(data.classes)))
    out[:, model.classes_.astype(int)] = model.predict_proba(Z)
    return out


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
