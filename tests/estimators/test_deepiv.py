"""DeepIV (Hartford et al. 2017): recovers the structural response where regression is confounded,
for continuous and discrete treatments; chooses hyper-parameters on held-out stage losses; names
bad input."""

from __future__ import annotations

import numpy as np
import pytest

from deepcausal.datasets import simulate_demand
from deepcausal.datasets._hidden import demand_h
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators import DeepIV, TwoStageLeastSquares, select_deepiv
from deepcausal.nn import TrainConfig

FAST = TrainConfig(progress=False, max_epochs=60, patience=10, batch_size=128)


def _linear_iv(n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    u, z, x = rng.normal(size=(3, n))
    t = z + u + 0.5 * x + 0.5 * rng.normal(size=n)
    y = 2.0 * t + 3.0 * u + x + rng.normal(size=n)
    return x[:, None], t, y, z


def test_deepiv_recovers_a_linear_effect_that_regression_gets_wrong() -> None:
    X, t, y, z = _linear_iv(3000, 0)
    naive = np.polyfit(t, y, 1)[0]
    assert naive > 2.6  # the hidden u pushes regression up by >= 30% of the effect
    est = DeepIV(n_ensemble=1, n_bootstrap=0, train_config=FAST, random_state=0).fit(
        X, t, y, instruments=z
    )
    effect = est.ate(t0=0.0, t1=1.0)
    assert abs(effect.value - 2.0) < 0.3, effect
    assert est.treatment_kind_ == "continuous"
    assert np.isinf(effect.std_error) and "n_bootstrap=0" in effect.method
    slopes = est.effect(X, 0.0, 1.0)
    assert slopes.shape == (3000,)


def test_deepiv_discrete_treatment_integrates_exactly() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    u = rng.normal(size=n)
    z = rng.binomial(1, 0.5, size=n)
    t = rng.binomial(1, 1 / (1 + np.exp(-(2.5 * z - 1.25 + u))))
    y = 1.5 * t + 2.0 * u + rng.normal(size=n)
    est = DeepIV(n_ensemble=1, n_bootstrap=0, train_config=FAST, random_state=0).fit(
        None, t, y, instruments=z
    )
    assert est.treatment_kind_ == "discrete"
    assert abs(est.ate().value - 1.5) < 0.35
    with pytest.raises(DataError, match="not a value the discrete treatment took"):
        est.predict(None, 0.5)
    draws = est.sample_treatment(None, np.array([0, 1]), n_samples=2000)
    assert draws[0].mean() < draws[1].mean()  # the instrument moves the treatment


def test_deepiv_beats_2sls_on_the_demand_design() -> None:
    train = simulate_demand(3000, random_state=0).data
    test = simulate_demand(1000, random_state=1).data
    cols = ["time", "emotion"]
    truth = demand_h(test.price.to_numpy(), test.time.to_numpy(), test.emotion.to_numpy())
    est = DeepIV(n_ensemble=1, n_bootstrap=0, train_config=FAST, random_state=0)
    est.fit(train[cols], train.price, train.sales, instruments=train.cost)
    deep = np.mean((est.predict(test[cols], test.price) - truth) ** 2)
    ls = TwoStageLeastSquares().fit(train[cols], train.price, train.sales, instruments=train.cost)
    linear = np.mean((ls.predict(test[cols], test.price) - truth) ** 2)
    assert deep < 0.25 * linear, (deep, linear)


def test_bootstrap_interval_and_selection_on_held_out_losses() -> None:
    X, t, y, z = _linear_iv(1500, 2)
    small = TrainConfig(progress=False, max_epochs=25, patience=5, batch_size=128)
    base = DeepIV(n_ensemble=2, n_bootstrap=3, train_config=small, random_state=0)
    grid = {"n_components": [1, 3], "response_hidden": [(16,), (64, 32)]}
    best = select_deepiv(X, t, y, instruments=z, grid=grid, base=base)
    stage1 = [r for r in best.search_results_ if r["stage"] == 1]
    stage2 = [r for r in best.search_results_ if r["stage"] == 2]
    assert len(stage1) == 2 and len(stage2) == 2
    assert best.n_components == min(stage1, key=lambda r: r["held_out_loss"])["n_components"]
    assert best.response_hidden == min(stage2, key=lambda r: r["held_out_loss"])["response_hidden"]
    assert len(best.members_) == 1 and all(m.n_ensemble == 1 for m in best.bootstrap_models_)
    both = (best._predict_one(X, t) + best.members_[0]._predict_one(X, t)) / 2
    np.testing.assert_allclose(best.predict(X, t), both)  # the ensemble averages its members
    effect = best.ate()
    assert np.isfinite(effect.std_error) and effect.std_error > 0
    assert "bootstrap (3 refits)" in effect.method
    with pytest.raises(ValueError, match="not stage parameters"):
        select_deepiv(X, t, y, instruments=z, grid={"lr": [0.1]})


def test_deepiv_bad_input() -> None:
    X, t, y, z = _linear_iv(200, 3)
    with pytest.raises(ValueError, match="n_samples must be an even number"):
        DeepIV(n_samples=3).fit(X, t, y, instruments=z)
    with pytest.raises(NotFittedError):
        DeepIV().predict(X, 0.0)
    with pytest.raises(DataError, match="rows"):
        DeepIV().fit(X[:100], t, y, instruments=z)


def test_deepiv_follows_the_estimator_contract() -> None:
    from sklearn.base import clone

    X, t, y, z = _linear_iv(400, 4)
    tiny = TrainConfig(progress=False, max_epochs=5, batch_size=128)
    est = DeepIV(n_ensemble=2, n_bootstrap=0, train_config=tiny, random_state=7,
                 response_hidden=(16,))  # fmt: skip
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    a = est.fit(X, t, y, instruments=z).predict(X, 1.0)
    b = copy.fit(X, t, y, instruments=z).predict(X, 1.0)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)  # the seed fixes everything
    np.testing.assert_allclose(est.effect(X, 0.0, 1.0), a - est.predict(X, 0.0))
    assert est.ate(level=0.9).level == 0.9


def test_estimate_effect_with_deepiv_checks_the_instrument_in_the_graph() -> None:
    import pandas as pd

    from deepcausal.errors import GraphError
    from deepcausal.estimators import estimate_effect

    X, t, y, z = _linear_iv(2000, 5)
    frame = pd.DataFrame({"x": X[:, 0], "z": z, "t": t, "y": y})
    g = "z -> t; x -> t; x -> y; t -> y; t <-> y"
    res = estimate_effect(
        frame, g, "t", "y", method="deepiv", instruments="z", n_ensemble=1, n_bootstrap=0,
        train_config=FAST, random_state=0,
    )  # fmt: skip
    assert res.strategy == "instrument" and isinstance(res.estimator, DeepIV)
    assert res.estimator.n_features_in_ == 1  # x is conditioned on
    assert abs(res.effect.value - 2.0) < 0.3  # a unit increase from the mean treatment
    assert "additively" in res.assumption
    with pytest.raises(GraphError, match="'z' is not an instrument"):
        estimate_effect(frame, g + "; z -> y", "t", "y", method="deepiv", instruments="z")
