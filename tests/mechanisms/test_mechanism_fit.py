"""Each family, trained with the project's one training loop, recovers a known conditional.

Ground truth: ``pa ~ N(0, 1)`` and ``x = sin(2 pa) + 0.5 u`` (continuous families) or
``P(x = k | pa) = softmax(0, 2 pa, -pa)_k`` (Gumbel-max). The learned conditional is compared with the
truth on a quadrature grid of ``pa`` weighted by its density. Tolerances are three standard errors
of a fit with ``K_EFF`` effective parameters on the training rows (``sigma * sqrt(K_EFF / n)``;
``K_EFF = 16`` is a conservative count for following ``sin(2 pa)`` on ``[-2, 2]``) plus three
Monte-Carlo standard errors of the model draws. A model that ignores its parents misses by ~0.6.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from scipy import stats

from deepcausal.mechanisms import GumbelMaxMechanism, Mechanism, make_mechanism
from deepcausal.nn import TrainConfig, train

N = 2000
SIGMA = 0.5
K_EFF = 16
DRAWS = 2000
CONFIG = TrainConfig(
    max_epochs=40,
    batch_size=256,
    lr=1e-2,
    patience=10,
    progress=False,
    device="cpu",
    random_state=0,
)
N_TRAIN = round(N * (1 - CONFIG.validation_fraction))
GRID = torch.linspace(-2.0, 2.0, 17)
WEIGHTS = torch.exp(-0.5 * GRID**2) / torch.exp(-0.5 * GRID**2).sum()


def _fit(m: Mechanism, x: torch.Tensor, parents: torch.Tensor) -> None:
    train(m, lambda batch: m.loss(batch[0], batch[1]), [x, parents], CONFIG, description=m.name)


def _weighted_rms(err: torch.Tensor) -> float:
    return float((WEIGHTS * err**2).sum().sqrt())


@pytest.mark.parametrize(
    ("name", "hyper"),
    [
        ("flow", {"transforms": 1, "hidden_features": (32, 32)}),
        ("additive", {"hidden": (32, 32), "noise_transforms": 1, "noise_hidden_features": (16,)}),
        ("location_scale", {"hidden": (32, 32)}),
    ],
)
def test_continuous_family_learns_a_nonlinear_conditional(name: str, hyper: dict[str, Any]) -> None:
    g = torch.Generator().manual_seed(0)
    pa = torch.randn(N, 1, generator=g)
    x = torch.sin(2 * pa) + SIGMA * torch.randn(N, 1, generator=g)
    torch.manual_seed(0)
    m = make_mechanism(name, "continuous", 1, 1, **hyper)
    _fit(m, x, pa)

    with torch.no_grad():
        draws = m.sample(
            GRID.repeat_interleave(DRAWS)[:, None], generator=torch.Generator().manual_seed(1)
        )
    draws = draws.view(len(GRID), DRAWS)
    tol = 3 * SIGMA * math.sqrt(K_EFF / N_TRAIN) + 3 * SIGMA / math.sqrt(DRAWS)
    mean_err = _weighted_rms(draws.mean(1) - torch.sin(2 * GRID))
    sd_err = _weighted_rms(draws.std(1) - SIGMA)
    assert mean_err < tol, f"{name}: conditional mean off by {mean_err:.3f} (tolerance {tol:.3f})"
    assert sd_err < tol, f"{name}: conditional sd off by {sd_err:.3f} (tolerance {tol:.3f})"


def test_flow_root_learns_a_skewed_marginal() -> None:
    """A root flow fits a standardised exponential: KS distance of its draws to the truth."""
    g = torch.Generator().manual_seed(2)
    x = torch.empty(N, 1).exponential_(1.0, generator=g) - 1.0
    torch.manual_seed(0)
    m = make_mechanism("flow", "continuous", 1, 0, transforms=2)
    _fit(m, x, torch.zeros(N, 0))
    with torch.no_grad():
        draws = m.sample(torch.zeros(20_000, 0), generator=torch.Generator().manual_seed(3))
    d = stats.kstest(draws[:, 0].numpy(), lambda t: stats.expon.cdf(t + 1.0)).statistic
    # two-sample KS critical value at alpha = 1e-3 between the training rows and the draws
    d_crit = math.sqrt(-math.log(1e-3 / 2) / 2) * math.sqrt(1 / N_TRAIN + 1 / 20_000)
    assert d < d_crit, f"KS distance {d:.4f} >= {d_crit:.4f}"


def test_gumbel_learns_conditional_category_frequencies() -> None:
    g = torch.Generator().manual_seed(4)
    pa = torch.randn(N, 1, generator=g)
    true_logits = torch.cat([torch.zeros_like(pa), 2 * pa, -pa], dim=1)
    x = torch.multinomial(torch.softmax(true_logits, 1), 1, generator=g)[:, 0]
    torch.manual_seed(0)
    m = GumbelMaxMechanism(3, 1, hidden=(32, 32))
    _fit(m, x, pa)

    truth = torch.softmax(torch.stack([torch.zeros_like(GRID), 2 * GRID, -GRID], 1), 1)
    with torch.no_grad():
        probs = m.probs(GRID[:, None])
        codes = m.sample(
            GRID.repeat_interleave(DRAWS)[:, None], generator=torch.Generator().manual_seed(5)
        )
    freq = torch.nn.functional.one_hot(codes, 3).view(len(GRID), DRAWS, 3).float().mean(1)
    # a Bernoulli(p) has sd <= 0.5: the same K_EFF rule with sigma = 0.5
    tol = 3 * 0.5 * math.sqrt(K_EFF / N_TRAIN)
    for k in range(3):
        err = _weighted_rms(probs[:, k] - truth[:, k])
        assert err < tol, f"P(x={k} | pa) off by {err:.3f} (tolerance {tol:.3f})"
    # Gumbel-max sampling reproduces the model's own probabilities (Monte-Carlo error only)
    mc = 4 * 0.5 / math.sqrt(DRAWS)
    assert float((freq - probs).abs().max()) < mc


def test_gumbel_root_learns_marginal_frequencies() -> None:
    p = torch.tensor([0.2, 0.5, 0.3])
    x = torch.multinomial(p, N, replacement=True, generator=torch.Generator().manual_seed(6))
    torch.manual_seed(0)
    m = GumbelMaxMechanism(3, 0)
    _fit(m, x, torch.zeros(N, 0))
    with torch.no_grad():
        learned = m.probs(torch.zeros(1, 0))[0]
    empirical = torch.bincount(x, minlength=3).float() / N
    se = torch.sqrt(p * (1 - p) / N_TRAIN)
    assert bool(((learned - p).abs() < 4 * se).all()), (learned, empirical, p)
    assert np.isclose(float(learned.sum()), 1.0)


def test_flow_learns_dependence_within_a_multivariate_node() -> None:
    """A 2-d root flow recovers the correlation of its coordinates (autoregressive conditioning)."""
    rho = 0.8
    g = torch.Generator().manual_seed(7)
    z = torch.randn(N, 2, generator=g)
    x = torch.stack([z[:, 0], rho * z[:, 0] + math.sqrt(1 - rho**2) * z[:, 1]], dim=1)
    torch.manual_seed(0)
    m = make_mechanism("flow", "continuous", 2, 0, transforms=1, hidden_features=(16, 16))
    _fit(m, x, torch.zeros(N, 0))
    with torch.no_grad():
        draws = m.sample(torch.zeros(20_000, 0), generator=torch.Generator().manual_seed(8))
    learned = float(torch.corrcoef(draws.T)[0, 1])
    # standard error of a sample correlation: (1 - rho^2) / sqrt(n)
    tol = 4 * (1 - rho**2) * math.sqrt(1 / N_TRAIN + 1 / 20_000)
    assert abs(learned - rho) < tol, f"correlation {learned:.3f}, truth {rho} (tolerance {tol:.3f})"
