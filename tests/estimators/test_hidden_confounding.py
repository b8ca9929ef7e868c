"""Estimators for a hidden confounder: each recovers the truth of its simulator where naive
adjustment is biased by at least 30% of the effect, agrees with textbook computations, and names
bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from deepcausal.datasets import simulate_frontdoor, simulate_mismeasured, simulate_proxies
from deepcausal.errors import DataError, GraphError, NotFittedError
from deepcausal.estimators import (
    EffectRestoration,
    FrontDoor,
    ProximalTwoStage,
    TwoStageLeastSquares,
    WeakInstrumentWarning,
)

N = 8000


def _iv_data(n: int, seed: int, strength: float = 1.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    u, z1, z2, x = rng.normal(size=(4, n))
    t = strength * (z1 + 0.5 * z2) + u + 0.3 * x + rng.normal(size=n)
    y = 2.0 * t + 3.0 * u + x + rng.normal(size=n)
    return x[:, None], t, y, np.column_stack([z1, z2])


def test_2sls_matches_the_textbook_formula_and_its_robust_variance() -> None:
    X, t, y, Z = _iv_data(600, 0)
    est = TwoStageLeastSquares().fit(X, t, y, instruments=Z)
    n = len(y)
    W = np.column_stack([np.ones(n), t, X])  # regressors
    I = np.column_stack([np.ones(n), Z, X])  # instruments
    P = I @ np.linalg.pinv(I.T @ I) @ I.T
    beta = np.linalg.solve(W.T @ P @ W, W.T @ P @ y)  # (W' P W)^-1 W' P y
    assert np.allclose(est.coef_, beta, atol=1e-6, rtol=0)
    W_hat = P @ W
    bread = np.linalg.inv(W_hat.T @ W_hat)
    u = y - W @ beta
    cov = n / (n - 3) * bread @ (W_hat.T * u**2) @ W_hat @ bread
    assert np.allclose(est.coef_cov_, cov, atol=1e-6, rtol=0)
    effect = est.ate(t0=1.0, t1=3.0)
    assert math.isclose(effect.value, 2 * beta[1], abs_tol=1e-9)
    assert math.isclose(effect.std_error, 2 * math.sqrt(cov[1, 1]), abs_tol=1e-9)
    np.testing.assert_allclose(est.effect(X, 0.0, 1.0), np.full(n, beta[1]), atol=1e-9)


def test_2sls_agrees_with_statsmodels() -> None:
    gmm = pytest.importorskip("statsmodels.sandbox.regression.gmm")
    X, t, y, Z = _iv_data(800, 1)
    n = len(y)
    ref = gmm.IV2SLS(
        y, np.column_stack([np.ones(n), t, X]), np.column_stack([np.ones(n), Z, X])
    ).fit()
    est = TwoStageLeastSquares().fit(X, t, y, instruments=Z)
    assert np.allclose(est.coef_, ref.params, atol=1e-6, rtol=0)


def test_2sls_agrees_with_econml() -> None:
    lm = pytest.importorskip(
        "econml.sklearn_extensions.linear_model", reason="econml is a benchmark extra"
    )
    X, t, y, Z = _iv_data(800, 1)
    n = len(y)
    ref = lm.StatsModels2SLS(cov_type="HC1").fit(
        np.column_stack([np.ones(n), Z, X]), np.column_stack([np.ones(n), t, X]), y
    )
    est = TwoStageLeastSquares().fit(X, t, y, instruments=Z)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6, rtol=0)
    np.testing.assert_allclose(est.coef_cov_, ref._param_var, atol=1e-6, rtol=0)


def test_2sls_recovers_the_effect_ols_misses() -> None:
    X, t, y, Z = _iv_data(N, 2)
    ols = LinearRegression().fit(np.column_stack([t, X]), y).coef_[0]
    assert abs(ols - 2.0) > 0.3 * 2.0  # confounded by u
    effect = TwoStageLeastSquares().fit(X, t, y, instruments=Z).ate()
    assert abs(effect.value - 2.0) < 0.1 * 2.0 and effect.covers(2.0)


def test_weak_instruments_warn_with_the_f_statistic() -> None:
    X, t, y, Z = _iv_data(300, 3, strength=0.02)
    with pytest.warns(WeakInstrumentWarning, match=r"first-stage F statistic is \d+\.\d\d"):
        est = TwoStageLeastSquares().fit(X, t, y, instruments=Z)
    assert est.first_stage_f_ < 10


def test_iv_bad_input_is_named() -> None:
    X, t, y, Z = _iv_data(200, 4)
    with pytest.raises(DataError, match="treatment does not vary with the instrument"):
        TwoStageLeastSquares().fit(
            None, np.tile([0.0, 1.0], 100), y, instruments=np.repeat([0, 1], 100)
        )
    with pytest.raises(DataError, match=r"instruments has 2 NaN .* row 3"):
        TwoStageLeastSquares().fit(
            X, t, y, instruments=np.where(np.arange(200)[:, None] == 3, np.nan, Z)
        )
    with pytest.raises(DataError, match="X has 199 rows"):
        TwoStageLeastSquares().fit(X[:-1], t, y, instruments=Z)
    with pytest.raises(NotFittedError):
        TwoStageLeastSquares().ate()
    est = TwoStageLeastSquares().fit(None, t, y, instruments=Z)
    with pytest.raises(DataError, match="fitted without covariates"):
        est.predict(X, 1.0)


def test_proximal_2sls_recovers_the_effect_proxies_alone_do_not() -> None:
    sim = simulate_proxies(N, 0)
    d = sim.data
    naive = LinearRegression().fit(d[["t", "x", "z", "w"]], d.y).coef_[0]
    assert abs(naive - sim.ate) > 0.3 * sim.ate
    effect = (
        ProximalTwoStage().fit(d[["x"]], d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w).ate()
    )
    assert abs(effect.value - sim.ate) < 0.1 * sim.ate and effect.covers(sim.ate)
    with pytest.raises(DataError, match="at least as many treatment proxies"):
        ProximalTwoStage().fit(None, d.t, d.y, treatment_proxy=d.z, outcome_proxy=d[["w", "x"]])


def test_front_door_recovers_the_effect_through_the_mediator() -> None:
    sim = simulate_frontdoor(N, 0)
    d = sim.data
    naive = d.y[d.t == 1].mean() - d.y[d.t == 0].mean()
    assert abs(naive - sim.ate) > 0.3 * sim.ate
    effect = FrontDoor(n_bootstrap=100, random_state=0).fit(None, d.t, d.y, mediators=d.m).ate()
    assert abs(effect.value - sim.ate) < 0.1 * sim.ate and effect.covers(sim.ate)
    assert effect.contrast == "t=1 vs t=0 (control)"
    with pytest.raises(DataError, match="takes no covariates"):
        FrontDoor().fit(d[["m"]], d.t, d.y, mediators=d.m)


def test_effect_restoration_corrects_for_measurement_error() -> None:
    sim = simulate_mismeasured(N, 0)
    d = sim.data
    naive = LinearRegression().fit(d[["t", "w"]], d.y).coef_[0]  # adjusting for the noisy w
    assert abs(naive - sim.ate) > 0.3 * sim.ate
    est = EffectRestoration(sim.truth["error_matrix"], n_bootstrap=100, random_state=0)
    effect = est.fit(None, d.t, d.y, proxy=d.w).ate()
    assert abs(effect.value - sim.ate) < 0.1 * sim.ate and effect.covers(sim.ate)
    with pytest.raises(DataError, match="error matrix is singular"):
        EffectRestoration([[0.5, 0.5], [0.5, 0.5]]).fit(None, d.t, d.y, proxy=d.w)
    with pytest.raises(ValueError, match="summing to 1"):
        EffectRestoration([[0.9, 0.3], [0.3, 0.7]]).fit(None, d.t, d.y, proxy=d.w)
    with pytest.raises(DataError, match=r"codes 0\.\.1"):
        EffectRestoration(sim.truth["error_matrix"]).fit(None, d.t, d.y, proxy=d.w + 5)


def test_estimate_effect_routes_hidden_confounding_to_its_estimators() -> None:
    from deepcausal.estimators import estimate_effect

    sim = simulate_proxies(4000, random_state=3)
    res = estimate_effect(
        sim.data, "x -> t; x -> y; t -> y; t <-> y", "t", "y", method="proximal",
        treatment_proxy="z", outcome_proxy="w",
    )  # fmt: skip
    assert res.strategy == "proxies" and res.estimand is None
    assert res.estimator.n_features_in_ == 1  # x is conditioned on
    assert res.effect.covers(sim.ate)
    assert str(res).splitlines()[0] == "Proxies: {z, w}"

    X, t, y, Z = _iv_data(3000, 4)
    frame = pd.DataFrame({"x": X[:, 0], "z1": Z[:, 0], "z2": Z[:, 1], "t": t, "y": y})
    g = "z1 -> t; z2 -> t; x -> t; x -> y; t -> y; t <-> y"
    res = estimate_effect(frame, g, "t", "y", method="2sls", instruments=["z1", "z2"])
    assert res.strategy == "instrument" and res.effect.covers(2.0)
    with pytest.raises(GraphError, match="'x' is not an instrument"):
        estimate_effect(frame, g, "t", "y", method="2sls", instruments=["x"])
    with pytest.raises(DataError, match="needs instruments"):
        estimate_effect(frame, g, "t", "y", method="2sls")

    sim = simulate_frontdoor(4000, random_state=5)
    res = estimate_effect(sim.data, sim.truth["graph"], "t", "y", n_bootstrap=50, random_state=0)
    assert res.strategy == "front-door" and res.effect.covers(sim.ate)
    from deepcausal.errors import CapabilityError
    from deepcausal.estimators import refute

    with pytest.raises(CapabilityError, match="front-door adjustment"):
        refute(res)


def test_cli_effect_with_an_instrument_and_with_proxies(tmp_path, capsys) -> None:
    import argparse

    from deepcausal.cli import effect as effect_cli
    from deepcausal.cli.main import EXIT_ERROR, run_command

    parser = argparse.ArgumentParser()
    effect_cli.add_parser(parser.add_subparsers())
    sim = simulate_proxies(3000, random_state=6)
    path = tmp_path / "proxies.csv"
    sim.data.to_csv(path, index=False)
    graph = "x -> t; x -> y; t -> y; t <-> y"
    args = parser.parse_args(
        ["effect", str(path), "--graph", graph, "--treatment", "t", "--outcome", "y",
         "--method", "proximal", "--treatment-proxy", "z", "--outcome-proxy", "w",
         "--json", str(tmp_path / "out.json")]
    )  # fmt: skip
    args.debug, args.na = False, []
    assert run_command(args) == 0
    out = capsys.readouterr().out
    assert "Proxies: {z, w}" in out and "Rests on: z (treatment proxies)" in out
    import json

    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["strategy"] == "proxies" and saved["estimand"] is None
    assert saved["effect"]["ci_low"] < sim.ate < saved["effect"]["ci_high"]
    args = parser.parse_args(
        ["effect", str(path), "--graph", graph, "--treatment", "t", "--outcome", "y",
         "--method", "proximal", "--treatment-proxy", "z", "--outcome-proxy", "w", "--att"]
    )  # fmt: skip
    args.debug, args.na = False, []
    assert run_command(args) == EXIT_ERROR
    assert "average effect only" in capsys.readouterr().err
