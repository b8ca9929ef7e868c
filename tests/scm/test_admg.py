"""DeepSCM with hidden confounders: the front door's interventional distribution, the refusals, and
save/load of latent-fed mechanisms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import CapabilityError, NotIdentifiable
from deepcausal.scm import DeepSCM

FRONT_DOOR = "X -> M; M -> Y; X <-> Y"


@pytest.fixture(scope="module")
def front_door() -> tuple[pd.DataFrame, DeepSCM]:
    rng = np.random.default_rng(0)
    n = 4000
    u = rng.normal(size=n)
    x = u + rng.normal(size=n)
    m = np.tanh(x) + 0.5 * rng.normal(size=n)
    y = 2 * m + 1.5 * u + 0.5 * rng.normal(size=n)
    df = pd.DataFrame({"X": x, "M": m, "Y": y})
    return df, DeepSCM(FRONT_DOOR, random_state=0, progress=False).fit(df)


def test_front_door_interventions_match_the_truth(front_door: tuple[pd.DataFrame, DeepSCM]) -> None:
    df, scm = front_door
    assert scm.selection_.loc[("Y", "gan"), "metric"] == "mmd"
    sd = df.Y.std()
    for x in (-1.0, 1.0):
        sample = scm.do(X=x).sample(20_000, random_state=1)
        # E[Y | do(X=x)] = 2 tanh(x); the confounded naive regression is far off (about 1.5 x).
        assert abs(sample.Y.mean() - 2 * np.tanh(x)) < 0.15 * sd
        assert abs(sample.M.mean() - np.tanh(x)) < 0.05
    naive = np.polyfit(df.X, df.Y, 1)[0] * 2
    ate = scm.ate("X", "Y", treated=1.0, control=-1.0, n=20_000, random_state=2).value
    truth = 4 * np.tanh(1.0)
    assert abs(ate - truth) < abs(naive - truth) / 2


def test_refusals(front_door: tuple[pd.DataFrame, DeepSCM]) -> None:
    df, scm = front_door
    with pytest.raises(CapabilityError, match="neural_counterfactual"):
        scm.counterfactual(df.head(3), {"X": 0.0})
    bow = DeepSCM("X -> Y; X <-> Y", progress=False)
    with pytest.raises(NotIdentifiable, match=r"(?s)hedge.*bounds"):
        bow.do(X=1.0)
    discrete = pd.DataFrame({"X": np.arange(200) % 2, "M": np.arange(200) % 3 * 1.0,
                             "Y": np.random.default_rng(0).integers(0, 2, 200)})  # fmt: skip
    with pytest.raises(CapabilityError, match="discrete and shares a hidden confounder"):
        DeepSCM(FRONT_DOOR, progress=False).fit(discrete)


def test_save_and_load_keep_the_latents(
    front_door: tuple[pd.DataFrame, DeepSCM], tmp_path: Path
) -> None:
    _, scm = front_door
    scm.save(tmp_path / "m")
    again = DeepSCM.load(tmp_path / "m")
    a = scm.do(X=1.0).sample(2000, random_state=3)
    b = again.do(X=1.0).sample(2000, random_state=3)
    assert np.allclose(a.to_numpy(), b.to_numpy(), atol=1e-5)


def test_estimate_effect_uses_the_admg_deepscm_for_a_continuous_treatment() -> None:
    from deepcausal import estimate_effect

    rng = np.random.default_rng(1)
    n = 2000
    u1, u2 = rng.normal(size=n), rng.normal(size=n)
    w = u1 + u2 + rng.normal(size=n)
    r = np.tanh(w) + 0.5 * rng.normal(size=n)
    x = r + u1 + 0.5 * rng.normal(size=n)
    y = x + 1.5 * u2 + 0.5 * rng.normal(size=n)  # a unit increase of x adds 1
    df = pd.DataFrame({"W": w, "R": r, "X": x, "Y": y})
    res = estimate_effect(df, "W -> R; R -> X; X -> Y; W <-> X; W <-> Y", "X", "Y",
                          random_state=0, progress=False)  # fmt: skip
    assert res.strategy == "ADMG DeepSCM"
    assert abs(res.effect.value - 1.0) < 0.3
