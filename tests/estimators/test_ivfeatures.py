"""DeepIVFeatures: a causal feature of an image exposure learned with instruments (Yao et al.)."""

from __future__ import annotations

import numpy as np
import pytest

from deepcausal.datasets import simulate_image_exposure
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators import DeepIVFeatures
from deepcausal.nn import TrainConfig

FAST = TrainConfig(max_epochs=120, batch_size=512, patience=20, progress=False)


@pytest.fixture(scope="module")
def sim():  # type: ignore[no-untyped-def]
    return simulate_image_exposure(3000, random_state=0, size=16)


def test_learns_the_causal_attribute_and_its_effect(sim) -> None:  # type: ignore[no-untyped-def]
    d = sim.data
    Z = d[[f"z{j}" for j in range(5)]].to_numpy()
    a = sim.truth["a"]
    ols = np.polyfit(a, d.y, 1)[0]
    assert ols > 1.3  # the hidden u biases the regression on the true attribute by >= 30%
    est = DeepIVFeatures(train_config=FAST, random_state=0)
    est.fit(None, sim.truth["image"], d.y, instruments=Z)
    f = est.features(sim.truth["image"])[:, 0]
    assert abs(np.corrcoef(f, a)[0, 1]) > 0.8
    effect = est.ate(sim.truth["image"], sim.truth["counterfactual"])
    assert abs(effect.value - sim.ate) < 0.4 < abs(ols - sim.ate)
    assert np.isfinite(effect.std_error) and effect.std_error > 0
    per_unit = est.effect(sim.truth["image"], sim.truth["counterfactual"])
    assert per_unit.shape == (3000,)
    assert est.first_stage_f_ > 10


def test_bad_input(sim) -> None:  # type: ignore[no-untyped-def]
    d = sim.data
    Z = d[[f"z{j}" for j in range(5)]].to_numpy()
    img = sim.truth["image"]
    with pytest.raises(NotFittedError):
        DeepIVFeatures().features(img)
    with pytest.raises(DataError, match="rows"):
        DeepIVFeatures().fit(None, img[:10], d.y, instruments=Z)
    bad = img.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        DeepIVFeatures().fit(None, bad, d.y, instruments=Z)
    with pytest.raises(DataError, match="instrument"):
        DeepIVFeatures(n_features=6).fit(None, img, d.y, instruments=Z)
    tiny = TrainConfig(max_epochs=2, batch_size=512, progress=False)
    est = DeepIVFeatures(train_config=tiny, random_state=0).fit(None, img, d.y, instruments=Z)
    with pytest.raises(DataError, match="fitted on"):
        est.features(img[:, :, :8, :8])
