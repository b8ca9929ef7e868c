"""CEVAE (Louizos et al. 2017): adjusts through proxies of a hidden confounder where regression is
biased; handles binary proxies and outcomes; follows the estimator contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from deepcausal.datasets import simulate_latent_proxies
from deepcausal.estimators import CEVAE
from deepcausal.nn import TrainConfig

FAST = TrainConfig(max_epochs=60, batch_size=100, lr=1e-3, patience=10, progress=False)


def _informative_proxies(n: int, seed: int, binary: bool = False):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    z = rng.binomial(1, 0.5, size=n)
    if binary:  # each proxy agrees with z with probability 0.85
        x = np.where(rng.random((n, 5)) < 0.85, z[:, None], 1 - z[:, None]).astype(float)
    else:
        x = z[:, None] + 0.5 * rng.normal(size=(n, 5))
    t = rng.binomial(1, 0.8 * z + 0.2 * (1 - z))
    y = 1.0 * t + 3.0 * z + rng.normal(size=n)
    return x, t, y


@pytest.mark.parametrize("binary", [False, True])
def test_cevae_adjusts_through_the_proxies(binary: bool) -> None:
    x, t, y = _informative_proxies(2000, 0, binary)
    naive = y[t == 1].mean() - y[t == 0].mean()
    assert naive > 2.4  # confounding by z more than doubles the effect of 1
    est = CEVAE(latent_dim=5, hidden=64, train_config=FAST, n_samples=50, n_restarts=1,
                random_state=0)  # fmt: skip
    est.fit(x, t, y)
    assert est.binary_columns_.all() == binary
    ate = float(est.effect(x).mean())
    assert abs(ate - 1.0) < 0.35, ate


def test_cevae_on_the_louizos_design_with_a_binary_outcome() -> None:
    sim = simulate_latent_proxies(1500, random_state=1)
    d = sim.data
    X = d[[c for c in d if c.startswith("x")]]
    est = CEVAE(latent_dim=5, hidden=64, train_config=FAST, n_samples=20, n_restarts=1,
                random_state=0)  # fmt: skip
    est.fit(X, d.t, d.y)
    assert est.outcome_kind_ == "binary"
    mu = est.predict_outcomes(X)
    assert mu.shape == (1500, 2) and ((mu >= 0) & (mu <= 1)).all()
    assert abs(float(est.effect(X).mean()) - sim.ate) < 0.1


def test_cevae_contract_and_bootstrap_interval() -> None:
    x, t, y = _informative_proxies(400, 2)
    tiny = TrainConfig(max_epochs=3, batch_size=100, progress=False)
    est = CEVAE(latent_dim=2, hidden=16, n_layers=1, n_samples=5, train_config=tiny,
                n_bootstrap=2, n_restarts=2, random_state=3)  # fmt: skip
    copy = clone(est)
    a = est.fit(x, t, y).effect(x)
    np.testing.assert_allclose(a, copy.fit(x, t, y).effect(x), rtol=1e-5, atol=1e-5)
    # the restarts share one held-out set, and the kept fit has the least held-out loss
    assert len(est.restart_losses_) == 2
    assert est.train_result_.best_val_loss == min(est.restart_losses_)
    effect = est.ate()
    assert np.isfinite(effect.std_error) and "bootstrap (2 refits)" in effect.method
    with pytest.raises(ValueError, match="latent_dim must be >= 1"):
        CEVAE(latent_dim=0).fit(x, t, y)
    with pytest.raises(ValueError, match="n_restarts must be >= 1"):
        CEVAE(n_restarts=0).fit(x, t, y)
