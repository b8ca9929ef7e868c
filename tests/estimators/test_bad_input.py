"""Bad input gets a clear error (or warning) that names the problem."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from tests.estimators.conftest import ESTIMATOR_KINDS

from deepcausal.errors import DataError, OverlapWarning
from deepcausal.estimators import AIPW, DML, IPW, CFRNet, DragonNet, PSMatching, TARNet

ALL = list(ESTIMATOR_KINDS)
BINARY_ONLY = [CFRNet, DragonNet, PSMatching, DML]


@pytest.fixture(scope="module")
def data(sim):
    return sim(200, seed=0)


@pytest.mark.parametrize("cls", BINARY_ONLY)
def test_non_binary_treatment_is_refused(cls, data) -> None:
    t = data.t + (data.X[:, 2] > 1).astype(int)  # three arms
    with pytest.raises(DataError, match=r"needs a binary treatment.*3 distinct values"):
        cls().fit(data.X, t, data.y)


@pytest.mark.parametrize("name", ALL)
def test_single_arm(name, make, data) -> None:
    with pytest.raises(DataError, match="single treatment arm"):
        make(name).fit(data.X, np.ones_like(data.t), data.y)


@pytest.mark.parametrize("name", ALL)
def test_nan_and_inf(name, make, data) -> None:
    X = data.X.copy()
    X[5, 1] = np.nan
    with pytest.raises(DataError, match=r"X has 1 NaN.*row 5, column 1"):
        make(name).fit(X, data.t, data.y)
    y = data.y.copy()
    y[3] = np.inf
    with pytest.raises(DataError, match=r"y has NaN or infinite values .*row 3"):
        make(name).fit(data.X, data.t, y)
    t = data.t.astype(float)
    t[7] = np.nan
    with pytest.raises(DataError, match="t has NaN"):
        make(name).fit(data.X, t, data.y)


@pytest.mark.parametrize("name", ALL)
def test_mismatched_lengths(name, make, data) -> None:
    with pytest.raises(DataError, match="t has 199 rows but X has 200"):
        make(name).fit(data.X, data.t[:-1], data.y)
    with pytest.raises(DataError, match="y has 201 rows but X has 200"):
        make(name).fit(data.X, data.t, np.append(data.y, 0.0))


def test_shape_and_type_errors(data) -> None:
    est = AIPW(LinearRegression())
    with pytest.raises(DataError, match=r"must be 2-D.*reshape"):
        est.fit(data.X[:, 0], data.t, data.y)
    with pytest.raises(DataError, match="non-integer values"):
        est.fit(data.X, data.t + 0.5 * data.X[:, 0], data.y)
    with pytest.raises(DataError, match="y must be numeric"):
        est.fit(data.X, data.t, np.array(["a"] * len(data.y)))
    with pytest.raises(DataError, match="has 1 unit"):
        t = np.zeros_like(data.t)
        t[0] = 1
        est.fit(data.X, t, data.y)
    fitted = AIPW(LinearRegression(), random_state=0).fit(data.X, data.t, data.y)
    with pytest.raises(DataError, match="X has 2 columns, but the estimator was fit on 3"):
        fitted.effect(data.X[:, :2])


def test_no_overlap_is_an_error(data) -> None:
    X = data.X[:, :1]
    t = (X[:, 0] > 0).astype(int)  # the treatment is a deterministic function of X
    for est in (
        IPW(),
        AIPW(LinearRegression(), random_state=0),
        PSMatching(),
        DML(LinearRegression(), random_state=0),
    ):
        with pytest.raises(DataError, match="no overlap"):
            est.fit(X, t, data.y)


def test_deterministic_treatment_is_refused_unless_accepted(data) -> None:
    t = (data.X[:, 0] > 0).astype(int)  # complete separation, blurred by the fitted propensity
    with pytest.raises(DataError, match="no overlap: a linear function of the covariates"):
        IPW().fit(data.X, t, data.y)
    with pytest.warns(OverlapWarning) as record:
        IPW().fit(data.X, t, data.y, overlap="warn")
    assert any(
        re.search(r"poor overlap: \d+ unit\(s\) \(\d+\.\d%\)", str(w.message)) for w in record
    )


def test_poor_overlap_warns(sim) -> None:
    d = sim(400, seed=1)
    strong = (d.X[:, 0] * 4.0 + d.X[:, 1] + np.random.default_rng(0).normal(size=400)) > 0
    with pytest.warns(OverlapWarning, match=r"poor overlap: \d+ unit"):
        IPW(clip=0.05).fit(d.X, strong.astype(int), d.y)


def test_caliper_drops_unmatched_units_with_a_warning(sim) -> None:
    d = sim(400, seed=4)
    with pytest.warns(OverlapWarning, match="no match within the caliper"):
        est = PSMatching(caliper=0.001).fit(d.X, d.t, d.y)
    assert 0 < est.matched_.sum() < len(d.t)


def test_bad_hyper_parameters_are_refused_at_fit(data) -> None:
    with pytest.raises(ValueError, match="n_folds must be >= 2"):
        AIPW(n_folds=1).fit(data.X, data.t, data.y)
    with pytest.raises(ValueError, match="ipm must be one of"):
        CFRNet(ipm="kl").fit(data.X, data.t, data.y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="propensity_model must be a classifier"):
        IPW(propensity_model=LinearRegression()).fit(data.X, data.t, data.y)
    with pytest.raises(ValueError, match="train_config must be"):
        TARNet(train_config={"max_epochs": 3}).fit(data.X, data.t, data.y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level must be in"):
        AIPW(LinearRegression(), random_state=0).fit(data.X, data.t, data.y).ate(1.5)
    with pytest.raises(DataError, match="outcome_type='binary' but y"):
        DragonNet(outcome_type="binary").fit(data.X, data.t, data.y)
