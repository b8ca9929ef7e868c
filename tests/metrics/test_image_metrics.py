"""Counterfactual image metrics on models whose answers are known: a model that redraws an image
from its parent exactly (perfect composition and reversibility) and one that adds blur at every
call (composition that degrades with the number of cycles)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import image_table, stack_columns
from deepcausal.errors import DataError
from deepcausal.metrics import (
    composition,
    effectiveness,
    frechet_distance,
    minimality,
    null_intervention,
    reversibility,
)

SHAPE = (1, 4, 4)


def _render(t: np.ndarray) -> np.ndarray:
    return np.broadcast_to(t[:, None, None, None], (len(t), *SHAPE)).copy()


class Exact:
    """image = t everywhere: every counterfactual is exact."""

    def counterfactual(self, factual: pd.DataFrame, interventions: Any) -> pd.DataFrame:
        t = np.asarray(interventions.get("t", factual["t"]), dtype=float)
        t = np.broadcast_to(t, (len(factual),))
        return image_table(pd.DataFrame({"t": t}, index=factual.index), _render(t), "image")


class Drifting(Exact):
    """Keeps the image but brightens it by 1 at every call, whatever the intervention."""

    def counterfactual(self, factual: pd.DataFrame, interventions: Any) -> pd.DataFrame:
        images = stack_columns(factual, "image", SHAPE) + 1.0
        return factual.drop(columns=["image"]).pipe(image_table, images, "image")


@pytest.fixture
def factual() -> pd.DataFrame:
    t = np.array([0.0, 1.0, 2.0])
    return image_table(pd.DataFrame({"t": t}), _render(t), "image")


def test_an_exact_model_composes_and_reverses_perfectly(factual) -> None:
    assert composition(Exact(), factual, "image", ["t"], SHAPE, cycles=3).tolist() == [0, 0, 0]
    assert reversibility(Exact(), factual, "image", {"t": np.array([5.0, 5, 5])}, SHAPE) == 0.0
    cf = Exact().counterfactual(factual, {"t": 7.0})
    assert effectiveness(stack_columns(cf, "image", SHAPE).mean((1, 2, 3)), cf["t"]) == 0.0
    assert minimality(stack_columns(cf, "image", SHAPE), _render(factual["t"].to_numpy())) == 6.0


def test_a_drifting_model_is_caught_by_composition_and_reversibility(factual) -> None:
    drift = composition(Drifting(), factual, "image", ["t"], SHAPE, cycles=4)
    np.testing.assert_allclose(drift, [1, 2, 3, 4])  # grows with the cycles
    assert reversibility(Drifting(), factual, "image", {"t": np.zeros(3)}, SHAPE) == 2.0
    assert null_intervention(factual, ["t"])["t"].tolist() == [0, 1, 2]


def test_frechet_distance_and_bad_input() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 2))
    assert frechet_distance(a, a) < 1e-6
    assert frechet_distance(a, a + np.array([3.0, 0.0])) == pytest.approx(9.0, rel=1e-6)
    with pytest.raises(DataError, match="shapes"):
        frechet_distance(a, rng.normal(size=(5, 3)))
    with pytest.raises(DataError, match="3 measured values for 2"):
        effectiveness(np.zeros(3), np.zeros(2))
    with pytest.raises(DataError, match="lack the parent"):
        null_intervention(pd.DataFrame({"x": [1]}), ["t"])
    with pytest.raises(ValueError, match="cycles"):
        composition(Exact(), pd.DataFrame({"t": [1.0]}), "image", ["t"], SHAPE, cycles=0)
