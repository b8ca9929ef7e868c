"""Continuous-optimisation discovery: acyclicity functions, simulators, and each method's recovery,
knowledge, determinism and acyclicity guarantees.

Budgets are kept small (3-6 variables, a few hundred rows, short schedules for the neural methods);
the accuracy and speed claims at realistic sizes live in ``benchmarks/discovery.py``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepcausal.discovery import DiscoveryResult, Knowledge, discover
from deepcausal.discovery._acyclicity import (
    dagma_grad,
    dagma_h_and_grad,
    expm_acyclicity,
    in_mmatrix_domain,
    logdet_acyclicity,
    notears_h_and_grad,
    poly_acyclicity,
)
from deepcausal.discovery._grandag import cam_prune
from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
from deepcausal.errors import ConvergenceWarning, DataError, GraphError, KnowledgeError
from deepcausal.graph import CausalGraph

# Short schedules that still solve the small problems below (the defaults are the papers').
FAST: dict[str, dict[str, Any]] = {
    "notears": {},
    "dagma": {"warm_iter": 5000, "max_iter": 10000},
    "notears_mlp": {"ftol": 1e-6},
    "dagma_mlp": {"warm_iter": 600, "max_iter": 1000, "lr": 1e-2, "checkpoint": 100, "T": 3},
    "grandag": {
        "mu_init": 1.0,
        "lr": 1e-2,
        "batch_size": 250,
        "max_epochs": 10,
        "patience": 2,
        "h_tol": 1e-6,
    },
    "daggnn": {"max_epochs": 20, "patience": 3},
}
# Tiny budgets for checks that do not need a good fit (knowledge, determinism, acyclicity).
TINY: dict[str, dict[str, Any]] = {
    "notears": {"max_iter": 3},
    "dagma": {"warm_iter": 300, "max_iter": 300, "T": 2},
    "notears_mlp": {"max_iter": 2, "max_evals": 60},
    "dagma_mlp": {"warm_iter": 30, "max_iter": 30, "T": 2, "lr": 1e-2},
    "grandag": {"max_subproblems": 2, "max_epochs": 2, "batch_size": 100, "pns": False},
    "daggnn": {"max_iter": 1, "max_epochs": 2, "c_max": 10.0},
}
METHODS = tuple(FAST)


def _chain_linear(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 1.5 * a + rng.normal(size=n)
    c = -1.2 * b + rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c})


def _chain_nonlinear(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 2 * np.tanh(1.5 * a) + 0.5 * rng.normal(size=n)
    c = 1.5 * np.sin(b) + b**2 / 3 + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c})


def _quiet(method: str, data: pd.DataFrame, **kwargs: Any) -> DiscoveryResult:
    """Run a method with a tiny budget, where not converging is expected and not under test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return discover(data, method=method, **{**TINY[method], **kwargs})


# --------------------------------------------------------------------------- acyclicity functions


def _cycle(d: int = 4, w: float = 0.5) -> torch.Tensor:
    A = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d):
        A[i, (i + 1) % d] = w
    return A


@pytest.mark.parametrize("h", [expm_acyclicity, logdet_acyclicity, poly_acyclicity])
def test_acyclicity_zero_on_dags_positive_on_cycles(h: Any) -> None:
    dag = torch.triu(
        torch.rand(5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0)), 1
    )
    assert abs(float(h(dag * 0.5))) < 1e-10
    assert float(h(_cycle(4, 0.5))) > 1e-6
    assert float(h(_cycle(2, 0.3))) > float(h(_cycle(2, 0.1))) > 0


