"""Simulated SCMs: graph/equation agreement, interventions, exact counterfactuals, effects, errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import Schema
from deepcausal.datasets import SimulatedSCM, StructuralEquation, available_scms, load_scm
from deepcausal.errors import DataError, GraphError

REQUIRED = [
    "chain-linear",
    "chain-nonlinear",
    "triangle-linear",
    "triangle-nonlinear",
    "simpson-nonlinear",
    "diamond-nonlinear",
    "y-nonlinear",
    "collider-nonlinear",
    "large-backdoor-nonlinear",
    "mixed",
]
ALL = available_scms()
N = 2000
SEED = 7
# Abduction and prediction round trips are exact up to floating-point round-off.
RTOL = ATOL = 1e-9


def _internal(scm: SimulatedSCM, df: pd.DataFrame) -> dict[str, np.ndarray]:
    return scm._to_internal(df)


def _assert_same(scm: SimulatedSCM, got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    for v in scm.nodes:
        if scm.schema[v].kind == "continuous":
            np.testing.assert_allclose(got[v], want[v], rtol=RTOL, atol=ATOL, err_msg=v)
        else:
            assert got[v].tolist() == want[v].tolist(), v


def _do_value(scm: SimulatedSCM, df: pd.DataFrame, v: str) -> object:
    var = scm.schema[v]
    if var.categories is not None:
        return var.categories[-1]
    return float(np.quantile(df[v], 0.7))


def test_catalogue_names() -> None:
    assert set(REQUIRED) <= set(ALL)
    with pytest.raises(ValueError, match=r"unknown simulated SCM 'nope'; available: chain-linear"):
        load_scm("nope")


def test_some_scms_have_non_additive_noise() -> None:
    non_additive = {name for name in ALL if not load_scm(name).additive_noise}
    assert {"chain-nonadditive", "triangle-nonadditive", "mixed"} <= non_additive
    assert load_scm("triangle-nonlinear").additive_noise


@pytest.mark.parametrize("name", ALL)
def test_equations_use_exactly_their_parents(name: str) -> None:
    """Perturbing a non-parent never changes a node's equation; perturbing a parent does."""
    scm = load_scm(name)
    df = scm.sample(500, random_state=SEED)
    values = _internal(scm, df)
    rng = np.random.default_rng(0)
    for v, eq in scm.equations.items():
        u = eq.sample_noise(rng, len(df))
        base = eq.forward(values, u)
        for other in scm.nodes:
            if other == v:
                continue
            perturbed = dict(values)
            var = scm.schema[other]
            if var.categories is not None:
                perturbed[other] = (values[other] + 1) % var.n_categories
            else:
                perturbed[other] = values[other] + 0.7
            changed = np.any(eq.forward(perturbed, u) != base)
            assert changed == (other in eq.parents), (v, other)
        assert scm.graph.parents(v) == eq.parents


@pytest.mark.parametrize("name", ALL)
def test_additive_flag_matches_the_equation(name: str) -> None:
    """x = f(pa) + g(u) exactly when a noise step moves x by the same amount whatever the parents."""
    scm = load_scm(name)
    df = scm.sample(300, random_state=SEED)
    values = _internal(scm, df)
    for v, eq in scm.equations.items():
        if scm.schema[v].kind != "continuous" or not eq.parents:
            continue
        u = np.full(len(df), 0.3)
        step = eq.forward(values, u + 0.1) - eq.forward(values, u)
        is_additive = np.allclose(step, step[0], rtol=1e-9, atol=1e-12)
        assert is_additive == eq.additive, v


@pytest.mark.parametrize("name", ALL)
def test_samples_fit_the_schema(name: str) -> None:
    scm = load_scm(name)
    df, noise = scm.sample(N, random_state=SEED, return_noise=True)
    scm.schema.validate(df)
    assert Schema.infer(df) == scm.schema
    assert list(noise.columns) == list(scm.noise_columns)
    assert len(df) == len(noise) == N
    assert set(scm.graph.nodes) == set(scm.nodes)
    # the same seed gives the same rows
    _assert_same(scm, scm.sample(N, random_state=SEED), df)


@pytest.mark.parametrize("name", ALL)
def test_interventions_set_the_node_and_leave_non_descendants_alone(name: str) -> None:
    scm = load_scm(name)
    obs = scm.sample(N, random_state=SEED)
    for v in scm.nodes:
        value = _do_value(scm, obs, v)
        intv = scm.sample(N, do={v: value}, random_state=SEED)
        assert (intv[v] == value).all()
        desc = scm.graph.descendants(v)
        for w in scm.nodes:
            if w != v and w not in desc:  # common random numbers: identical, not just equal in law
                assert intv[w].tolist() == obs[w].tolist(), (v, w)
        moved = [w for w in desc if intv[w].tolist() != obs[w].tolist()]
        assert sorted(moved) == sorted(desc), (v, moved)


