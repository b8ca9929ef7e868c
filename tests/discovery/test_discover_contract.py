"""The discovery contract, checked for every registered method: input validation, prior knowledge,
the result's invariants and determinism at a fixed seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from deepcausal.discovery import DiscoveryResult, Knowledge, available_methods, discover
from deepcausal.errors import DataError

# Small budgets, so that the contract runs in seconds; a new method adds its own line here.
FAST: dict[str, dict[str, Any]] = {
    "pc": {},
    "fci": {},
    "notears": {"max_iter": 20},
    "dagma": {"T": 2, "warm_iter": 500, "max_iter": 1000},
    "notears_mlp": {"max_iter": 3, "max_evals": 200},
    "dagma_mlp": {"T": 2, "warm_iter": 100, "max_iter": 200},
    "grandag": {"max_epochs": 2, "max_subproblems": 3, "pruning": "none"},
    "daggnn": {"max_epochs": 2, "max_iter": 2},
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    a = rng.normal(size=n)
    b = 1.5 * a + rng.normal(size=n)
    c = -1.2 * b + rng.normal(size=n)
    d = rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d})


def test_every_method_has_a_budget() -> None:
    assert set(available_methods()) == set(FAST), "add the new method's small budget to FAST"


@pytest.mark.filterwarnings("ignore::deepcausal.errors.ConvergenceWarning")  # small budgets
@pytest.mark.parametrize("method", available_methods())
def test_result_invariants_and_knowledge(method: str, data: pd.DataFrame) -> None:
    knowledge = Knowledge(forbidden=[("c", "b")], required=["c -> d"])
    result = discover(data, method, knowledge=knowledge, random_state=0, **FAST[method])
    assert isinstance(result, DiscoveryResult) and result.method == method
    assert list(result.adjacency.index) == list(data.columns)
    assert list(result.adjacency.columns) == list(data.columns)
    assert result.wall_time > 0
    adjacency = result.adjacency.to_numpy()
    assert adjacency[2, 1] == 0, "a forbidden edge was returned"
    assert any(str(e) == "c -> d" for e in result.edges), "a required edge is missing"
    if result.graph is not None:
        assert set(result.graph.nodes) == set(data.columns)
        assert not result.graph.bidirected_edges or method == "fci"
    again = discover(data, method, knowledge=knowledge, random_state=0, **FAST[method])
    np.testing.assert_array_equal(again.adjacency.to_numpy(), adjacency)


@pytest.mark.parametrize("method", available_methods())
def test_bad_input_is_named(method: str, data: pd.DataFrame) -> None:
    broken = data.copy()
    broken.loc[3, "b"] = np.nan
    with pytest.raises(DataError, match="'b'"):
        discover(broken, method, **FAST[method])
    with pytest.raises(ValueError, match="no_such_option"):
        discover(data, method, no_such_option=1)


@pytest.mark.parametrize(
    ("method", "options", "named"),
    [
        ("grandag", {"mu_init": 0.0}, "mu_init"),
        ("grandag", {"omega_mu": 1.5}, "omega_mu"),
        ("grandag", {"max_subproblems": 0}, "max_subproblems"),
        ("daggnn", {"c_max": 0.5}, "c_max"),
        ("notears", {"rho_max": 0.5}, "rho_max"),
        ("dagma", {"T": 0}, "T"),
        ("dagma_mlp", {"s": -1.0}, "s"),
    ],
)
def test_bad_schedule_names_the_option(
    method: str, options: dict[str, Any], named: str, data: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match=rf"\b{named}\b"):
        discover(data, method, **options)
