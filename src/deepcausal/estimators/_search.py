"""Hyper-parameter selection for effect estimators without counterfactual labels.

A grid search cannot score a candidate on what matters (the error of its per-unit effects): the
counterfactual outcomes are never observed. :class:`EffectSearch` scores every candidate on held-out
rows by one of two proxies:

- ``"pehe-nn"``: the nearest-neighbour approximation of PEHE of Shalit, Johansson & Sontag (2017,
  "Estimating individual treatment effect: generalization bounds and algorithms", ICML), which
  the authors' code computes on the validation units to compare configurations. Each held-out unit
  ``i`` is paired with its nearest held-out neighbour ``j(i)`` in the other arm (Euclidean
  distance on the covariates, standardised by the training rows), whose outcome stands in for
  ``i``'s counterfactual: ``τ_nn(i) = (1 - 2 t_i) (y_{j(i)} - y_i)``, and the score is
  ``sqrt(mean_i (τ̂(x_i) - τ_nn(i))²)`` over the held-out units of both arms (the authors' code
  averages over the treated units only and does not standardise).
- ``"factual"``: the held-out error of the factual prediction, ``mean_i (μ̂_{t_i}(x_i) - y_i)²``
  (the Brier score for 0/1 outcomes); for any number of arms.

The best candidate is then refit on every row. Its intervals are its own (``ate``/``att`` of the
refit estimator), so they are conditional on the selected hyper-parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from sklearn.neighbors import NearestNeighbors

from deepcausal.errors import DataError
from deepcausal.estimators._base import BaseEffectEstimator, Effect, Estimand, _label
from deepcausal.estimators._validation import FitData
from deepcausal.parallel import parallel_map

Criterion = Literal["pehe-nn", "factual"]
CRITERIA: tuple[str, ...] = ("pehe-nn", "factual")


def nearest_neighbour_effects(X: np.ndarray, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``τ_nn(i) = (1 - 2 t_i)(y_{j(i)} - y_i)``, ``j(i)`` the nearest unit of the other arm.

    Args:
        X: covariates (already scaled as the distance should see them), shape ``(n, d)``.
        t: binary arm codes 0/1, shape ``(n,)``; both arms must occur.
        y: outcomes, shape ``(n,)``.

    >>> X = np.array([[0.0], [0.1], [5.0], [5.2]])
    >>> nearest_neighbour_effects(X, np.array([0, 1, 0, 1]), np.array([1.0, 3.0, 2.0, 7.0]))
    array([2., 2., 5., 5.])
    """
    tau = np.empty(len(t))
    for arm in (0, 1):
        rows, other = np.nonzero(t == arm)[0], np.nonzero(t != arm)[0]
        nn = NearestNeighbors(n_neighbors=1).fit(X[other])
        match = other[nn.kneighbors(X[rows], return_distance=False)[:, 0]]
        sign = 1.0 if arm == 0 else -1.0
        tau[rows] = sign * (y[match] - y[rows])
    return tau


