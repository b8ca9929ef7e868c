"""Estimators validate like scikit-learn and say what they estimate: named arms, columns matched
by name, overlap checked by every estimator, missing values refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.estimators.conftest import ESTIMATOR_KINDS

from deepcausal.errors import DataError, DeepCausalError, OverlapWarning
from deepcausal.estimators import Effect, RegressionAdjustment, estimate_effect

ALL = list(ESTIMATOR_KINDS)


@pytest.fixture(scope="module")
def data(sim):
    return sim(300, seed=1)


def _labelled(data) -> tuple[pd.DataFrame, pd.Series]:
    X = pd.DataFrame(data.X, columns=[f"x{j}" for j in range(data.X.shape[1])])
    t = pd.Series(np.where(data.t == 1, "drug", "placebo"), name="therapy")
    return X, t


def test_the_control_arm_is_named_and_every_effect_says_which_contrast_it_is(data) -> None:
    X, t = _labelled(data)
    # sorted order makes 'drug' the control: the printout says so, and control= flips it
    by_order = RegressionAdjustment(n_bootstrap=5, random_state=0).fit(X, t, data.y).ate()
    assert by_order.contrast == "therapy='placebo' vs therapy='drug' (control)"
    assert str(by_order).endswith("; therapy='placebo' vs therapy='drug' (control)")
    named = RegressionAdjustment(n_bootstrap=5, random_state=0)
    named.fit(X, t, data.y, control="placebo")
    effect = named.ate()
    assert effect.contrast == "therapy='drug' vs therapy='placebo' (control)"
    assert np.isclose(effect.value, -by_order.value)
    assert list(named.classes_) == ["placebo", "drug"]
    with pytest.raises(DataError, match=r"control='aspirin' is not a value of t"):
        named.fit(X, t, data.y, control="aspirin")


@pytest.mark.parametrize("name", ALL)
def test_every_estimator_names_its_contrast(name, make, data) -> None:
    est = make(name, tiny=True).fit(data.X, data.t, data.y, control=0)
    assert est.ate().contrast == "t=1 vs t=0 (control)"


@pytest.mark.parametrize("name", ["TARNet", "AIPW", "RegressionAdjustment"])
def test_columns_are_matched_by_name_never_by_position(name, make, data) -> None:
    X, _ = _labelled(data)
    est = make(name, tiny=True).fit(X, data.t, data.y)
    assert list(est.feature_names_in_) == list(X.columns)
    with pytest.raises(DataError, match=r"another order .*X\[estimator.feature_names_in_\]"):
        est.effect(X[X.columns[::-1]])
    with pytest.raises(DataError, match=r"missing \['x0'\], unexpected \['age'\]"):
        est.effect(X.rename(columns={"x0": "age"}))
    aligned = X[X.columns[::-1]][est.feature_names_in_]
    np.testing.assert_allclose(est.effect(aligned), est.effect(X))


def _separated(data):
    t = (data.X[:, 0] > 0).astype(int)  # the arms share no covariate region
    return data.X, t, data.y + 2.0 * t


@pytest.mark.parametrize("name", ALL)
def test_no_overlap_is_refused_by_every_estimator(name, make, data) -> None:
    X, t, y = _separated(data)
    with pytest.raises(DataError, match=r"no overlap.*overlap=\"warn\""):
        make(name, tiny=True).fit(X, t, y)


@pytest.mark.parametrize("name", ["TARNet", "RegressionAdjustment"])
def test_no_overlap_can_be_accepted_explicitly_with_a_warning(name, make, data) -> None:
    X, t, y = _separated(data)
    with pytest.warns(OverlapWarning) as record:
        make(name, tiny=True).fit(X, t, y, overlap="warn")
    assert any("no overlap" in str(w.message) for w in record)


def test_poor_overlap_warning_names_the_share_of_units(data) -> None:
    X = data.X.copy()
    X[:10, 0] = 8.0  # ten units almost surely treated
    t = data.t.copy()
    t[:10] = 1
    with pytest.warns(OverlapWarning, match=r"poor overlap: \d+ unit\(s\) \(\d+\.\d%\)"):
        RegressionAdjustment(n_bootstrap=3, random_state=0).fit(X, t, data.y)


def test_missing_values_in_a_categorical_adjustment_column_are_refused() -> None:
    rng = np.random.default_rng(0)
    n = 400
    z = rng.choice(["a", "b", "c"], size=n)
    t = rng.binomial(1, 0.5, size=n)
    frame = pd.DataFrame({"Z": z, "T": t, "Y": 2.0 * t + (z == "b") + rng.normal(size=n)})
    frame.loc[[3, 17], "Z"] = np.nan
    with pytest.raises(
        DataError, match=r"adjustment column 'Z' has 2 missing value\(s\) \(rows \[3, 17\]\)"
    ):
        estimate_effect(frame, "Z -> T; Z -> Y; T -> Y", "T", "Y", method="aipw")


def test_an_effect_along_no_directed_path_is_zero_and_said_so() -> None:
    frame = pd.DataFrame({"T": [0, 1] * 20, "Y": np.arange(40.0)})
    with pytest.raises(
        DeepCausalError, match="effect of Y on T is zero in this graph: there is no directed path"
    ):
        estimate_effect(frame, "T -> Y", "Y", "T", method="aipw")


def test_effect_to_dict_and_p_value() -> None:
    effect = Effect(2.0, 1.0, 3.0, 0.5, "AIPW", contrast="t=1 vs t=0 (control)")
    d = effect.to_dict()
    assert d["contrast"] == "t=1 vs t=0 (control)" and d["estimand"] == "ATE"
    assert np.isclose(d["p_value"], 6.334e-05, rtol=1e-3)  # 2 * (1 - Phi(4))
