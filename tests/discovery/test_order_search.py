"""The ordering-based local search that refines NOTEARS and DAGMA (``refine=True``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.discovery import Knowledge, discover
from deepcausal.discovery._order_search import order_search
from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights


def _sem(d: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    W = simulate_weights(simulate_dag(d, 2, "ER", random_state=seed), random_state=seed)
    return W, simulate_sem(W, n, random_state=seed)


def _no_edges(d: int) -> np.ndarray:
    return np.zeros((d, d), dtype=bool)


def test_reversed_edges_are_turned_back() -> None:
    W, X = _sem(10, 3000, seed=1)
    truth = W != 0
    start = truth.copy()
    # reverse two edges whose reversal keeps the graph acyclic (no other path between the ends)
    reversed_ = 0
    for i, j in np.argwhere(truth):
        trial = start.copy()
        trial[i, j], trial[j, i] = False, True
        if _acyclic(trial):
            start = trial
            reversed_ += 1
        if reversed_ == 2:
            break
    assert reversed_ == 2
    found = order_search(X, start, _no_edges(10), _no_edges(10))
    assert found.superstructure == "inverse covariance"
    assert found.moves > 0
    np.testing.assert_array_equal(found.W != 0, truth)
    # the weights are the least-squares coefficients of the true parents
    assert np.abs(found.W[truth] - W[truth]).max() < 0.1


def test_worst_order_is_improved() -> None:
    """Starting from the true graph with every edge reversed, the search recovers most edges
    in the right direction."""
    W, X = _sem(12, 3000, seed=2)
    truth = W != 0
    found = order_search(X, truth.T, _no_edges(12), _no_edges(12))
    right = int(((found.W != 0) & truth).sum())
    wrong_way = int(((found.W != 0) & truth.T).sum())
    assert right >= 0.8 * truth.sum()
    assert wrong_way <= 0.2 * truth.sum()


def test_knowledge_is_kept() -> None:
    W, X = _sem(8, 2000, seed=3)
    truth = W != 0
    i, j = np.argwhere(truth)[0]
    forbidden = _no_edges(8)
    forbidden[i, j] = True  # a true edge forbidden
    required = _no_edges(8)
    # a required edge between two variables with no edge either way, along the true order
    a, b = next((a, b) for a, b in np.argwhere(~truth & ~truth.T) if _reaches(truth, a, b))
    required[a, b] = True
    start = (truth & ~forbidden) | required
    found = order_search(X, start, forbidden, required)
    assert found.W[i, j] == 0
    assert found.W[a, b] != 0


def test_few_rows_fall_back_to_the_initial_skeleton() -> None:
    W, X = _sem(10, 12, seed=4)
    found = order_search(X, W != 0, _no_edges(10), _no_edges(10))
    assert found.superstructure == "initial graph"
    skeleton = (W != 0) | (W != 0).T
    assert not ((found.W != 0) & ~skeleton).any()


def test_cyclic_start_is_named() -> None:
    X = np.random.default_rng(0).normal(size=(50, 3))
    cycle = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    with pytest.raises(ValueError, match="directed cycle"):
        order_search(X, cycle, _no_edges(3), _no_edges(3))


@pytest.mark.parametrize("method", ["notears", "dagma"])
def test_refine_option_of_the_linear_methods(method: str) -> None:
    W, X = _sem(8, 1000, seed=5)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    fast = {"dagma": {"warm_iter": 2000, "max_iter": 4000, "lr": 1e-3}, "notears": {}}[method]
    plain = discover(data, method=method, **fast)
    refined = discover(data, method=method, refine=True, **fast)

    def errors(adjacency: pd.DataFrame) -> int:
        A = adjacency.to_numpy() != 0
        truth = W != 0
        return int((truth != A).sum() - (A & truth.T & ~truth).sum())  # a reversal counts once

    assert errors(refined.adjacency) <= errors(plain.adjacency)
    assert errors(refined.adjacency) <= 1
    assert refined.diagnostics["refine_superstructure"] == "inverse covariance"
    assert refined.diagnostics["continuous_edges"] == len(plain.edges)
    # the super-structure holds every true edge's pair
    assert int(refined.diagnostics["refine_candidate_pairs"]) >= int((W != 0).sum())
    assert refined.graph is not None


def test_refine_needs_the_least_squares_loss() -> None:
    X = pd.DataFrame(np.random.default_rng(0).integers(0, 2, size=(100, 3)).astype(float))
    with pytest.raises(ValueError, match="refine=True needs loss='l2'"):
        discover(X, method="dagma", loss="logistic", refine=True)
    with pytest.raises(ValueError, match="refine must be True or False"):
        discover(X, method="notears", refine="yes")
    with pytest.raises(ValueError, match="refine_alpha"):
        discover(X, method="notears", refine=True, refine_alpha=0.0)


def test_required_edge_kept_through_refine() -> None:
    W, X = _sem(6, 1000, seed=6)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    truth = W != 0
    a, b = next((a, b) for a, b in np.argwhere(~truth & ~truth.T) if _reaches(truth, a, b))
    knowledge = Knowledge(required=[(f"x{a}", f"x{b}")])
    result = discover(
        data, method="dagma", refine=True, knowledge=knowledge, warm_iter=2000, max_iter=4000
    )
    assert result.adjacency.iloc[a, b] != 0


def _acyclic(A: np.ndarray) -> bool:
    return all(not _reaches(A, j, i) for i, j in np.argwhere(A))


def _reaches(A: np.ndarray, source: int, target: int) -> bool:
    """Whether a directed path leads from ``source`` to ``target``."""
    seen, stack = {int(source)}, [int(source)]
    while stack:
        for child in np.flatnonzero(A[stack.pop()]):
            if int(child) == int(target):
                return True
            if int(child) not in seen:
                seen.add(int(child))
                stack.append(int(child))
    return False
