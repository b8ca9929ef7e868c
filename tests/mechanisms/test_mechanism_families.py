"""Family-specific checks: the Gumbel posterior sampler and the flows' behaviour far from the data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from deepcausal.errors import DataError
from deepcausal.mechanisms import (
    AdditiveNoiseMechanism,
    FlowMechanism,
    GumbelMaxMechanism,
    LocationScaleMechanism,
)
from deepcausal.mechanisms.gumbel import gumbel_posterior

ALPHA = 1e-3
# Kolmogorov-Smirnov critical value c(alpha) = sqrt(-ln(alpha / 2) / 2); D_crit = c * sqrt(1/n + 1/m)
C_ALPHA = math.sqrt(-math.log(ALPHA / 2) / 2)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _root_gumbel(logits: list[float]) -> GumbelMaxMechanism:
    m = GumbelMaxMechanism(len(logits), 0)
    with torch.no_grad():
        assert m.const is not None
        m.const.copy_(torch.tensor(logits))
    return m


def test_abducted_gumbel_noise_follows_the_prior_on_average() -> None:
    """Averaged over x ~ model, the posterior p(g | x) integrates back to the Gumbel(0, 1) prior."""
    m = _root_gumbel([0.5, -1.0, 1.2])
    n = 20_000
    parents = torch.zeros(n, 0)
    with torch.no_grad():
        x = m.sample(parents, generator=_gen(0))
        post = m.abduct(x, parents, generator=_gen(1)).numpy()
    d_crit = C_ALPHA / math.sqrt(n)
    for k in range(3):
        d = stats.kstest(post[:, k], stats.gumbel_r.cdf).statistic
        assert d < d_crit, f"coordinate {k}: KS distance {d:.4f} >= {d_crit:.4f}"


def test_abducted_gumbel_noise_matches_rejection_sampling() -> None:
    """Given x = k, abducted noise has the law of prior draws whose argmax is k."""
    logits = [0.5, -1.0, 1.2]
    m = _root_gumbel(logits)
    n = 30_000
    with torch.no_grad():
        prior = m.noise(n, generator=_gen(2))
        x = m.sample(torch.zeros(n, 0), prior)
    for k in range(3):
        accepted = prior[x == k].numpy()  # exact posterior draws by rejection
        observed = torch.full((len(accepted),), k)
        with torch.no_grad():
            post = m.abduct(observed, torch.zeros(len(accepted), 0), generator=_gen(3 + k)).numpy()
        d_crit = C_ALPHA * math.sqrt(2 / len(accepted))
        for j in range(3):
            d = stats.ks_2samp(post[:, j], accepted[:, j]).statistic
            assert d < d_crit, f"x={k}, g_{j}: KS distance {d:.4f} >= {d_crit:.4f}"


def test_gumbel_round_trip_is_exact_for_extreme_logits() -> None:
    m = _root_gumbel([30.0, -30.0, 0.0, 29.9999])
    n = 4_000
    x = torch.arange(4).repeat(n // 4)  # includes categories of probability ~1e-26
    with torch.no_grad():
        g = m.abduct(x, torch.zeros(n, 0), generator=_gen(4))
        assert torch.isfinite(g).all()
        assert torch.equal(m.sample(torch.zeros(n, 0), g), x)


def test_gumbel_round_trip_holds_when_sampling_in_other_batch_sizes() -> None:
    """Abducting all rows at once and predicting in small chunks still reproduces every row."""
    torch.manual_seed(0)
    m = GumbelMaxMechanism(4, 3, hidden=(16,))
    parents = torch.randn(1000, 3, generator=_gen(6))
    x = torch.randint(0, 4, (1000,), generator=_gen(7))
    with torch.no_grad():
        g = m.abduct(x, parents, generator=_gen(8))
        chunks = [m.sample(p, u) for p, u in zip(parents.split(7), g.split(7), strict=True)]
    assert torch.equal(torch.cat(chunks), x)


def test_gumbel_posterior_puts_the_maximum_at_the_observation() -> None:
    logits = torch.tensor([[0.0, 1.0, -2.0]], dtype=torch.float64).repeat(1000, 1)
    x = torch.full((1000,), 2)
    uniform = torch.rand(1000, 4, generator=_gen(5), dtype=torch.float64)
    g = gumbel_posterior(logits, x, uniform)
    assert bool(((logits + g).argmax(-1) == x).all())
    # the maximum is Gumbel(logsumexp(logits)): its mean is logsumexp + Euler's constant
    top = (logits + g)[:, 2].numpy()
    expected = float(torch.logsumexp(logits[0], 0)) + np.euler_gamma
    assert abs(top.mean() - expected) < 4 * (math.pi / math.sqrt(6)) / math.sqrt(1000)


@pytest.mark.parametrize(
    "mechanism",
    [
        FlowMechanism(2, 1, transforms=2, hidden_features=(8,)),
        FlowMechanism(1, 0, transforms=2),
        FlowMechanism(2, 1, transform="maf", hidden_features=(8,)),
        AdditiveNoiseMechanism(2, 1, hidden=(8,), noise_hidden_features=(8,)),
        LocationScaleMechanism(2, 1, hidden=(8,)),
    ],
    ids=["nsf", "nsf-root-1d", "maf", "additive", "location_scale"],
)
def test_values_far_outside_the_spline_bound_stay_finite(mechanism: FlowMechanism) -> None:
    far = torch.tensor([[50.0, -80.0], [1e3, 7.0], [-6.5, 6.5]])[:, : mechanism.dim]
    parents = torch.tensor([[100.0], [-1e3], [0.0]])[:, : mechanism.parent_dim]
    with torch.no_grad():
        u = mechanism.abduct(far, parents)
        assert torch.isfinite(u).all()
        assert torch.isfinite(mechanism.log_prob(far, parents)).all()
        back = mechanism.sample(parents, u)
        assert torch.isfinite(back).all()
        # just outside the spline bound the round trip still holds; far beyond it float32 loses
        # digits through the (bounded but large) affine scales, but never turns into NaN/inf
        assert torch.allclose(back[2], far[2], rtol=1e-4, atol=1e-3)
        big_noise = torch.full((3, mechanism.dim), 40.0)
        assert torch.isfinite(mechanism.sample(parents, big_noise)).all()


def test_spline_bound_is_the_identity_outside() -> None:
    m = FlowMechanism(1, 0, transforms=2, bound=6.0)
    x = torch.tensor([[-20.0], [9.0], [30.0]])
    with torch.no_grad():
        # zero-initialised root layers are the identity; beyond the bound the splines stay so
        assert torch.allclose(m.abduct(x, torch.zeros(3, 0)), x)


def test_nan_inputs_are_refused() -> None:
    m = FlowMechanism(1, 1, transforms=1, hidden_features=(8,))
    with pytest.raises(DataError, match="non-finite"):
        m.abduct(torch.tensor([[float("nan")]]), torch.zeros(1, 1))
    with pytest.raises(DataError, match="non-finite"):
        m.sample(torch.tensor([[float("nan")]]))
