"""Partially linear DML for a continuous treatment (Chernozhukov et al. 2018, §4.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import CapabilityError, DataError, OverlapWarning
from deepcausal.estimators import PartiallyLinearDML, estimate_effect


def _data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    confounding = np.sin(2 * X[:, 0]) + X[:, 1] ** 2  # non-linear in X: OLS cannot remove it
    t = confounding + rng.normal(size=n)
    y = 1.5 * t + 2.0 * confounding + X[:, 2] + rng.normal(size=n)
    return X, t, y


def test_recovers_the_slope_where_linear_adjustment_is_biased() -> None:
    X, t, y = _data()
    est = PartiallyLinearDML(random_state=0).fit(X, t, y)
    effect = est.ate()
    assert abs(effect.value - 1.5) < 4 * effect.std_error
    assert effect.ci_low < effect.value < effect.ci_high and effect.n == 3000
    design = np.column_stack([np.ones(len(t)), t, X])
    ols = np.linalg.lstsq(design, y, rcond=None)[0][1]
    assert abs(ols - 1.5) > 10 * effect.std_error  # the linear adjustment is far off
    assert est.ate(t0=1.0, t1=3.0).value == pytest.approx(2 * effect.value)
    np.testing.assert_allclose(est.effect(X[:5], 0.0, 2.0), 2 * est.theta_)


def test_linear_nuisances_give_the_ols_coefficient() -> None:
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 2))
    t = X @ [1.0, -0.5] + rng.normal(size=4000)
    y = 0.7 * t + X @ [2.0, 1.0] + rng.normal(size=4000)
    est = PartiallyLinearDML(LinearRegression(), LinearRegression(), random_state=0).fit(X, t, y)
    design = np.column_stack([np.ones(len(t)), t, X])
    ols = np.linalg.lstsq(design, y, rcond=None)[0][1]
    assert est.theta_ == pytest.approx(ols, abs=5e-3)  # Frisch-Waugh-Lovell, up to cross-fitting


def test_bad_treatments_are_named() -> None:
    from sklearn.linear_model import LinearRegression

    X, t, y = _data(n=200)
    with pytest.raises(DataError, match="fewer than 3 values"):
        PartiallyLinearDML().fit(X, (t > 0).astype(float), y)
    linear = LinearRegression()
    with pytest.raises(DataError, match="function of the covariates"):
        PartiallyLinearDML(linear, linear, random_state=0).fit(X, X[:, 0] * 2.0, y)
    rng = np.random.default_rng(3)
    nearly = X[:, 0] * 2.0 + 0.05 * rng.normal(size=len(X))
    with pytest.warns(OverlapWarning, match="of the treatment's variance is left"):
        PartiallyLinearDML(linear, linear, random_state=0).fit(X, nearly, y)
    with pytest.raises(DataError, match="missing or infinite"):
        PartiallyLinearDML().fit(X, np.where(t > 2, np.nan, t), y)


def test_estimate_effect_routes_a_continuous_treatment() -> None:
    X, t, y = _data(n=2000, seed=2)
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "dose": t, "y": y})
    graph = "a -> dose; b -> dose; a -> y; b -> y; c -> y; dose -> y"
    result = estimate_effect(df, graph, "dose", "y", method="dml", random_state=0)
    assert isinstance(result.estimator, PartiallyLinearDML)
    assert result.adjustment_set == ("a", "b")
    assert abs(result.effect.value - 1.5) < 4 * result.effect.std_error
    assert "linear in dose" in result.assumption
    with pytest.raises(CapabilityError, match="'dose' is a continuous treatment"):
        estimate_effect(df, graph, "dose", "y", method="aipw")
    with pytest.raises(CapabilityError, match="binary or categorical treatment"):
        result.unit_effects()
