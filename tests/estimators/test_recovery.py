"""Each estimator recovers known effects on a confounded simulator, within n-derived tolerances.

Tolerances are ``z`` standard errors of an efficient estimator at the sample size, from the
semiparametric efficiency bound ``E[σ²/e + σ²/(1-e) + (τ(X) - ATE)²]`` of the simulator; the
inefficient weighting and matching estimators get an inflation factor.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from deepcausal.errors import DataError
from deepcausal.estimators import AIPW, IPW, DragonNet, RegressionAdjustment, TARNet
from deepcausal.metrics._effects import sqrt_pehe

# (name, variance inflation over the efficient estimator)
CASES = [
    ("TARNet", 1.0),
    ("CFR-Wass", 1.0),
    ("CFR-MMD", 1.0),
    ("CFR-MMD-RBF", 1.0),
    ("DragonNet", 1.0),
    ("IPW", 1.5),
    ("PSMatching", 2.0),
    ("AIPW", 1.0),
    ("DML", 1.0),
    ("RegressionAdjustment", 1.0),
    ("EffectSearch", 1.0),
]
NEURAL = {"TARNet", "CFR-Wass", "CFR-MMD", "CFR-MMD-RBF", "DragonNet"}


@pytest.fixture(scope="module")
def data(sim):
    return sim(1000, seed=11)


@pytest.fixture(scope="module")
def fitted(make, data):
    """Each estimator fit once on the module's data, on first use."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = make(name).fit(data.X, data.t, data.y)
        return cache[name]

    return get


def _averages(est, X, t):
    """(ATE, ATT) without running a bootstrap: the plug-in values that ate()/att() report."""
    if type(est).__name__ in ("TARNet", "CFRNet", "RegressionAdjustment", "EffectSearch"):
        tau = est.effect(X)
        return float(tau.mean()), float(tau[t == 1].mean())
    return est.ate().value, est.att().value


@pytest.mark.parametrize(("name", "inflate"), CASES)
def test_recovers_ate_and_att(name: str, inflate: float, fitted, data) -> None:
    est = fitted(name)
    ate, att = _averages(est, data.X, data.t)
    tol = data.tolerance(inflate=inflate)
    assert abs(ate - data.ate) < tol, (ate, data.ate, tol)
    # the ATT is a treated-only average: fewer units, a wider tolerance
    tol_att = tol * np.sqrt(data.n / data.t.sum())
    assert abs(att - data.att) < tol_att, (att, data.att, tol_att)


@pytest.mark.parametrize("name", [*sorted(NEURAL), "AIPW"])
def test_cate_beats_the_best_constant(name: str, fitted, data) -> None:
    err = sqrt_pehe(data.cate, fitted(name).effect(data.X))
    # a constant guess is off by sd(τ(X)) = 0.5 at best; a model of τ must do clearly better
    assert err < 0.75 * data.cate.std(), err


@pytest.mark.filterwarnings("ignore::deepcausal.errors.OverlapWarning")  # 0.3% of units below 0.01
def test_bootstrap_interval_of_regression_adjustment_covers(make, data) -> None:
    eff = make("RegressionAdjustment").fit(data.X, data.t, data.y).ate()
    # the bootstrap standard error is close to the efficiency bound's sqrt(V/n) here
    bound = np.sqrt(data.asymptotic_var / data.n)
    assert 0.5 * bound < eff.std_error < 2.0 * bound
    assert eff.covers(data.ate)


def test_multi_valued_treatment(sim_multi, make) -> None:
    X, t, y, truth = sim_multi(1500, seed=5)
    estimators = [
        make("TARNet"),
        IPW(random_state=0),
        AIPW(LinearRegression(), random_state=0),
        RegressionAdjustment(n_bootstrap=10, random_state=0),
    ]
    for est in estimators:
        est.fit(X, t, y)
        assert est.predict_outcomes(X[:5]).shape == (5, 3)
        for arm, value in truth.items():
            est_value = (
                est.effect(X, arm=arm).mean() if isinstance(est, TARNet) else est.ate(arm=arm).value
            )
            assert abs(est_value - value) < 0.25, (type(est).__name__, arm, est_value)
        with pytest.raises(DataError, match="pass arm="):
            est.effect(X)
        with pytest.raises(DataError, match="control arm"):
            est.effect(X, arm=0)
        with pytest.raises(DataError, match="not a treatment value"):
            est.effect(X, arm=7)
    assert str(estimators[1].ate(arm=1)).startswith("ATE(1 vs 0) = ")


def test_string_treatment_labels(make, data) -> None:
    labels = np.where(data.t == 1, "treated", "control")
    est = make("AIPW").fit(data.X, labels, data.y)
    assert list(est.classes_) == ["control", "treated"]
    assert abs(est.ate().value - data.ate) < data.tolerance()


def test_binary_outcome(sim) -> None:
    d = sim(1500, seed=2, binary_outcome=True)
    aipw = AIPW(LogisticRegression(), random_state=0).fit(d.X, d.t, d.y)
    assert abs(aipw.ate().value - d.ate) < d.tolerance()
    dragon = DragonNet(representation=(32,), head=(16,), train_config=_fast(), random_state=0).fit(
        d.X, d.t, d.y
    )
    assert dragon.outcome_kind_ == "binary"
    mu = dragon.predict_outcomes(d.X)
    assert ((mu > 0) & (mu < 1)).all()
    assert abs(dragon.ate().value - d.ate) < d.tolerance()


def _fast():
    from deepcausal.nn import TrainConfig

    return TrainConfig(max_epochs=60, batch_size=64, lr=3e-3, patience=15, progress=False)
