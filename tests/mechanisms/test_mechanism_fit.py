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
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch
from scipy import stats

from deepcausal.mechanisms import (
    GumbelMaxMechanism,
    Mechanism,
    make_mechanism,
    mechanism_from_config,
)
from deepcausal.nn import TrainConfig, energy_distance, train, validation_split

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
    """Train through the family's own objective, with its preferred settings where it has some
    (the generative families need more, smaller steps than the likelihood ones)."""
    config = replace(CONFIG, **m.preferred_training) if m.preferred_training else CONFIG
    train(m, m.objective(m.prefit(x, parents, *validation_split(len(x), config))), [x, parents],
          config, split=validation_split(len(x), config), description=m.name)  # fmt: skip


def _conditional_data(seed: int, n: int = N) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    pa = torch.randn(n, 1, generator=g)
    return torch.sin(2 * pa) + SIGMA * torch.randn(n, 1, generator=g), pa


#: Every continuous family, with small networks.
CONTINUOUS = [
    ("flow", {"transforms": 1, "hidden_features": (32, 32)}),
    ("additive", {"hidden": (32, 32), "noise_transforms": 1, "noise_hidden_features": (16,)}),
    ("location_scale", {"hidden": (32, 32)}),
    ("diffusion", {"hidden": (32, 64)}),
    ("vae", {"hidden": (32, 32)}),
    ("gan", {"hidden": (32, 32)}),
]

_TRAINED: dict[str, Mechanism] = {}


def _trained(name: str, hyper: dict[str, Any]) -> Mechanism:
    """One model per family fitted to ``x = sin(2 pa) + 0.5 u``, shared by the tests below."""
    if name not in _TRAINED:
        x, pa = _conditional_data(0)
        torch.manual_seed(0)
        m = make_mechanism(name, "continuous", 1, 1, **hyper)
        _fit(m, x, pa)
        _TRAINED[name] = m
    return _TRAINED[name]


def _weighted_rms(err: torch.Tensor) -> float:
    return float((WEIGHTS * err**2).sum().sqrt())


@pytest.mark.parametrize(("name", "hyper"), CONTINUOUS)
def test_continuous_family_learns_a_nonlinear_conditional(name: str, hyper: dict[str, Any]) -> None:
    m = _trained(name, hyper)
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


@pytest.mark.parametrize(("name", "hyper"), CONTINUOUS)
def test_samples_pass_a_two_sample_test_against_fresh_data(
    name: str, hyper: dict[str, Any]
) -> None:
    """Energy-distance permutation test (Székely & Rizzo 2004) of ``(pa, x̂)`` drawn by the trained
    model against fresh ``(pa, x)`` at the same parents: the model is not told apart at level 0.01.
    With 400 rows the test detects a conditional mean off by about 0.2 sd or a wrong spread; it is
    blind to the small misfit every finite-sample fit has."""
    m = _trained(name, hyper)
    x, pa = _conditional_data(99, 400)
    with torch.no_grad():
        drawn = m.sample(pa, generator=torch.Generator().manual_seed(7))
    real, fake = torch.cat([pa, x], 1), torch.cat([pa, drawn], 1)
    observed = float(energy_distance(real, fake))
    pooled = torch.cat([real, fake])
    g = torch.Generator().manual_seed(8)
    null = []
    for _ in range(199):
        perm = torch.randperm(len(pooled), generator=g)
        null.append(float(energy_distance(pooled[perm[:400]], pooled[perm[400:]])))
    p_value = (1 + sum(v >= observed for v in null)) / 200
    assert p_value > 0.01, f"{name}: energy distance {observed:.4f}, permutation p = {p_value}"


def test_a_trained_posterior_is_calibrated() -> None:
    """Simulation-based calibration of the VAE's amortised posterior: for ``x`` drawn from the
    model, abducted noise ``u ~ q(u | x, pa)`` is distributed as the prior N(0, I) when the posterior
    is right. Each coordinate is KS-tested at level 1e-3 (Bonferroni over the two)."""
    m = _trained("vae", dict(CONTINUOUS)["vae"])
    n = 2000
    _, pa = _conditional_data(5, n)
    with torch.no_grad():
        x = m.sample(pa, generator=torch.Generator().manual_seed(1))
        u = m.abduct(x, pa, generator=torch.Generator().manual_seed(2))
    d_crit = math.sqrt(-math.log(1e-3 / 4) / 2) / math.sqrt(n)
    for k in range(m.noise_dim):
        d = stats.kstest(u[:, k].numpy(), stats.norm.cdf).statistic
        assert d < d_crit, f"noise coordinate {k}: KS distance {d:.4f} >= {d_crit:.4f}"


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


def test_vae_follows_the_regression_off_the_support() -> None:
    """``x = 3 pa + 0.1 u`` on ``pa`` in [-1, 1]: with ``mean="regression"`` (the default) a
    counterfactual at ``pa = 3`` keeps the unit's residual on the fitted line (OLS extrapolates a
    line exactly); the decoder alone has never seen ``pa = 3``. A model saved before the option
    existed (no ``mean`` in its config) is rebuilt as it was made, with ``mean="none"``."""
    g = torch.Generator().manual_seed(9)
    pa = torch.rand(N, 1, generator=g) * 2 - 1
    x = 3 * pa + 0.1 * torch.randn(N, 1, generator=g)
    torch.manual_seed(0)
    m = make_mechanism("vae", "continuous", 1, 1, hidden=(16, 16))
    assert m.config()["mean"] == "regression"
    _fit(m, x, pa)
    with torch.no_grad():
        u = m.abduct(x[:200], pa[:200], generator=torch.Generator().manual_seed(1))
        cf = m.sample(torch.full((200, 1), 3.0), u)
    truth = 9.0 + (x[:200] - 3 * pa[:200])
    # the line's slope error at pa = 3 is ~0.1 * 3 / sqrt(n) * sqrt(3); the residual part is the
    # VAE's own round trip at pa = 3, at most the noise's scale
    assert float((cf - truth).abs().median()) < 0.15
    old = {k: v for k, v in m.config().items() if k != "mean"}
    assert mechanism_from_config(old).config()["mean"] == "none"


def test_a_regression_stage_reuses_an_additive_models_fit() -> None:
    """``"auto"`` fits the additive model first; a flow or VAE with ``mean="regression"`` takes its
    regression instead of solving the same least squares again, and refuses one built otherwise."""
    x, pa = _conditional_data(3)
    split = validation_split(len(x), CONFIG)
    torch.manual_seed(0)
    additive = make_mechanism("additive", "continuous", 1, 1)
    additive.prefit(x, pa, *split)
    for family in ("flow", "vae"):
        m = make_mechanism(family, "continuous", 1, 1, mean="regression")
        assert m.reuse(additive)
        m.prefit(x, pa, *split)  # keeps the adopted regression
        with torch.no_grad():
            assert torch.equal(m.location(pa), additive.mean(pa))
    other = make_mechanism("additive", "continuous", 1, 1, hidden=(8,))
    assert not make_mechanism("flow", "continuous", 1, 1, mean="regression").reuse(other)
    assert not make_mechanism("flow", "continuous", 1, 1).reuse(additive)  # no regression stage
