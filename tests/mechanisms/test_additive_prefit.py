"""The additive noise model's least-squares stage: polynomial, then MLP, each kept only if it helps.

Tolerances come from n: an OLS coefficient has standard error ``sigma / sqrt(n)`` for unit-variance
independent regressors, so five of them bound it; a nonlinear fit is held to the bound of
``test_mechanism_fit`` (``sigma * sqrt(K_EFF / n)``, three times over).
"""

from __future__ import annotations

import math

import pytest
import torch

from deepcausal.datasets import load_scm
from deepcausal.mechanisms import AdditiveNoiseMechanism
from deepcausal.nn import TrainConfig, train, validation_split

N = 2000
SIGMA = 0.5
CONFIG = TrainConfig(max_epochs=30, batch_size=512, lr=1e-2, progress=False, random_state=0)


def _fit(m: AdditiveNoiseMechanism, x: torch.Tensor, pa: torch.Tensor) -> list[torch.nn.Parameter]:
    split = validation_split(N, CONFIG)
    params = m.prefit(x, pa, *split)
    assert params == []  # prefit fits everything; the loop only records the losses
    result = train(m, lambda b: m.loss(b[0], b[1]), [x, pa], CONFIG, parameters=params, split=split)
    assert len(result.val_loss) == 1 and math.isfinite(result.best_val_loss)
    return params


def _data(f, seed: int = 0, parents: int = 2):  # type: ignore[no-untyped-def]
    g = torch.Generator().manual_seed(seed)
    pa = torch.randn(N, parents, generator=g)
    # non-Gaussian noise, drawn from the same generator after the parents (independent of them)
    uniform = torch.rand(N, 1, generator=g).clamp(1e-7, 1 - 1e-7)
    u = torch.distributions.Laplace(0.0, SIGMA / math.sqrt(2)).icdf(uniform)
    return f(pa) + u, pa


def test_a_linear_mechanism_is_found_by_least_squares_and_frozen() -> None:
    torch.manual_seed(0)
    x, pa = _data(lambda p: 2 * p[:, :1] - p[:, 1:] + 0.3)
    m = AdditiveNoiseMechanism(dim=1, parent_dim=2, hidden=(32, 32), noise_transforms=1)
    _fit(m, x, pa)
    assert all(not p.requires_grad for p in m.parameters())
    last = m.net[-1]
    assert isinstance(last, torch.nn.Linear) and float(last.weight.abs().sum()) == 0.0
    assert m.linear is not None
    se = SIGMA / math.sqrt(N)
    w = m.linear.weight.detach()[0]
    assert torch.allclose(w[:2], torch.tensor([2.0, -1.0]), atol=5 * se), w
    # the noise has mean zero, so the intercept is the equation's 0.3
    assert abs(float(m.linear.bias) - 0.3) < 5 * se
    grid = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))
    truth = 2 * grid[:, :1] - grid[:, 1:]
    f = m.mean(grid).detach()
    # the regression up to its constant (absorbed by the noise) matches the truth; an OLS fit with
    # k = 6 coefficients has RMS prediction error sigma * sqrt(k / n) over the design
    rms = float(((f - f.mean()) - (truth - truth.mean())).pow(2).mean().sqrt())
    assert rms < 3 * SIGMA * math.sqrt(6 / N), rms


def test_a_nonlinear_mechanism_switches_the_mlp_on() -> None:
    torch.manual_seed(0)
    x, pa = _data(lambda p: torch.sin(2 * p), parents=1)
    m = AdditiveNoiseMechanism(dim=1, parent_dim=1, hidden=(32, 32), noise_transforms=1)
    _fit(m, x, pa)
    last = m.net[-1]
    assert isinstance(last, torch.nn.Linear) and float(last.weight.abs().sum()) > 0
    grid = torch.linspace(-2, 2, 17).unsqueeze(1)
    weights = torch.exp(-0.5 * grid**2) / torch.exp(-0.5 * grid**2).sum()
    f = m.mean(grid).detach()
    err = (f - f.mul(weights).sum()) - (
        torch.sin(2 * grid) - torch.sin(2 * grid).mul(weights).sum()
    )
    rms = float((weights * err**2).sum().sqrt())
    assert rms < 3 * SIGMA * math.sqrt(16 / N), rms
    # the noise density is learned at the residuals' scale: the held-out likelihood is close to the
    # Laplace truth (entropy of Laplace(b) = 1 + log(2b))
    split = validation_split(N, CONFIG)
    with torch.no_grad():
        nll = float(m.loss(x[split[1]], pa[split[1]]))
    assert nll < 1 + math.log(2 * SIGMA / math.sqrt(2)) + 0.1, nll


def test_a_quadratic_mechanism_is_caught_by_the_polynomial_term() -> None:
    torch.manual_seed(0)
    x, pa = _data(lambda p: p[:, :1] ** 2 - p[:, :1] * p[:, 1:])
    m = AdditiveNoiseMechanism(dim=1, parent_dim=2, hidden=(32,), noise_transforms=1)
    _fit(m, x, pa)
    assert m.linear is not None
    w = m.linear.weight.detach()[0]  # [p1, p2, p1^2, p1 p2, p2^2]
    se = SIGMA / math.sqrt(N)
    # RESET finds nothing left for the MLP once the quadratic term is in: it stays off
    last = m.net[-1]
    assert isinstance(last, torch.nn.Linear) and float(last.weight.abs().sum()) == 0.0
    assert torch.allclose(w, torch.tensor([0.0, 0.0, 1.0, -1.0, 0.0]), atol=8 * se), w