@pytest.mark.parametrize("name", ALL)
def test_abduction_recovers_the_true_noise(name: str) -> None:
    scm = load_scm(name)
    df, noise = scm.sample(N, random_state=SEED, return_noise=True)
    abducted = scm.abduct(df)
    continuous = [v for v in scm.nodes if scm.schema[v].kind == "continuous"]
    assert list(abducted.columns) == continuous
    for v in continuous:
        # |du/dx| can be large where an equation saturates (Simpson's tanh(u3)): compare x-space
        # round trips elsewhere; here the noise itself, to a tolerance that covers that case.
        np.testing.assert_allclose(abducted[v], noise[v], rtol=1e-6, atol=1e-6, err_msg=v)


@pytest.mark.parametrize("name", ALL)
def test_counterfactual_with_factual_values_reproduces_the_rows(name: str) -> None:
    scm = load_scm(name)
    df, noise = scm.sample(N, random_state=SEED, return_noise=True)
    for v in scm.nodes:
        cf = scm.counterfactual(df, do={v: df[v].to_numpy()}, noise=noise)
        _assert_same(scm, cf, df)


@pytest.mark.parametrize("name", ALL)
def test_counterfactual_equals_the_same_units_intervened(name: str) -> None:
    """Abduction from the factual rows gives the noise the rows were drawn with, so the
    counterfactual must equal an interventional sample drawn with the same random numbers."""
    scm = load_scm(name)
    df, noise = scm.sample(N, random_state=SEED, return_noise=True)
    for v in scm.nodes:
        if not scm.graph.children(v):
            continue
        do = {v: _do_value(scm, df, v)}
        cf = scm.counterfactual(df, do=do, noise=noise)
        oracle = scm.sample(N, do=do, random_state=SEED)
        _assert_same(scm, cf, oracle)
        for w in scm.nodes:  # non-descendants keep their factual values exactly
            if w != v and w not in scm.graph.descendants(v):
                assert cf[w].tolist() == df[w].tolist()


