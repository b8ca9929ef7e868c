"""The estimator contract, checked for every estimator: scikit-learn conventions and the causal API."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from tests.estimators.conftest import ESTIMATOR_NAMES

from deepcausal.errors import NotFittedError
from deepcausal.estimators import Effect


@pytest.fixture(scope="module")
def data(sim):
    return sim(400, seed=3)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_sklearn_conventions(name: str, make) -> None:
    est = make(name, tiny=True)
    params = est.get_params()
    twin = clone(est)
    assert type(twin) is type(est)
    assert twin.get_params().keys() == params.keys()
    for key, value in params.items():
        if not hasattr(value, "get_params"):
            assert twin.get_params()[key] == value, key
    assert est.set_params(random_state=7) is est
    assert est.get_params()["random_state"] == 7
    with pytest.raises(NotFittedError, match="not fitted"):
        est.ate()


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_fit_predict_and_effects(name: str, make, data) -> None:
    est = make(name, tiny=True)
    assert est.fit(data.X, data.t, data.y) is est
    assert est.n_features_in_ == 3
    assert list(est.classes_) == [0, 1]
    mu = est.predict_outcomes(data.X[:10])
    assert mu.shape == (10, 2) and np.isfinite(mu).all()
    tau = est.effect(data.X[:10])
    np.testing.assert_allclose(tau, mu[:, 1] - mu[:, 0])
    ate95, ate80 = est.ate(), est.ate(0.80)
    assert isinstance(ate95, Effect) and ate95.estimand == "ATE"
    assert ate95.ci_low < ate95.value < ate95.ci_high
    assert ate95.std_error > 0
    assert ate80.value == pytest.approx(ate95.value)
    assert ate80.ci_high - ate80.ci_low < ate95.ci_high - ate95.ci_low
    att = est.att()
    assert att.estimand == "ATT" and att.ci_low < att.value < att.ci_high
    assert f"({95:g}% CI" in str(ate95) and est.method_name in str(ate95)
    # refitting a clone with the same seed reproduces the estimate
    again = clone(est).fit(data.X, data.t, data.y).ate()
    assert again.value == pytest.approx(ate95.value, rel=1e-6, abs=1e-9)


def test_effect_str() -> None:
    e = Effect(4.0213, 3.8511, 4.1942, 0.0875, "AIPW")
    assert str(e) == "ATE = 4.02 (95% CI 3.85 to 4.19), AIPW"
    assert e.covers(4.0) and not e.covers(5.0)
    e90 = Effect(-0.0012, -0.004, 0.0016, 0.001, "IPW (Hajek)", estimand="ATT", level=0.9)
    assert str(e90) == "ATT = -0.0012 (90% CI -0.004 to 0.0016), IPW (Hajek)"
    with pytest.raises(AttributeError):
        e.value = 1.0  # type: ignore[misc]


def test_dataframe_input_records_feature_names(make, data) -> None:
    import pandas as pd

    df = pd.DataFrame(data.X, columns=["age", "income", "score"])
    est = make("AIPW").fit(df, pd.Series(data.t), data.y)
    assert list(est.feature_names_in_) == ["age", "income", "score"]
    np.testing.assert_allclose(est.effect(df), est.effect(data.X))


def test_refit_starts_from_scratch(make, data) -> None:
    import pandas as pd

    est = make("RegressionAdjustment").fit(
        pd.DataFrame(data.X, columns=["a", "b", "c"]), data.t, data.y
    )
    first = est.ate()
    assert hasattr(est, "bootstrap_") and hasattr(est, "feature_names_in_")
    est.fit(data.X[:, :2], data.t, data.y + 1.0 * data.t)  # another problem: the old state must go
    assert not hasattr(est, "feature_names_in_") and not hasattr(est, "bootstrap_")
    assert est.n_features_in_ == 2
    assert est.ate().value == pytest.approx(first.value + 1.0, abs=0.3)


@pytest.mark.parametrize("name", ["TARNet", "CFR-MMD"])
def test_refit_trains_a_fresh_net_on_every_row_for_the_chosen_epochs(make, data, name) -> None:
    est = make(name, tiny=True, refit=True).fit(data.X, data.t, data.y)
    chosen = est.train_result_.best_epoch + 1
    assert est.refit_result_ is not None
    assert len(est.refit_result_.train_loss) == chosen  # exactly the early-stopped epochs
    assert est.refit_result_.val_loss == []  # no rows held out
    plain = make(name, tiny=True, refit=False).fit(data.X, data.t, data.y)
    assert plain.refit_result_ is None
    # same seed, same selection run: only the final fit differs
    assert plain.train_result_.train_loss == est.train_result_.train_loss
    assert not np.allclose(plain.effect(data.X), est.effect(data.X))
