"""Plug-in evaluation of estimands on discrete data: values, output shape and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import DataError, SchemaError
from deepcausal.graph import CausalGraph
from deepcausal.identify import Estimand, Probability, Product, Sum, identify

BACKDOOR = CausalGraph("Z -> X; X -> Y; Z -> Y")
FRONTDOOR = CausalGraph("X -> M; M -> Y; X <-> Y")
NAPKIN = CausalGraph("W -> R; R -> X; X -> Y; W <-> X; W <-> Y")


def random_frame(columns: dict[str, int], n: int = 5000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.integers(0, k, n) for c, k in columns.items()})


def test_backdoor_matches_a_direct_computation() -> None:
    data = random_frame({"Z": 3, "X": 2, "Y": 3})
    result = identify(BACKDOOR, "X", "Y").evaluate(data, {"X": 1})
    p_z = data["Z"].value_counts(normalize=True)
    treated = data[data["X"] == 1]
    p_y_xz = treated.groupby("Z")["Y"].value_counts(normalize=True).unstack()
    expected = (p_y_xz.mul(p_z, axis=0)).sum()
    np.testing.assert_allclose(result.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert result.index.name == "Y"
    assert list(result.index) == [0, 1, 2]
    assert result.name == "P(Y | do(X=1))"
    assert result.sum() == pytest.approx(1.0)


def test_frontdoor_matches_a_direct_computation() -> None:
    data = random_frame({"X": 2, "M": 2, "Y": 2}, seed=1)
    result = identify(FRONTDOOR, "X", "Y").evaluate(data, {"X": 0})
    p_x = data["X"].value_counts(normalize=True)
    p_m_x = data[data["X"] == 0]["M"].value_counts(normalize=True)
    expected = np.zeros(2)
    for m in (0, 1):
        for x in (0, 1):
            cell = data[(data["X"] == x) & (data["M"] == m)]
            p_y = cell["Y"].value_counts(normalize=True).reindex([0, 1], fill_value=0.0)
            expected += p_m_x[m] * p_x[x] * p_y.to_numpy()
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=1e-12)


def test_string_values_and_several_outcomes() -> None:
    data = random_frame({"X": 2, "M": 2, "Y": 2, "W": 3}, seed=2)
    data["Y"] = data["Y"].map({0: "no", 1: "yes"})
    graph = CausalGraph("X -> M; M -> Y; X <-> Y; M -> W")
    estimand = identify(graph, "X", ["Y", "W"])
    result = estimand.evaluate(data, {"X": 1})
    assert isinstance(result.index, pd.MultiIndex)
    assert result.index.names == ["Y", "W"]
    assert list(result.index) == [(y, w) for y in ("no", "yes") for w in (0, 1, 2)]
    assert result.sum() == pytest.approx(1.0)
    # marginalising the joint answer gives the single-outcome answer
    single = identify(graph, "X", "Y").evaluate(data, {"X": 1})
    np.testing.assert_allclose(result.groupby(level="Y").sum().to_numpy(), single.to_numpy())


def test_conditional_query_uses_given_values() -> None:
    graph = CausalGraph("X -> Y; Y -> Z; X <-> Z")
    data = random_frame({"X": 2, "Y": 2, "Z": 3}, seed=3)
    estimand = identify(graph, "X", "Y", "Z")
    result = estimand.evaluate(data, {"X": 1}, {"Z": 2})
    assert result.name == "P(Y | do(X=1), Z=2)"
    assert result.sum() == pytest.approx(1.0)
    with pytest.raises(DataError, match="given_values must give a value for 'Z'"):
        estimand.evaluate(data, {"X": 1})


def test_auxiliary_variables_are_averaged_or_fixed() -> None:
    data = random_frame({"W": 2, "R": 3, "X": 2, "Y": 2}, seed=4)
    napkin = identify(NAPKIN, "X", "Y")
    averaged = napkin.evaluate(data, {"X": 1})
    per_r = [napkin.evaluate(data, {"X": 1, "R": r}) for r in range(3)]
    weights = data["R"].value_counts(normalize=True).sort_index().to_numpy()
    expected = sum(w * s.to_numpy() for w, s in zip(weights, per_r, strict=True))
    np.testing.assert_allclose(averaged.to_numpy(), expected)
    assert averaged.sum() == pytest.approx(1.0)


def test_zero_times_undefined_is_zero() -> None:
    # covariate combination (Z1=1, Z2=1) never occurs: its undefined P(Y | X, Z1, Z2) has weight 0
    data = random_frame({"Z1": 2, "Z2": 2, "X": 2, "Y": 2}, seed=5)
    data = data[~((data["Z1"] == 1) & (data["Z2"] == 1))]
    graph = CausalGraph("Z1 -> Z2; Z1 -> X; Z2 -> X; X -> Y; Z1 -> Y; Z2 -> Y")
    estimand = identify(graph, "X", "Y")
    assert str(estimand) == "Σ_{Z1, Z2} P(Y | X, Z1, Z2) P(Z1, Z2)"
    result = estimand.evaluate(data, {"X": 0})
    assert np.isfinite(result).all() and result.sum() == pytest.approx(1.0)


def test_positivity_violation_names_the_term_and_event() -> None:
    data = random_frame({"Z": 2, "X": 2, "Y": 2}, seed=6)
    data = data[~((data["X"] == 1) & (data["Z"] == 1))]  # no treated unit with Z=1
    estimand = identify(BACKDOOR, "X", "Y")
    with pytest.raises(DataError, match=r"the term P\(Y \| X, Z\) conditions on X=1, Z=1"):
        estimand.evaluate(data, {"X": 1})
    # the untreated arm is fine
    assert estimand.evaluate(data, {"X": 0}).sum() == pytest.approx(1.0)


def test_unobserved_intervention_value() -> None:
    data = random_frame({"Z": 2, "X": 2, "Y": 2})
    estimand = identify(BACKDOOR, "X", "Y")
    with pytest.raises(SchemaError, match=r"X=5 was never observed.*P\(Y \| X, Z\)"):
        estimand.evaluate(data, {"X": 5})


def test_missing_columns_and_nan() -> None:
    data = random_frame({"Z": 2, "X": 2, "Y": 2})
    estimand = identify(BACKDOOR, "X", "Y")
    with pytest.raises(SchemaError, match="no column 'Z'"):
        estimand.evaluate(data.drop(columns="Z"), {"X": 1})
    with_nan = data.astype(float)
    with_nan.loc[3, "Y"] = np.nan
    with pytest.raises(DataError, match="column 'Y' has 1 missing value"):
        estimand.evaluate(with_nan, {"X": 1})
    with pytest.raises(DataError, match="no rows"):
        estimand.evaluate(data.iloc[:0], {"X": 1})
    with pytest.raises(DataError, match="pandas DataFrame"):
        estimand.evaluate(data.to_numpy(), {"X": 1})  # type: ignore[arg-type]


def test_intervention_must_match_the_treatment() -> None:
    data = random_frame({"Z": 2, "X": 2, "Y": 2})
    estimand = identify(BACKDOOR, "X", "Y")
    with pytest.raises(DataError, match="intervention must give a value for 'X'"):
        estimand.evaluate(data, {})
    with pytest.raises(DataError, match="intervention names 'Z'"):
        estimand.evaluate(data, {"X": 1, "Z": 0})
    with pytest.raises(DataError, match="given_values names 'Z'"):
        estimand.evaluate(data, {"X": 1}, {"Z": 0})
    with pytest.raises(DataError, match="mapping"):
        estimand.evaluate(data, [("X", 1)])  # type: ignore[arg-type]


def test_float_columns_and_hand_built_estimands() -> None:
    data = random_frame({"A": 2, "B": 3}, seed=7).astype(float)
    expr = Sum(["A"], Product([Probability(["B"], ["A"]), Probability(["A"])]))
    estimand = Estimand(expr, treatment=[], outcome=["B"])
    result = estimand.evaluate(data, {})
    expected = data["B"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(result.to_numpy(), expected.to_numpy())
    assert list(result.index) == [0.0, 1.0, 2.0]
