"""KernelIV (Singh, Sahani & Gretton 2019): a nonlinear structural response under a hidden
confounder, where 2SLS (linear) and regression (confounded) both miss it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators import KernelIV, TwoStageLeastSquares, estimate_effect


def _design(n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    u, z, x = rng.normal(size=(3, n))
    t = 1.5 * z + u + 0.3 * rng.normal(size=n)
    y = np.sin(t) + 0.5 * x - 2.0 * u + 0.1 * rng.normal(size=n)
    return x[:, None], t, y, z


def test_kernel_iv_recovers_a_nonlinear_response_that_2sls_and_regression_miss() -> None:
    X, t, y, z = _design(1200, 0)
    kiv = KernelIV(n_bootstrap=0, random_state=0).fit(X, t, y, instruments=z)
    grid = np.linspace(-2.0, 2.0, 21)
    rows = np.zeros((grid.size, 1))
    truth = np.sin(grid)
    err_kiv = np.mean((kiv.predict(rows, grid) - kiv.predict(rows, 0.0) - truth) ** 2)
    tsls = TwoStageLeastSquares().fit(X, t, y, instruments=z)
    err_2sls = np.mean((tsls.predict(rows, grid) - tsls.predict(rows, 0.0) - truth) ** 2)
    slope = np.polyfit(t, y, 1)[0]  # the confounded regression
    err_ols = np.mean((slope * grid - truth) ** 2)
    assert err_kiv < 0.15, err_kiv
    assert err_kiv < 0.5 * err_2sls and err_kiv < 0.3 * err_ols, (err_kiv, err_2sls, err_ols)
    assert kiv.lambda_ in kiv.lambdas and kiv.xi_ in kiv.xis


def test_kernel_iv_ate_has_a_seeded_bootstrap_interval() -> None:
    X, t, y, z = _design(800, 1)
    kiv = KernelIV(n_bootstrap=10, random_state=1).fit(X, t, y, instruments=z)
    effect = kiv.ate(t0=0.0, t1=1.0)
    ols = float(np.polyfit(t, y, 1)[0])  # confounded downwards (about -0.3)
    assert ols < effect.ci_low and effect.ci_low < effect.value < effect.ci_high
    assert "bootstrap (10 refits)" in effect.method
    again = KernelIV(n_bootstrap=10, random_state=1).fit(X, t, y, instruments=z).ate(0.0, 1.0)
    assert again.value == effect.value and again.ci_low == effect.ci_low  # seeded


def test_kernel_iv_bad_input_is_named() -> None:
    X, t, y, z = _design(100, 2)
    with pytest.raises(NotFittedError):
        KernelIV().ate()
    with pytest.raises(DataError, match="at least 20 rows"):
        KernelIV().fit(None, t[:10], y[:10], instruments=z[:10])
    with pytest.raises(ValueError, match="n_bootstrap"):
        KernelIV(n_bootstrap=1).fit(None, t, y, instruments=z)
    with pytest.raises(ValueError, match="xis"):
        KernelIV(xis=(0.0,)).fit(None, t, y, instruments=z)
    with pytest.raises(DataError, match="instruments has 1 NaN"):
        KernelIV().fit(None, t, y, instruments=np.where(np.arange(100) == 5, np.nan, z))
    kiv = KernelIV(n_bootstrap=0).fit(X, t, y, instruments=z)
    with pytest.raises(DataError, match="3 values for 5 rows"):
        kiv.predict(X[:5], np.arange(3.0))
    assert kiv.predict(X[:5], 0.5).shape == (5,)


def test_estimate_effect_with_kernel_iv() -> None:
    X, t, y, z = _design(600, 3)
    data = pd.DataFrame({"z": z, "t": t, "y": y, "x": X[:, 0]})
    res = estimate_effect(data, "z -> t; t -> y; x -> y; t <-> y", "t", "y", method="kernel-iv",
                          instruments="z", n_bootstrap=5, random_state=0)  # fmt: skip
    assert isinstance(res.estimator, KernelIV)
    assert "KernelIV's h(t, x) + e" in res.assumption
    assert np.isfinite(res.effect.value) and res.effect.ci_low < res.effect.ci_high
