"""Shared fixtures of the estimator tests: a confounded simulator with known effects, small configs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, Ridge

from deepcausal.estimators import (
    AIPW,
    CEVAE,
    DML,
    IPW,
    BaseEffectEstimator,
    CFRNet,
    DragonNet,
    EffectSearch,
    PSMatching,
    RegressionAdjustment,
    TARNet,
)
from deepcausal.nn import TrainConfig


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    # the test machines have 2 shared cores: one intra-op thread avoids oversubscription
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass(frozen=True)
class Simulated:
    """A draw from :func:`simulate` with its ground truth."""

    X: np.ndarray
    t: np.ndarray
    y: np.ndarray
    cate: np.ndarray
    ate: float  # population ATE (arm 1 vs 0)
    att: float  # sample ATT: mean CATE over the treated
    asymptotic_var: float  # the semiparametric efficiency bound of the ATE (per unit)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    def tolerance(self, z: float = 4.0, inflate: float = 1.0) -> float:
        """``z`` standard errors of an efficient estimator (times ``inflate``) at this n."""
        return z * inflate * math.sqrt(self.asymptotic_var / self.n)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-a)))


def simulate(n: int, seed: int, *, binary_outcome: bool = False) -> Simulated:
    """Confounded data: X ~ N(0, I_3), e(X) = σ(0.8 x0 - 0.5 x1), τ(X) = 2 + 0.5 x0,
    Y = x0 + 0.5 x1 + τ(X) T + N(0, 1) (or a 0/1 outcome with P(Y=1) = σ(0.5 x0 + T - 0.3)).
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    e = _sigmoid(0.8 * X[:, 0] - 0.5 * X[:, 1])
    t = rng.binomial(1, e)
    if binary_outcome:
        p0 = _sigmoid(0.5 * X[:, 0] - 0.3)
        p1 = _sigmoid(0.5 * X[:, 0] + 0.7)
        y = rng.binomial(1, np.where(t == 1, p1, p0)).astype(float)
        cate = p1 - p0
        var = float(
            np.mean(p1 * (1 - p1) / e + p0 * (1 - p0) / (1 - e) + (cate - cate.mean()) ** 2)
        )
        # population ATE by a large Monte Carlo draw of X
        big = np.random.default_rng(12345).normal(size=(400_000, 1))
        ate = float(np.mean(_sigmoid(0.5 * big[:, 0] + 0.7) - _sigmoid(0.5 * big[:, 0] - 0.3)))
    else:
        cate = 2.0 + 0.5 * X[:, 0]
        y = X[:, 0] + 0.5 * X[:, 1] + cate * t + rng.normal(size=n)
        var = float(np.mean(1.0 / e + 1.0 / (1.0 - e) + (cate - 2.0) ** 2))
        ate = 2.0
    return Simulated(X, t, y, cate, ate, float(cate[t == 1].mean()), var)


def simulate_multi(
    n: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, float]]:
    """Three arms with multinomial-logit assignment; ATEs 1.0 (arm 1) and -2.0 (arm 2) vs arm 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    logits = np.column_stack([np.zeros(n), 0.7 * X[:, 0], -0.7 * X[:, 1]])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    t = np.array([rng.choice(3, p=row) for row in p])
    effects = np.array([0.0, 1.0, -2.0])
    y = X[:, 0] - X[:, 1] + effects[t] + rng.normal(size=n)
    return X, t, y, {1: 1.0, 2: -2.0}


@pytest.fixture(scope="session")
def sim() -> Callable[..., Simulated]:
    return simulate


@pytest.fixture(scope="session")
def sim_multi() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, float]]]:
    return simulate_multi


#: Every estimator, by the names :func:`make_estimator` knows.
ESTIMATOR_NAMES = (
    "TARNet",
    "CFR-Wass",
    "CFR-MMD",
    "CFR-MMD-RBF",
    "DragonNet",
    "IPW",
    "PSMatching",
    "AIPW",
    "DML",
    "RegressionAdjustment",
    "EffectSearch",
    "CEVAE",
)
#: One of each kind (the CFR variants differ only in their penalty).
ESTIMATOR_KINDS = tuple(n for n in ESTIMATOR_NAMES if n not in ("CFR-MMD", "CFR-MMD-RBF"))

#: Small, fast networks for the unit tests (the paper-sized defaults are for real data).
SMALL_NET = {"representation": (48, 48), "head": (32,)}
FAST_TRAINING = TrainConfig(max_epochs=80, batch_size=100, lr=3e-3, patience=15, progress=False)
TINY_TRAINING = TrainConfig(max_epochs=8, batch_size=128, lr=3e-3, patience=8, progress=False)


def make_estimator(
    name: str, random_state: int = 0, *, tiny: bool = False, **overrides: object
) -> BaseEffectEstimator:
    """A small, fast, seeded instance of each estimator (``tiny``: barely trained, for API checks)."""
    config = TINY_TRAINING if tiny else FAST_TRAINING
    deep = {**SMALL_NET, "train_config": config, "random_state": random_state}
    n_boot = 2 if tiny else 4
    factories: dict[str, Callable[[], BaseEffectEstimator]] = {
        "TARNet": lambda: TARNet(**deep, n_bootstrap=n_boot),
        "CFR-Wass": lambda: CFRNet(ipm="wasserstein", **deep, n_bootstrap=n_boot),
        "CFR-MMD": lambda: CFRNet(ipm="mmd-linear", **deep, n_bootstrap=n_boot),
        "CFR-MMD-RBF": lambda: CFRNet(ipm="mmd-rbf", **deep, n_bootstrap=n_boot),
        "DragonNet": lambda: DragonNet(**deep),
        "CEVAE": lambda: CEVAE(
            n_restarts=1,
            latent_dim=5,
            hidden=48,
            n_samples=20,
            n_bootstrap=n_boot,
            train_config=config,
            random_state=random_state,
        ),
        "IPW": lambda: IPW(random_state=random_state),
        "PSMatching": lambda: PSMatching(random_state=random_state),
        "AIPW": lambda: AIPW(LinearRegression(), random_state=random_state),
        "DML": lambda: DML(LinearRegression(), cate="linear", random_state=random_state),
        "RegressionAdjustment": lambda: RegressionAdjustment(
            n_bootstrap=30, random_state=random_state
        ),
        # regression adjustment with its ridge penalty chosen by PEHE_nn on held-out rows
        "EffectSearch": lambda: EffectSearch(
            RegressionAdjustment(Ridge(), n_bootstrap=30),
            {"outcome_model__alpha": [0.1, 1e4]},
            random_state=random_state,
        ),
    }
    est = factories[name]()
    return est.set_params(**overrides) if overrides else est


@pytest.fixture(scope="session")
def make() -> Callable[..., BaseEffectEstimator]:
    return make_estimator