def test_counterfactual_keeps_index_and_shift_intervention() -> None:
    scm = load_scm("chain-linear")
    df = scm.sample(50, random_state=1)
    df.index = pd.Index([f"u{i}" for i in range(50)])
    cf = scm.counterfactual(df, do={"x1": lambda x: x + 1.0})
    assert cf.index.equals(df.index)
    np.testing.assert_allclose(cf["x1"] - df["x1"], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cf["x2"] - df["x2"], 10.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(cf["x3"] - df["x3"], 2.5, rtol=0, atol=1e-9)
    shifted = scm.sample(50, do={"x1": lambda x: x + 1.0}, random_state=1)
    np.testing.assert_allclose(shifted["x1"].to_numpy(), df["x1"].to_numpy() + 1.0)


def test_non_additive_counterfactual_differs_from_an_additive_guess() -> None:
    """In chain-nonadditive the effect of do(x2 := x2 + 1) on x3 depends on the unit's noise,
    so an additive-noise model would get it wrong; the exact answer is sinh((x2+1-1.5+u3)/2)."""
    scm = load_scm("chain-nonadditive")
    df, noise = scm.sample(N, random_state=SEED, return_noise=True)
    cf = scm.counterfactual(df, do={"x2": lambda x: x + 1.0})
    want = np.sinh((df["x2"] + 1.0 - 1.5 + noise["x3"]) / 2)
    np.testing.assert_allclose(cf["x3"], want, rtol=1e-9, atol=1e-9)
    assert np.std(cf["x3"] - df["x3"]) > 0.1


# ------------------------------------------------------------------------------ effects


@pytest.mark.parametrize(
    ("name", "treatment", "outcome", "effect"),
    [
        ("chain-linear", "x1", "x3", 10 * 0.25),
        ("chain-linear", "x2", "x3", 0.25),
        ("triangle-linear", "x1", "x3", 0.5 * 10 + 1),
        ("triangle-linear", "x2", "x3", 0.5),
        ("collider-linear", "x1", "x3", -0.5),
        ("collider-linear", "x3", "x1", 0.0),
    ],
)
def test_linear_ate_matches_the_coefficient_product(
    name: str, treatment: str, outcome: str, effect: float
) -> None:
    scm = load_scm(name)
    # common random numbers: in a linear SCM every unit's effect is the coefficient product
    assert scm.ate(treatment, outcome, 1.0, 0.0, n=1000, random_state=0) == pytest.approx(
        effect, abs=1e-9
    )
    # independent interventional samples: the difference of means is off by O(sd / sqrt(n))
    n = 20_000
    y1 = scm.sample(n, do={treatment: 1.0}, random_state=1)[outcome]
    y0 = scm.sample(n, do={treatment: 0.0}, random_state=2)[outcome]
    se = np.sqrt(y1.var() / n + y0.var() / n)
    assert abs(y1.mean() - y0.mean() - effect) < 4 * se


def test_mixed_ate_and_individual_effects() -> None:
    scm = load_scm("mixed")
    n = 20_000
    effects = scm.unit_effects("t", "y", 1, 0, n=n, random_state=3)
    se = effects.std() / np.sqrt(n)
    assert abs(effects.mean() - 2.0) < 4 * se  # true ATE = 2
    assert scm.ate("t", "y", 1, 0, n=n, random_state=3) == pytest.approx(effects.mean())
    mean1 = scm.interventional_mean("y", {"t": 1}, n=n, random_state=4)
    mean0 = scm.interventional_mean("y", {"t": 0}, n=n, random_state=4)
    assert mean1 - mean0 == pytest.approx(effects.mean(), abs=8 * se)
    # unit level: ITE = 2 + 0.5 z + 0.5 u_y, known from the noise
    df, noise = scm.sample(500, random_state=5, return_noise=True)
    ite = scm.ite(df, "t", "y", 1, 0)
    np.testing.assert_allclose(ite, 2 + 0.5 * df["z"] + 0.5 * noise["y"], rtol=1e-9, atol=1e-9)


def test_mixed_counterfactuals_need_noise_only_for_recomputed_discrete_nodes() -> None:
    scm = load_scm("mixed")
    df, noise = scm.sample(300, random_state=11, return_noise=True)
    # t is intervened and c is not its descendant: no discrete noise needed
    scm.counterfactual(df, do={"t": 1})
    with pytest.raises(DataError, match=re.escape("recomputes discrete node(s) ['c', 't']")):
        scm.counterfactual(df, do={"z": 0.0})
    shuffled = noise.sample(frac=1.0, random_state=0).set_axis(noise.index)
    with pytest.raises(DataError, match="does not reproduce the factual rows"):
        scm.counterfactual(df, do={"z": 0.0}, noise=shuffled)
    with pytest.raises(DataError, match="noise has no row"):
        scm.counterfactual(df, do={"z": 0.0}, noise=noise.iloc[:10])
    # a soft intervention on the binary node: flip the treatment
    flipped = scm.counterfactual(df, do={"t": lambda t: 1 - t})
    assert (flipped["t"] == 1 - df["t"]).all()
    # a subset of rows with its noise rows
    rows = df.iloc[[5, 1, 9]]
    cf = scm.counterfactual(rows, do={"z": 1.0}, noise=noise)
    assert cf.index.equals(rows.index)


def test_intervention_errors() -> None:
    scm = load_scm("mixed")
    with pytest.raises(GraphError):
        scm.sample(10, do={"w": 1.0})
    with pytest.raises(DataError, match=r"do value 'purple' for node 'c' is not one of"):
        scm.sample(10, do={"c": "purple"})
    with pytest.raises(DataError, match="must be one value or 10 values"):
        scm.sample(10, do={"z": [1.0, 2.0]})
    with pytest.raises(DataError, match="is not numeric"):
        scm.sample(10, do={"z": "high"})
    with pytest.raises(DataError, match="NaN or infinite"):
        scm.sample(10, do={"z": np.inf})
    with pytest.raises(DataError, match="non-numeric values"):
        scm.ate("t", "c", 1, 0, n=10)
    with pytest.raises(ValueError, match="positive integer"):
        scm.sample(0)


def test_impossible_factual_rows_are_refused() -> None:
    scm = load_scm("simpson-nonlinear")
    df = scm.sample(20, random_state=0)
    df.loc[3, "x3"] = 50.0  # tanh(u3) cannot exceed 1
    with pytest.raises(DataError, match=r"node 'x3': 1 factual row\(s\) \(e.g. 3\)"):
        scm.counterfactual(df, do={"x1": 0.0})


def test_custom_scm_and_construction_errors() -> None:
    from deepcausal.data import Variable

    x = StructuralEquation(Variable("x", "continuous"), (), lambda v, u: u, lambda v, x: x)
    y = StructuralEquation(
        Variable("y", "continuous"),
        ("x",),
        lambda v, u: 3 * v["x"] + u,
        lambda v, y: y - 3 * v["x"],
    )
    scm = SimulatedSCM("mine", [y, x])
    assert scm.graph.topological_order() == ("x", "y")
    assert scm.ate("x", "y", 1.0, 0.0, n=100) == pytest.approx(3.0)
    with pytest.raises(GraphError, match="two equations for node 'x'"):
        SimulatedSCM("dup", [x, x])
    with pytest.raises(GraphError, match=r"names parent\(s\) \['q'\]"):
        SimulatedSCM(
            "bad",
            [StructuralEquation(Variable("y", "continuous"), ("q",), y.forward, y.inverse)],
        )
    with pytest.raises(ValueError, match="exact inverse"):
        StructuralEquation(Variable("z", "continuous"), (), lambda v, u: u)
    cyc_a = StructuralEquation(Variable("a", "continuous"), ("b",), y.forward, y.inverse)
    cyc_b = StructuralEquation(Variable("b", "continuous"), ("a",), y.forward, y.inverse)
    with pytest.raises(GraphError):
        SimulatedSCM("cycle", [cyc_a, cyc_b])
    assert scm.describe().splitlines()[0] == "mine"
    assert "mine" in repr(scm)
