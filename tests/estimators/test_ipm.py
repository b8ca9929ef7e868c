"""CFR's integral probability metrics against exact values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from deepcausal.estimators._ipm import ipm, mmd_linear, mmd_rbf, wasserstein


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sinkhorn_approximates_exact_wasserstein(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(12, 3))
    b = rng.normal(loc=1.0, size=(12, 3))
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)  # equal sizes: OT is an assignment problem
    exact = cost[rows, cols].mean()
    approx = float(wasserstein(torch.tensor(a), torch.tensor(b), lam=200.0, iterations=500))
    # weak regularisation and many iterations: close to the exact transport cost
    assert abs(approx - exact) < 0.02 * exact
    # the authors' settings (lam=10, 10 iterations) are a coarser, still close approximation
    coarse = float(wasserstein(torch.tensor(a), torch.tensor(b)))
    assert abs(coarse - exact) < 0.25 * exact


def test_wasserstein_gradient_moves_groups_together() -> None:
    a = torch.zeros(5, 2, requires_grad=True)
    b = torch.ones(4, 2)
    wasserstein(a, b).backward()
    assert a.grad is not None
    # descending the gradient moves a towards b
    assert (a.grad < 0).all()


def test_mmd_values() -> None:
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(400, 2)))
    y = torch.tensor(rng.normal(size=(400, 2)))
    shifted = y + torch.tensor([2.0, 0.0])
    expected = float(((x.mean(0) - shifted.mean(0)) ** 2).sum())
    assert float(mmd_linear(x, shifted)) == pytest.approx(expected)
    assert expected == pytest.approx(4.0, abs=0.8)
    assert abs(float(mmd_rbf(x, y, 1.0))) < 0.01  # unbiased: near zero for equal laws
    # closed form for N(0, I) vs N(m, I) in d=2 with k = exp(-|a-b|^2): E k = (1 + 4)^(-1) e^{-|m|^2/5}
    exact = 2 * 0.2 - 2 * 0.2 * np.exp(-4.0 / 5.0)
    assert float(mmd_rbf(x, shifted, 1.0)) == pytest.approx(exact, abs=0.03)
    assert float(mmd_rbf(x, shifted)) > 0.1  # median-heuristic bandwidth


def test_ipm_dispatch_and_empty_arm() -> None:
    phi = torch.randn(10, 3, requires_grad=True)
    treated = torch.zeros(10, dtype=torch.bool)
    zero = ipm(phi, treated, "wasserstein")
    assert float(zero.detach()) == 0.0
    zero.backward()  # still differentiable
    treated[:4] = True
    for kind in ("wasserstein", "mmd-linear", "mmd-rbf"):
        assert float(ipm(phi, treated, kind).detach()) >= -1e-3  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown ipm"):
        ipm(phi, treated, "kl")  # type: ignore[arg-type]