class EffectSearch(BaseEffectEstimator):
    """Grid search over an effect estimator's hyper-parameters, scored without counterfactuals.

    The rows are split once (stratified by arm) into a training part and ``validation_fraction``
    held out; every candidate of ``param_grid`` is fit on the training part and scored on the
    held-out rows by ``criterion`` (see the module docstring: PEHE_nn, Shalit, Johansson & Sontag
    2017, or the factual error); the best is refit on every row and answers ``effect``,
    ``predict_outcomes``, ``ate`` and ``att``.

    Args:
        estimator: the effect estimator to tune (cloned, never modified).
        param_grid: as for :class:`sklearn.model_selection.GridSearchCV`: a dict from parameter
            name to a list of values, or a list of such dicts.
        criterion: ``"pehe-nn"`` (binary treatment) or ``"factual"``.
        validation_fraction: share of the rows held out for scoring, in (0, 1).
        progress: show a progress bar over the candidates.
        random_state: seed of the split and of every candidate (passed as its ``random_state``).
        n_jobs, backend: candidates fitted at once, on ``"loky"`` processes or a ``"ray"``
            cluster (:mod:`deepcausal.parallel`; ``None``: the enclosing ``parallel()`` block's
            setting, else one at a time); the scores do not depend on it.

    Attributes:
        best_params_: the winning parameter setting.
        best_score_: its held-out score (lower is better).
        results_: one dict per candidate: ``params`` and ``score``, in grid order.
        best_estimator_: the winning setting refit on every row.

    Examples:
        >>> import numpy as np
        >>> from deepcausal.estimators import RegressionAdjustment
        >>> from sklearn.linear_model import Ridge
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(400, 3))
        >>> t = rng.binomial(1, 0.5, size=400)
        >>> y = X[:, 0] + 2.0 * t + 0.1 * rng.normal(size=400)
        >>> search = EffectSearch(RegressionAdjustment(Ridge()),
        ...                       {"outcome_model__alpha": [0.1, 1e4]}, random_state=0)
        >>> search.fit(X, t, y).best_params_
        {'outcome_model__alpha': 0.1}
    """

    _multi_arm: ClassVar[bool] = True

    _checks_overlap = True  # every candidate checks it on its own fit

    def __init__(
        self,
        estimator: BaseEffectEstimator,
        param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
        *,
        criterion: Criterion = "pehe-nn",
        validation_fraction: float = 0.3,
        progress: bool = False,
        random_state: int | None = None,
        n_jobs: int | None = None,
        backend: str | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_grid = param_grid
        self.criterion = criterion
        self.validation_fraction = validation_fraction
        self.progress = progress
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.backend = backend

    @property
    def method_name(self) -> str:
        """The tuned estimator's name."""
        if hasattr(self, "best_estimator_"):
            return str(self.best_estimator_.method_name)
        return str(getattr(self.estimator, "method_name", type(self.estimator).__name__))

    def _check_params(self) -> None:
        if not isinstance(self.estimator, BaseEffectEstimator):
            raise ValueError(
                "estimator must be a deepcausal effect estimator, got "
                f"{type(self.estimator).__name__}"
            )
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction}"
            )
        grid = list(ParameterGrid(self.param_grid))  # raises naming a malformed grid
        if not grid:
            raise ValueError("param_grid has no candidates")
        valid = self.estimator.get_params(deep=True)
        for params in grid:
            unknown = sorted(set(params) - set(valid))
            if unknown:
                raise ValueError(
                    f"param_grid names {unknown}, which {type(self.estimator).__name__} does not "
                    f"have; its parameters are {sorted(valid)}"
                )

    def _candidate(self, params: Mapping[str, Any]) -> BaseEffectEstimator:
        est: BaseEffectEstimator = clone(self.estimator).set_params(**params)
        if "random_state" in est.get_params(deep=False) and "random_state" not in params:
            est.set_params(random_state=self.random_state)
        return est

    def _split(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.random_state)
        train, held = [], []
        for arm in range(len(self.classes_)):
            rows = rng.permutation(np.nonzero(t == arm)[0])
            n_held = round(float(self.validation_fraction) * rows.size)
            if n_held < 2 or rows.size - n_held < 2:
                raise DataError(
                    f"treatment arm {_label(self.classes_[arm])} has {rows.size} rows: too few to hold "
                    f"out {self.validation_fraction:.0%} of them for EffectSearch's scoring and "
                    "train on the rest"
                )
            held.append(rows[:n_held])
            train.append(rows[n_held:])
        return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))

    def _score(
        self, est: BaseEffectEstimator, data: FitData, held: np.ndarray, tau_nn: np.ndarray | None
    ) -> float:
        mu = est.predict_outcomes(data.X[held])
        if tau_nn is None:  # the factual criterion
            t = data.t[held]
            return float(np.mean((mu[np.arange(len(t)), t] - data.y[held]) ** 2))
        return float(np.sqrt(np.mean((mu[:, 1] - mu[:, 0] - tau_nn) ** 2)))

    def _try(
        self,
        data: FitData,
        train: np.ndarray,
        held: np.ndarray,
        tau_nn: np.ndarray | None,
        labels: np.ndarray,
        keep: Mapping[str, Any],
        params: Mapping[str, Any],
    ) -> float:
        """Fit one candidate on the training rows and score it on the held-out ones."""
        est = self._candidate(params)
        est.fit(data.X[train], labels[train], data.y[train], **keep)
        return self._score(est, data, held, tau_nn)

    def _fit(self, data: FitData) -> None:
        if self.criterion == "pehe-nn" and len(data.classes) != 2:
            raise DataError(
                f"criterion='pehe-nn' needs a binary treatment, got {len(data.classes)} arms "
                f"{data.classes.tolist()}; use criterion='factual'"
            )
        train, held = self._split(data.t)
        tau_nn = None
        if self.criterion == "pehe-nn":  # the same pseudo-effects score every candidate
            scale = data.X[train].std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
            tau_nn = nearest_neighbour_effects(data.X[held] / scale, data.t[held], data.y[held])
        labels = data.classes[data.t]
        keep = {
            "control": data.classes[0],
            "overlap": "check" if data.strict_overlap else "warn",
        }  # the candidates see the same arms and the same overlap rule
        grid = list(ParameterGrid(self.param_grid))
        job = partial(self._try, data, train, held, tau_nn, labels, keep)
        scores = parallel_map(
            job,
            grid,
            n_jobs=self.n_jobs,
            backend=self.backend,
            description="EffectSearch",
            progress=self.progress,
        )
        self.results_: list[dict[str, Any]] = []
        for params, score in zip(grid, scores, strict=True):
            if not math.isfinite(score):
                raise DataError(f"EffectSearch: candidate {params} scored {score}")
            self.results_.append({"params": params, "score": score})
        best = min(range(len(grid)), key=lambda k: self.results_[k]["score"])
        self.best_params_: dict[str, Any] = grid[best]
        self.best_score_ = float(self.results_[best]["score"])
        refit = self._candidate(self.best_params_)
        self.best_estimator_: BaseEffectEstimator = refit.fit(data.X, labels, data.y, **keep)

    def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
        return self.best_estimator_._predict_outcomes(X)

    def _average(self, estimand: Estimand, arm: int, level: float) -> Effect:
        return self.best_estimator_._average(estimand, arm, level)
