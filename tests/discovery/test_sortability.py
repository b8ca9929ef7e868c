"""Varsortability and R²-sortability (Reisach et al. 2021, 2023), and the scale warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from deepcausal.discovery import discover, r2_sortability, varsortability
from deepcausal.discovery._sortability import r2_values, sortability
from deepcausal.errors import ScaleWarning

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])


def _chain(n: int = 2000, gain: float = 2.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = gain * a + rng.normal(size=n)
    c = gain * b + rng.normal(size=n)
    return np.column_stack([a, b, c])


def test_paths_of_every_length_count() -> None:
    # a -> b -> c has three paths (a~>b, b~>c, a~>c); scores 1, 3, 2 increase along two of them
    assert sortability(np.array([1.0, 3.0, 2.0]), CHAIN) == pytest.approx(2 / 3)
    assert sortability(np.array([1.0, 1.0, 1.0]), CHAIN) == 0.5
    assert np.isnan(sortability(np.ones(3), np.zeros((3, 3))))


def test_a_growing_chain_is_varsortable_and_rescaling_undoes_it_but_not_r2() -> None:
    x = _chain()
    assert varsortability(x, CHAIN) == 1.0
    flipped = x / np.array([1.0, 10.0, 100.0])  # the same causal model in other units
    assert varsortability(flipped, CHAIN) == 0.0
    assert r2_sortability(x, CHAIN) == r2_sortability(flipped, CHAIN)
    np.testing.assert_allclose(r2_values(x), r2_values(flipped), atol=1e-12)


def test_r2_matches_least_squares() -> None:
    x = _chain(n=500, seed=1)
    for j in range(3):
        others = np.column_stack([np.ones(len(x)), np.delete(x, j, axis=1)])
        fit = others @ np.linalg.lstsq(others, x[:, j], rcond=None)[0]
        r2 = 1 - np.sum((x[:, j] - fit) ** 2) / np.sum((x[:, j] - x[:, j].mean()) ** 2)
        assert r2_values(x)[j] == pytest.approx(r2, abs=1e-9)


def test_a_continuous_method_warns_on_raw_scales_and_reports_the_numbers() -> None:
    frame = pd.DataFrame(_chain(), columns=["a", "b", "c"])
    with pytest.warns(ScaleWarning, match="from lower to higher raw variance"):
        raw = discover(frame, method="notears", random_state=0)
    assert raw.diagnostics["varsortability"] == 1.0
    assert raw.diagnostics["standardized"] == "false"
    assert 0.0 <= float(raw.diagnostics["r2_sortability"]) <= 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScaleWarning)
        scaled = discover(frame, method="notears", random_state=0, standardize=True)
    assert scaled.diagnostics["standardized"] == "true"
    assert len(scaled.edges) >= 2
    # the diagnostics describe the raw data, whichever scale the method saw
    assert 0.0 <= float(scaled.diagnostics["varsortability"]) <= 1.0


def test_pc_scores_only_the_edges_it_oriented_and_never_warns() -> None:
    chain = pd.DataFrame(_chain(), columns=["a", "b", "c"])
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=2000), 3 * rng.normal(size=2000)
    collider = pd.DataFrame({"a": a, "b": b, "c": a + b + rng.normal(size=2000)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScaleWarning)
        undecided = discover(chain, method="pc")
        oriented = discover(collider, method="pc")
    assert "varsortability" not in undecided.diagnostics  # a --- b --- c: no order to score
    assert oriented.diagnostics["varsortability"] == 1.0  # var(a), var(b) < var(c)


def test_standardize_must_be_a_bool() -> None:
    frame = pd.DataFrame(_chain(n=50), columns=["a", "b", "c"])
    with pytest.raises(TypeError, match="standardize must be True or False"):
        discover(frame, method="pc", standardize="yes")  # type: ignore[arg-type]
