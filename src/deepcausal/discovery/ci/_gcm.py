"""The generalised covariance measure (GCM) test of Shah & Peters (2020)."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from deepcausal.discovery.ci._base import BoundCITest, CITest

__all__ = ["GCM"]

Regressor = Literal["krr", "gbm", "linear", "knn"]


class GCM(CITest):
    r"""The generalised covariance measure test (Shah & Peters 2020), a nonparametric CI test.

    Regress ``x`` on ``given`` and ``y`` on ``given`` with a flexible regressor, take the residuals
    :math:`r_x, r_y` and their products :math:`R_i = r_{x,i} r_{y,i}`; then

    .. math:: T = \sqrt{n}\,\frac{\bar R}{\sqrt{\overline{R^2} - \bar R^2}}, \qquad
              p = 2\,(1 - \Phi(|T|)).

    Under conditional independence (and regressions that converge fast enough) :math:`T` is
    asymptotically standard normal, whatever the form of the dependence on ``given``. The residuals
    are cross-fitted (each fold predicted by a model trained on the other folds) so that a flexible
    regressor cannot overfit them away (unless the regressor is a smoother tuned by leave-one-out
    error, as the default is), and they are cached per (variable, conditioning set), so a discovery
    run fits each regression once.

    Args:
        regressor: ``"krr"`` (the default: Gaussian kernel ridge regression with bandwidth and ridge
            chosen by exact leave-one-out error, fitted on at most 500 rows; best for a few smooth
            conditioning variables), ``"gbm"`` (histogram gradient boosting, for many or rough
            conditioning variables and large n), ``"knn"`` (k nearest neighbours), ``"linear"``
            (least squares: GCM is then a heteroscedasticity-robust partial-correlation test) or any
            scikit-learn regressor.
        n_folds: Folds for cross-fitting; ``None`` means 1 (in-sample) for ``"krr"`` and
            ``"linear"`` and 2 otherwise.
        random_state: Seed for the fold split and the regressor.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.uniform(-2, 2, 600)
        >>> df = pd.DataFrame({"x": np.tanh(2 * z) + 0.3 * rng.normal(size=600),
        ...                    "y": z**3 + 0.3 * rng.normal(size=600), "z": z})
        >>> GCM()("x", "y", [], df) < 0.01, GCM()("x", "y", ["z"], df) > 0.01
        (True, True)
    """

    name = "gcm"

    def __init__(
        self, regressor: Regressor | Any = "krr", n_folds: int | None = None, random_state: int = 0
    ) -> None:
        if isinstance(regressor, str) and regressor not in ("krr", "gbm", "linear", "knn"):
            raise ValueError(
                f"unknown GCM regressor {regressor!r}; use 'krr', 'gbm', 'linear' or 'knn'"
            )
        if not isinstance(regressor, str) and not hasattr(regressor, "fit"):
            raise TypeError(
                f"regressor must be a name or a scikit-learn regressor, got {regressor!r}"
            )
        if n_folds is None:
            n_folds = 1 if regressor in ("krr", "linear") else 2
        if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 1:
            raise ValueError(f"n_folds must be a positive integer, got {n_folds!r}")
        self.regressor = regressor
        self.n_folds = n_folds
        self.random_state = random_state

    def bind(self, data: pd.DataFrame) -> _BoundGCM:
        return _BoundGCM(data, self)

    def __repr__(self) -> str:
        return f"GCM(regressor={self.regressor!r}, n_folds={self.n_folds})"


def _make_regressor(spec: Any, random_state: int, n_rows: int) -> Any:
    from sklearn.base import clone

    if not isinstance(spec, str):
        return clone(spec)
    if spec == "krr":
        from deepcausal.discovery.ci._krr import KernelRidgeLOO

        return KernelRidgeLOO(random_state=random_state)
    if spec == "linear":
        from sklearn.linear_model import LinearRegression

        return LinearRegression()
    if spec == "knn":
        from sklearn.neighbors import KNeighborsRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        k = max(5, round(n_rows**0.5))
        return make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=k))
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=15,
        early_stopping=False,
        random_state=random_state,
    )


class _BoundGCM(BoundCITest):
    def __init__(self, data: pd.DataFrame, test: GCM) -> None:
        self.columns = tuple(str(c) for c in data.columns)
        self.values = data.to_numpy(dtype=float)
        self.test = test
        n = self.values.shape[0]
        rng = np.random.default_rng(test.random_state)
        self.folds = rng.permutation(n) % test.n_folds if test.n_folds > 1 else np.zeros(n, int)
        self.residuals: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def residual(self, target: int, given: tuple[int, ...]) -> np.ndarray:
        key = (target, tuple(sorted(given)))
        cached = self.residuals.get(key)
        if cached is not None:
            return cached
        y = self.values[:, target]
        if not given:
            resid = y - y.mean()
        else:
            from threadpoolctl import threadpool_limits

            X = self.values[:, list(key[1])]
            prediction = np.empty_like(y)
            n_folds = self.test.n_folds
            # one thread per fit: the regressions are small and many, and OpenMP threads on a busy
            # machine cost more than they save
            with threadpool_limits(limits=1):
                for fold in range(n_folds):
                    test_rows = self.folds == fold
                    train_rows = ~test_rows if n_folds > 1 else test_rows
                    model = _make_regressor(
                        self.test.regressor, self.test.random_state, int(train_rows.sum())
                    )
                    model.fit(X[train_rows], y[train_rows])
                    prediction[test_rows] = model.predict(X[test_rows])
            resid = y - prediction
        self.residuals[key] = resid
        return resid

    def pvalue(self, i: int, j: int, given: tuple[int, ...]) -> float:
        product = self.residual(i, given) * self.residual(j, given)
        n = product.shape[0]
        mean = float(product.mean())
        spread = float(np.sqrt(max(float(np.mean(product**2)) - mean**2, 0.0)))
        if spread == 0.0:
            return 1.0
        statistic = math.sqrt(n) * mean / spread
        return float(special.erfc(abs(statistic) / math.sqrt(2.0)))