def test_joint_regression_skips_the_stage_and_a_root_gets_its_mean() -> None:
    x, pa = _data(lambda p: p[:, :1] + 1.5, parents=1)
    joint = AdditiveNoiseMechanism(dim=1, parent_dim=1, regression="joint")
    assert joint.prefit(x, pa, *validation_split(N, CONFIG)) is None
    root = AdditiveNoiseMechanism(dim=1, parent_dim=0)
    train_idx, val_idx = validation_split(N, CONFIG)
    params = root.prefit(x, torch.zeros(N, 0), train_idx, val_idx)
    assert params is not None and root.const is not None
    assert torch.allclose(root.const, x[train_idx].mean(0))
    # sd of x is sqrt(1 + SIGMA^2); its mean is estimated within 5 standard errors of 1.5
    assert abs(float(root.const) - 1.5) < 5 * math.sqrt(1 + SIGMA**2) / math.sqrt(len(train_idx))


def test_prefit_handles_vector_nodes_and_collinear_parent_features() -> None:
    """A 2-d node whose parents include a 0/1 column (its square equals it: a rank-deficient
    quadratic design) fits, and abduction then prediction reproduces the data."""
    g = torch.Generator().manual_seed(3)
    pa = torch.cat([torch.randn(N, 1, generator=g), torch.randint(0, 2, (N, 1), generator=g)], 1)
    x = torch.cat([pa[:, :1] + pa[:, 1:], torch.sin(pa[:, :1])], 1) + 0.3 * torch.randn(
        N, 2, generator=g
    )
    m = AdditiveNoiseMechanism(dim=2, parent_dim=2, hidden=(16,), noise_transforms=1)
    assert m.prefit(x, pa, *validation_split(N, CONFIG)) == []
    with torch.no_grad():
        u = m.abduct(x, pa)
        assert torch.allclose(m.sample(pa, u), x, atol=1e-5)
        assert torch.isfinite(m.log_prob(x, pa)).all()
        assert 0.0 <= m.residual_dependence(x, pa) <= 1.0


def test_white_test_separates_additive_from_heteroscedastic_noise() -> None:
    x, pa = _data(lambda p: torch.sin(2 * p), parents=1)
    m = AdditiveNoiseMechanism(dim=1, parent_dim=1, hidden=(32,), noise_transforms=1)
    m.prefit(x, pa, *validation_split(N, CONFIG))
    assert m.residual_dependence(x, pa) > 0.01  # fixed seed: additive noise is not rejected
    g = torch.Generator().manual_seed(5)
    hetero = torch.sin(2 * pa) + SIGMA * (0.2 + pa.abs()) * torch.randn(N, 1, generator=g)
    h = AdditiveNoiseMechanism(dim=1, parent_dim=1, hidden=(32,), noise_transforms=1)
    h.prefit(hetero, pa, *validation_split(N, CONFIG))
    assert h.residual_dependence(hetero, pa) < 1e-6


@pytest.mark.parametrize("seed", [0, 1])
def test_the_mlp_stage_stays_bounded_off_the_joint_support_of_the_parents(seed: int) -> None:
    # x4 of the diamond-nonlinear SCM: a bounded function of (x2, x3), where x3 is close to x2^2.
    # A counterfactual that sets x3 to its 80th percentile while x2 is in its top decile asks f
    # where there are no data; a quadratic in (x2, x3) keeps growing there (off by about 2 at the
    # worst such row), the linear part plus the levelling-off tanh MLP does not.
    n = 5000
    data = load_scm("diamond-nonlinear").sample(n, random_state=seed)
    pa = torch.tensor(data[["x2", "x3"]].to_numpy(), dtype=torch.float32)
    x = torch.tensor(data[["x4"]].to_numpy(), dtype=torch.float32)

    def f(p: torch.Tensor) -> torch.Tensor:
        return (p[:, 1:] / ((p[:, :1] + p[:, 1:]).abs() + 0.5)) / 0.54

    torch.manual_seed(0)
    m = AdditiveNoiseMechanism(dim=1, parent_dim=2, noise_transforms=1)
    m.prefit(x, pa, *validation_split(n, CONFIG))
    last = m.net[-1]
    assert isinstance(last, torch.nn.Linear) and float(last.weight.abs().sum()) > 0  # MLP kept
    assert m.linear is not None
    assert float(m.linear.weight.detach()[0, 2:].abs().sum()) == 0.0  # no quadratic terms
    top = pa[pa[:, 0] > float(pa[:, 0].quantile(0.9))]
    off = torch.stack([top[:, 0], torch.full((len(top),), float(pa[:, 1].quantile(0.8)))], 1)
    with torch.no_grad():
        shift = float((m.mean(pa) - f(pa)).mean())  # f is identified up to a constant
        err = (m.mean(off) - shift - f(off)).abs()
    noise_sd = 1 / 5 / 0.54  # sd of the u4 / 5 / 0.54 term
    assert float(err.max()) < 2 * noise_sd, float(err.max())