@pytest.mark.parametrize("h", [expm_acyclicity, logdet_acyclicity, poly_acyclicity])
def test_acyclicity_gradients_match_finite_differences(h: Any) -> None:
    A = torch.rand(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 0.3
    A.requires_grad_()
    (grad,) = torch.autograd.grad(h(A), A)
    eps = 1e-6
    for i, j in [(0, 1), (2, 3), (3, 0)]:
        E = torch.zeros_like(A)
        E[i, j] = eps
        numeric = (float(h(A.detach() + E)) - float(h(A.detach() - E))) / (2 * eps)
        assert math.isclose(float(grad[i, j]), numeric, rel_tol=1e-5, abs_tol=1e-8)


def test_acyclicity_float32_input_is_computed_in_float64() -> None:
    # a long cycle with small weights: tr(exp(A)) - d ~ 0.5^8 / 8!, below float32 resolution of d
    A = _cycle(8, 0.5).float()
    h = expm_acyclicity(A)
    assert h.dtype == torch.float32
    assert float(h) > 0


def test_closed_form_gradients_agree_across_backends() -> None:
    rng = np.random.default_rng(2)
    W = rng.uniform(-0.4, 0.4, size=(5, 5))
    np.fill_diagonal(W, 0.0)
    Wt = torch.as_tensor(W).requires_grad_()
    h_np, g_np = notears_h_and_grad(W)
    h_t, g_t = notears_h_and_grad(Wt.detach())
    (auto,) = torch.autograd.grad(expm_acyclicity(Wt * Wt), Wt)
    assert math.isclose(h_np, h_t, rel_tol=1e-10)
    np.testing.assert_allclose(g_np, g_t.numpy(), rtol=1e-9)
    np.testing.assert_allclose(g_np, auto.numpy(), rtol=1e-9)

    h_np, g_np, _ = dagma_h_and_grad(W, 1.0)
    g2, _ = dagma_grad(W, 1.0)
    (auto,) = torch.autograd.grad(logdet_acyclicity(Wt * Wt, 1.0), Wt)
    assert math.isclose(h_np, float(logdet_acyclicity(torch.as_tensor(W * W))), rel_tol=1e-10)
    np.testing.assert_allclose(g_np, auto.numpy(), rtol=1e-9)
    np.testing.assert_allclose(g_np, g2, rtol=1e-12)


def test_mmatrix_domain_and_bad_input() -> None:
    assert in_mmatrix_domain(_cycle(3, 0.5))
    assert not in_mmatrix_domain(_cycle(2, 1.5))
    with pytest.raises(ValueError, match="square"):
        expm_acyclicity(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="positive"):
        logdet_acyclicity(torch.zeros(2, 2), s=0.0)


# --------------------------------------------------------------------------------------- simulators


@pytest.mark.parametrize("graph_type", ["ER", "SF"])
def test_simulate_dag_is_acyclic_sized_and_seeded(graph_type: str) -> None:
    B = simulate_dag(20, 2, graph_type, random_state=3)
    assert B.shape == (20, 20) and set(np.unique(B)) <= {0, 1}
    assert CausalGraph.from_adjacency(B, [f"x{i}" for i in range(20)]).is_dag
    if graph_type == "ER":
        assert B.sum() == 40
    else:  # each new node attaches to 2 earlier ones (1 for the second node)
        assert B.sum() == 2 * 20 - 3
    np.testing.assert_array_equal(B, simulate_dag(20, 2, graph_type, random_state=3))
    assert not np.array_equal(B, simulate_dag(20, 2, graph_type, random_state=4))


def test_simulate_sem_linear_matches_the_implied_covariance() -> None:
    W = np.array([[0.0, 1.5, 0.0], [0.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    n = 20_000
    X = simulate_sem(W, n, random_state=0)
    inv = np.linalg.inv(np.eye(3) - W)
    expected = inv.T @ inv  # cov of X = (I - W)^{-T} (I - W)^{-1} for unit noise
    # entries of a sample covariance have standard error about sqrt(2 / n) * scale
    tol = 5 * np.sqrt(2.0 / n) * np.abs(expected).max()
    np.testing.assert_allclose(np.cov(X.T), expected, atol=tol)


@pytest.mark.parametrize(
    "sem_type", ["exp", "gumbel", "uniform", "logistic", "mlp", "mim", "gp", "gp-add"]
)
def test_simulate_sem_types_run_on_a_graph(sem_type: str) -> None:
    graph = CausalGraph("a -> b; b -> c; a -> c")
    X = simulate_sem(graph, 200, sem_type=sem_type, random_state=1)  # type: ignore[arg-type]
    assert X.shape == (200, 3) and np.isfinite(X).all()
    if sem_type == "logistic":
        assert set(np.unique(X)) <= {0.0, 1.0}
    np.testing.assert_array_equal(X, simulate_sem(graph, 200, sem_type=sem_type, random_state=1))  # type: ignore[arg-type]


def test_simulate_rejects_bad_input() -> None:
    with pytest.raises(GraphError, match="cycle"):
        simulate_sem(np.array([[0.0, 1.0], [1.0, 0.0]]), 10)
    with pytest.raises(ValueError, match="sem_type"):
        simulate_sem(np.zeros((2, 2)), 10, sem_type="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="graph_type"):
        simulate_dag(5, 1, "BA")  # type: ignore[arg-type]
    with pytest.raises(GraphError, match="square"):
        simulate_weights(np.zeros((2, 3)))


# --------------------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("method", ["notears", "dagma"])
def test_linear_methods_recover_a_random_er_graph(method: str) -> None:
    B = simulate_dag(6, 1, "ER", random_state=5)
    W = simulate_weights(B, random_state=5)
    X = pd.DataFrame(simulate_sem(W, 1000, random_state=5))
    result = discover(X, method=method, lambda1=0.01, **FAST[method])
    np.testing.assert_array_equal(result.adjacency.to_numpy() != 0, B != 0)
    # the weights are estimated, not just the support: with a light L1 penalty they are within
    # a few standard errors (about 1 / sqrt(n) ~ 0.03 here) of the truth
    np.testing.assert_allclose(result.adjacency.to_numpy(), W, atol=0.15)
    assert result.graph is not None and result.graph.is_dag
    assert {"loss", "h", "iterations", "n_cycles_broken"} <= set(result.diagnostics)


def test_notears_logistic_recovers_a_binary_chain() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    a = rng.binomial(1, 0.5, n)
    b = rng.binomial(1, 1 / (1 + np.exp(-(4 * a - 2))))
    c = rng.binomial(1, 1 / (1 + np.exp(-(4 * b - 2))))
    data = pd.DataFrame({"a": a, "b": b, "c": c})
    result = discover(data, method="notears", loss="logistic", lambda1=0.01)
    assert {(e.a, e.b) for e in result.edges} <= {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    skeleton = {frozenset((e.a, e.b)) for e in result.edges}
    assert skeleton == {frozenset("ab"), frozenset("bc")}


def test_logistic_loss_needs_binary_data() -> None:
    with pytest.raises(DataError, match="'b'"):
        discover(_chain_linear(50), method="dagma", loss="logistic")


@pytest.mark.parametrize("method", ["notears_mlp", "dagma_mlp", "grandag"])
def test_nonlinear_methods_recover_a_nonlinear_chain(method: str) -> None:
    result = discover(_chain_nonlinear(), method=method, random_state=0, **FAST[method])
    assert sorted(str(e) for e in result.edges) == ["a -> b", "b -> c"]


def test_daggnn_recovers_a_linear_chain() -> None:
    # DAG-GNN generalises the linear SEM; its published results are on linear data
    result = discover(_chain_linear(), method="daggnn", random_state=0, **FAST["daggnn"])
    assert sorted(str(e) for e in result.edges) == ["a -> b", "b -> c"]


def test_cam_pruning_keeps_real_parents_and_protected_edges() -> None:
    rng = np.random.default_rng(0)
    a, noise = rng.normal(size=500), rng.normal(size=500)
    b = np.sin(2 * a) + 0.3 * rng.normal(size=500)
    X = np.c_[a, b, noise]
    dag = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]], dtype=bool)
    assert cam_prune(X, dag).tolist() == [[False, True, False], [False] * 3, [False] * 3]
    kept = cam_prune(X, dag, protect=dag)
    np.testing.assert_array_equal(kept, dag)


def test_grandag_neighbourhood_selection_masks_irrelevant_inputs_but_not_required_edges() -> None:
    data = _chain_nonlinear(300)
    data["z"] = np.random.default_rng(9).normal(size=300)  # unrelated to everything
    knowledge = Knowledge(required=["z -> c"])
    result = _quiet("grandag", data, knowledge=knowledge, random_state=0, pns=True, pns_trees=20)
    # PNS drops z as an input of a and b; the required z -> c survives PNS, training and pruning
    assert (result.adjacency.loc["z", ["a", "b"]] == 0).all()
    assert result.adjacency.loc["z", "c"] != 0
    assert knowledge.is_satisfied_by(result.edges)


# ------------------------------------------------------------------- knowledge, determinism, DAGs


@pytest.mark.parametrize("method", METHODS)
def test_fixed_random_state_gives_identical_results(method: str) -> None:
    data = _chain_nonlinear(200, seed=1)
    first = _quiet(method, data, random_state=7)
    second = _quiet(method, data, random_state=7)
    pd.testing.assert_frame_equal(first.adjacency, second.adjacency)
    assert first.edges == second.edges


@pytest.mark.parametrize("method", METHODS)
def test_knowledge_is_a_hard_constraint(method: str) -> None:
    data = _chain_nonlinear(200, seed=2)
    # the data say a -> b -> c; knowledge forbids a -> b, requires c -> a and puts b first
    knowledge = Knowledge(required=["c -> a"], forbidden=["a -> b"], tiers=[["b"], ["a", "c"]])
    result = _quiet(method, data, knowledge=knowledge, random_state=0)
    assert knowledge.is_satisfied_by(result.edges)
    assert result.adjacency.loc["a", "b"] == 0 and result.adjacency.loc["c", "b"] == 0
    assert result.adjacency.loc["c", "a"] != 0
    assert result.graph is not None and result.graph.is_dag


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["notears", "dagma"]))
def test_random_knowledge_is_never_violated(
    random_dag: Any, random_knowledge: Any, seed: int, method: str
) -> None:
    rng = np.random.default_rng(seed)
    truth = random_dag(rng, 5, 0.4)
    data = pd.DataFrame(simulate_sem(truth, 200, random_state=seed), columns=list(truth.nodes))
    # knowledge that may contradict the data: it must win anyway
    knowledge = random_knowledge(rng, truth, consistent=bool(rng.random() < 0.5))
    result = _quiet(method, data, knowledge=knowledge)
    assert knowledge.is_satisfied_by(result.edges)
    forbidden = knowledge.forbidden_mask(list(truth.nodes))
    assert (result.adjacency.to_numpy()[forbidden] == 0).all()
    assert result.graph is not None and result.graph.is_dag


def test_cycles_left_by_thresholding_are_broken_and_counted() -> None:
    # strongly correlated pair fitted with no acyclicity pressure at all: NOTEARS stopped after
    # one dual step at rho = 1 leaves both directions; the result is still a DAG
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    data = pd.DataFrame({"a": a, "b": a + 0.1 * rng.normal(size=300)})
    with pytest.warns(ConvergenceWarning, match="notears stopped"):
        result = discover(data, method="notears", lambda1=0.0, max_iter=1, rho_max=2.0)
    assert result.graph is not None and result.graph.is_dag
    assert len(result.edges) == 1
    assert result.n_cycles_broken == result.diagnostics["n_cycles_broken"] == 1


def test_contradictory_knowledge_is_refused_before_running() -> None:
    with pytest.raises(KnowledgeError, match="cycle"):
        Knowledge(required=["a -> b", "b -> c", "c -> a"])
    with pytest.raises(KnowledgeError, match="unknown node"):
        discover(_chain_linear(50), method="notears", knowledge=Knowledge(forbidden=["a -> z"]))


INVALID: dict[str, dict[str, Any]] = {
    "notears": {"lambda1": -1.0},
    "dagma": {"T": 0},
    "notears_mlp": {"hidden": ()},
    "dagma_mlp": {"mu_factor": 2.0},
    "grandag": {"pruning": "gam"},
    "daggnn": {"threshold": -0.1},
}


@pytest.mark.parametrize("method", METHODS)
def test_unknown_or_invalid_options_are_refused(method: str) -> None:
    data = _chain_linear(50)
    with pytest.raises(ValueError, match="no_such_option"):
        discover(data, method=method, no_such_option=1)
    option = next(iter(INVALID[method]))
    with pytest.raises(ValueError, match=option):
        discover(data, method=method, **INVALID[method])
