"""Conditional-independence tests: calibration under independence, power, caching, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepcausal.discovery.ci import (
    GCM,
    CachedTest,
    ChiSquare,
    CITest,
    DSeparation,
    FisherZ,
    GTest,
    resolve_ci_test,
)
from deepcausal.errors import DataError
from deepcausal.graph import CausalGraph


def _assert_uniform(pvalues: np.ndarray) -> None:
    """Kolmogorov-Smirnov distance to U(0, 1) below its 0.1% critical value for this many draws."""
    distance = stats.kstest(pvalues, "uniform").statistic
    assert distance < 1.95 / np.sqrt(len(pvalues)), distance


def _pvalues(test: CITest, make: object, reps: int, given: list[str], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([test("x", "y", given, make(rng)) for _ in range(reps)])  # type: ignore[operator]


def test_fisher_z_is_calibrated_and_powerful() -> None:
    def null(rng: np.random.Generator) -> pd.DataFrame:
        z = rng.normal(size=(200, 2))
        return pd.DataFrame(
            {
                "x": z @ [1.0, -0.5] + rng.normal(size=200),
                "y": z @ [0.7, 1.0] + rng.normal(size=200),
                "z1": z[:, 0],
                "z2": z[:, 1],
            }
        )

    _assert_uniform(_pvalues(FisherZ(), null, 300, ["z1", "z2"], 0))
    _assert_uniform(
        _pvalues(
            FisherZ(), lambda rng: null(rng)[["x", "z1"]].assign(y=rng.normal(size=200)), 300, [], 1
        )
    )

    def alternative(rng: np.random.Generator) -> pd.DataFrame:
        frame = null(rng)
        frame["y"] += 0.3 * frame["x"]
        return frame

    assert np.mean(_pvalues(FisherZ(), alternative, 50, ["z1", "z2"], 2) < 0.05) > 0.9


def test_fisher_z_batches_agree_with_single_tests() -> None:
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(100, 6)) @ rng.normal(size=(6, 6)), columns=list("abcdef"))
    bound = FisherZ().bind(data)
    givens = [(), (2,), (3,), (2, 3), (2, 3, 4), (3, 4, 5), (5, 4, 2)]
    batch = bound.pvalues(0, 1, givens)
    single = [bound.pvalue(0, 1, g) for g in givens]
    np.testing.assert_allclose(batch, single)
    # against the regression definition of the partial correlation
    for given in givens[1:]:
        Z = np.column_stack([np.ones(100), data.iloc[:, list(given)]])
        rx = data["a"] - Z @ np.linalg.lstsq(Z, data["a"], rcond=None)[0]
        ry = data["b"] - Z @ np.linalg.lstsq(Z, data["b"], rcond=None)[0]
        r = np.corrcoef(rx, ry)[0, 1]
        z = np.sqrt(100 - len(given) - 3) * np.arctanh(r)
        assert bound.pvalue(0, 1, given) == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-8)


def _discrete_null(rng: np.random.Generator, n: int = 600) -> pd.DataFrame:
    z = rng.integers(0, 3, n)
    x = np.where(rng.random(n) < 0.6, z, rng.integers(0, 3, n))
    y = np.where(rng.random(n) < 0.5, (z + 1) % 3, rng.integers(0, 2, n))
    return pd.DataFrame({"x": x, "y": y, "z": z})


@pytest.mark.parametrize("test", [GTest(), ChiSquare()], ids=["gsq", "chisq"])
def test_discrete_tests_are_calibrated_and_powerful(test: CITest) -> None:
    _assert_uniform(_pvalues(test, _discrete_null, 300, ["z"], 3))

    def alternative(rng: np.random.Generator) -> pd.DataFrame:
        frame = _discrete_null(rng)
        flip = rng.random(len(frame)) < 0.25
        frame.loc[flip, "y"] = frame.loc[flip, "x"]
        return frame

    assert np.mean(_pvalues(test, alternative, 40, ["z"], 4) < 0.05) > 0.9
    assert np.mean(_pvalues(test, _discrete_null, 40, [], 5) < 0.05) > 0.9  # via z


def test_g_test_statistic_by_hand() -> None:
    # a 2x2 table [[30, 10], [10, 30]]: G = 2 sum O log(O / E) with E = 20 everywhere
    x = np.repeat([0, 0, 1, 1], [30, 10, 10, 30])
    y = np.repeat([0, 1, 0, 1], [30, 10, 10, 30])
    data = pd.DataFrame({"x": x, "y": y})
    g = 2 * (2 * 30 * np.log(30 / 20) + 2 * 10 * np.log(10 / 20))
    assert GTest()("x", "y", [], data) == pytest.approx(stats.chi2.sf(g, 1))
    chi = 4 * 10**2 / 20
    assert ChiSquare()("x", "y", [], data) == pytest.approx(stats.chi2.sf(chi, 1))
    # a constant column leaves no degrees of freedom: no evidence of dependence
    assert GTest()("x", "c", [], data.assign(c=0)) == 1.0


def test_gcm_is_calibrated_under_nonlinear_confounding_where_fisher_z_fails() -> None:
    def null(rng: np.random.Generator) -> pd.DataFrame:
        z = rng.uniform(-2, 2, 200)
        return pd.DataFrame(
            {
                "x": np.cos(2 * z) + 0.5 * rng.normal(size=200),
                "y": np.cos(2 * z) + 0.5 * rng.normal(size=200),
                "z": z,
            }
        )

    _assert_uniform(_pvalues(GCM(), null, 80, ["z"], 6))
    # partial correlation cannot remove a non-monotone dependence on z
    assert np.mean(_pvalues(FisherZ(), null, 20, ["z"], 7) < 0.05) > 0.9

    def alternative(rng: np.random.Generator) -> pd.DataFrame:
        frame = null(rng)
        frame["y"] += np.tanh(2 * frame["x"])
        return frame

    assert np.mean(_pvalues(GCM(), alternative, 15, ["z"], 8) < 0.05) > 0.9


def test_gcm_options() -> None:
    rng = np.random.default_rng(9)
    z = rng.normal(size=300)
    data = pd.DataFrame({"x": z + rng.normal(size=300), "y": z + rng.normal(size=300), "z": z})
    for regressor in ("linear", "knn"):
        assert GCM(regressor=regressor)("x", "y", ["z"], data) > 0.01
        assert GCM(regressor=regressor)("x", "y", [], data) < 1e-4
    with pytest.raises(ValueError, match="unknown GCM regressor 'svm'"):
        GCM(regressor="svm")
    with pytest.raises(ValueError, match="n_folds"):
        GCM(n_folds=0)


def test_cached_test_is_symmetric_and_counts() -> None:
    rng = np.random.default_rng(10)
    data = pd.DataFrame(rng.normal(size=(50, 4)), columns=list("abcd"))
    cached = CachedTest(FisherZ().bind(data))
    first = cached.pvalue(0, 1, (2, 3))
    assert cached.pvalue(1, 0, (3, 2)) == first
    assert (cached.n_tests, cached.n_cached) == (1, 1)
    batch = cached.pvalues(0, 1, [(2, 3), (2,), (3,)])
    assert batch[0] == first and (cached.n_tests, cached.n_cached) == (3, 2)


def test_resolve_and_call_errors() -> None:
    data = pd.DataFrame({"a": [0.0, 1.0, 2.0, 4.0], "b": [1.0, 0.0, 2.0, 1.0]})
    assert isinstance(resolve_ci_test("Fisher-Z", data).inner, type(FisherZ().bind(data)))
    with pytest.raises(DataError, match=r"unknown column\(s\) \['q'\]"):
        FisherZ()("a", "q", [], data)
    with pytest.raises(DataError, match="must differ"):
        FisherZ()("a", "b", ["a"], data)
    with pytest.raises(DataError, match=r"\['c'\] are constant"):
        FisherZ()("a", "b", [], data.assign(c=1.0))
    many = pd.DataFrame({"a": np.arange(200.0), "b": np.arange(200.0) % 2})
    with pytest.raises(DataError, match="too many distinct values"):
        GTest()("a", "b", [], many)
    with pytest.raises(DataError, match="not nodes of the oracle"):
        DSeparation(CausalGraph("a -> c"))("a", "b", [], data)
