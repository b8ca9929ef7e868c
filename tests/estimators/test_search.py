"""EffectSearch: hyper-parameter selection by PEHE_nn or the factual error, without counterfactuals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from deepcausal.errors import DataError
from deepcausal.estimators import (
    AIPW,
    EffectSearch,
    RegressionAdjustment,
    nearest_neighbour_effects,
)
from deepcausal.metrics._effects import sqrt_pehe


def _heterogeneous(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """τ(X) = 3 x0: a strongly heterogeneous effect that a heavy ridge penalty flattens."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    t = rng.binomial(1, 1.0 / (1.0 + np.exp(-0.5 * X[:, 1])))
    cate = 3.0 * X[:, 0]
    y = X[:, 1] + cate * t + 0.3 * rng.normal(size=n)
    return X, t, y, cate


def test_nearest_neighbour_effects_equal_the_truth_when_every_unit_has_a_twin() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    X2 = np.vstack([X, X])  # every unit appears once in each arm
    t = np.r_[np.zeros(50, int), np.ones(50, int)]
    tau = X[:, 0] ** 2 - X[:, 1]
    y = np.r_[X[:, 2], X[:, 2] + tau]
    np.testing.assert_allclose(nearest_neighbour_effects(X2, t, y), np.r_[tau, tau])


@pytest.mark.parametrize("criterion", ["pehe-nn", "factual"])
def test_search_picks_the_candidate_with_the_smaller_effect_error(criterion: str) -> None:
    X, t, y, cate = _heterogeneous(600, seed=1)
    grid = {"outcome_model__alpha": [1e5, 0.1, 1e3]}
    search = EffectSearch(
        RegressionAdjustment(Ridge()), grid, criterion=criterion, random_state=0
    ).fit(X, t, y)
    assert search.best_params_ == {"outcome_model__alpha": 0.1}
    assert [r["params"]["outcome_model__alpha"] for r in search.results_] == [1e5, 0.1, 1e3]
    scores = [r["score"] for r in search.results_]
    assert search.best_score_ == min(scores) and scores[0] > scores[2] > scores[1]
    # the winner is refit on every row and answers for the search
    best = search.best_estimator_
    assert best.fit_data_.X.shape[0] == 600
    np.testing.assert_allclose(search.effect(X), best.effect(X))
    assert sqrt_pehe(cate, search.effect(X)) < 0.25 * cate.std()
    assert search.method_name == best.method_name


def test_intervals_are_the_selected_estimators_own() -> None:
    X, t, y, _ = _heterogeneous(500, seed=2)
    search = EffectSearch(
        AIPW(Ridge(), n_folds=2), {"outcome_model__alpha": [0.1, 10.0]}, random_state=0
    ).fit(X, t, y)
    assert search.ate() == search.best_estimator_.ate()
    assert search.att(0.9) == search.best_estimator_.att(0.9)


def test_the_tuned_estimator_is_not_modified() -> None:
    X, t, y, _ = _heterogeneous(300, seed=3)
    base = RegressionAdjustment(Ridge(alpha=5.0))
    EffectSearch(base, {"outcome_model__alpha": [0.1, 1.0]}, random_state=0).fit(X, t, y)
    assert base.get_params()["outcome_model__alpha"] == 5.0
    assert not hasattr(base, "fit_data_")


def test_factual_criterion_handles_three_arms(sim_multi) -> None:
    X, t, y, truth = sim_multi(900, seed=4)
    search = EffectSearch(
        RegressionAdjustment(Ridge(), n_bootstrap=5),
        {"outcome_model__alpha": [0.1, 1e5]},
        criterion="factual",
        random_state=0,
    ).fit(X, t, y)
    assert search.best_params_ == {"outcome_model__alpha": 0.1}
    assert abs(search.effect(X, arm=2).mean() - truth[2]) < 0.3


def test_bad_settings_name_the_culprit(sim_multi) -> None:
    X, t, y, _ = _heterogeneous(200, seed=5)
    ra = RegressionAdjustment(Ridge())
    with pytest.raises(ValueError, match=r"\['alpha'\].*RegressionAdjustment"):
        EffectSearch(ra, {"alpha": [1.0]}).fit(X, t, y)
    with pytest.raises(ValueError, match="criterion must be one of"):
        EffectSearch(ra, {"outcome_model__alpha": [1.0]}, criterion="pehe").fit(X, t, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"validation_fraction must be in \(0, 1\)"):
        EffectSearch(ra, {"outcome_model__alpha": [1.0]}, validation_fraction=1.0).fit(X, t, y)
    with pytest.raises(ValueError, match="must be a deepcausal effect estimator"):
        EffectSearch(Ridge(), {"alpha": [1.0]}).fit(X, t, y)  # type: ignore[arg-type]
    X3, t3, y3, _ = sim_multi(300, seed=6)
    with pytest.raises(DataError, match="pehe-nn' needs a binary treatment, got 3 arms"):
        EffectSearch(ra, {"outcome_model__alpha": [1.0]}).fit(X3, t3, y3)
    t_rare = np.zeros(200, int)
    t_rare[:3] = 1  # 3 treated units: nothing left to hold out
    with pytest.raises(DataError, match="treatment arm 1 has 3 rows"):
        EffectSearch(ra, {"outcome_model__alpha": [1.0]}).fit(X, t_rare, y)
