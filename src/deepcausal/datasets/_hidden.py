"""Simulators with a hidden confounder and a known effect, for the estimators that cope with one:
instruments, proxies, a mismeasured confounder, the front door."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "HiddenConfounding",
    "demand_h",
    "simulate_demand",
    "simulate_frontdoor",
    "simulate_mismeasured",
    "simulate_nonlinear_proxies",
    "simulate_proxies",
]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-a)))


@dataclass(frozen=True)
class HiddenConfounding:
    """One draw: the observed table (the confounder ``u`` left out), the true effect, the roles.

    Attributes:
        data: the observed columns.
        ate: the true average effect (of ``t`` from 0 to 1, or as ``roles`` says).
        roles: which column plays which part (``treatment``, ``outcome``, ``instrument``, ...).
        truth: extra ground truth (the confounder's values, a structural function).
    """

    data: pd.DataFrame
    ate: float
    roles: dict[str, str | list[str]]
    truth: dict[str, object] = field(default_factory=dict)


def simulate_proxies(n: int, random_state: int | None = None) -> HiddenConfounding:
    """Proximal inference's linear design (after Tchetgen Tchetgen et al. 2020): a hidden
    confounder ``u`` of a binary treatment and the outcome, a treatment proxy ``z`` and an
    outcome proxy ``w`` of it, a covariate ``x``::

        u, x ~ N(0, 1);  z = u + 0.5 x + N(0, 1);  w = u - 0.3 x + N(0, 1)
        t ~ Bernoulli(sigmoid(1.5 u + 0.3 x));  y = 2 t + 2 u + x + N(0, 1)      (ATE 2)

    Adjusting for ``x`` and both proxies as if they were the confounder leaves a large bias.
    """
    return _proxy_design(n, random_state, lambda t, u, x: 2.0 * t + 2.0 * u + x)


def simulate_nonlinear_proxies(n: int, random_state: int | None = None) -> HiddenConfounding:
    """A proximal design whose outcome bridge is not linear: the effect varies with the hidden
    confounder ``u`` and the outcome is cubic in it (for :class:`~deepcausal.estimators.
    KernelProxy`; the linear :class:`~deepcausal.estimators.ProximalTwoStage` is misspecified and
    biased here)::

        u, x ~ N(0, 1);  z = u + 0.5 x + N(0, 1);  w = u - 0.3 x + N(0, 1)
        t ~ Bernoulli(sigmoid(1.5 u + 0.3 x))
        y = (2 + u) t + u + 0.5 u³ + x + N(0, 1)                                 (ATE 2)

    With ``v = w + 0.3 x = u + N(0, 1)``, ``E[v | u] = u`` and ``E[v³ - 3v | u] = u³``, so the
    bridge is ``h(t, w, x) = (2 + v) t + v + 0.5 (v³ - 3 v) + x``.
    """
    return _proxy_design(n, random_state, lambda t, u, x: (2.0 + u) * t + u + 0.5 * u**3 + x)


def _proxy_design(
    n: int,
    random_state: int | None,
    outcome: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> HiddenConfounding:
    """The proxy designs' shared draws (``u, x, z, w, t`` as in their docstrings), then
    ``y = outcome(t, u, x) + N(0, 1)``; the ATE of both designs is 2."""
    rng = np.random.default_rng(random_state)
    u, x = rng.normal(size=(2, n))
    z = u + 0.5 * x + rng.normal(size=n)
    w = u - 0.3 * x + rng.normal(size=n)
    t = rng.binomial(1, _sigmoid(1.5 * u + 0.3 * x))
    y = outcome(t, u, x) + rng.normal(size=n)
    data = pd.DataFrame({"x": x, "z": z, "w": w, "t": t, "y": y})
    roles: dict[str, str | list[str]] = {
        "treatment": "t", "outcome": "y", "covariates": ["x"], "treatment_proxy": "z",
        "outcome_proxy": "w",
    }  # fmt: skip
    return HiddenConfounding(data, 2.0, roles, {"u": u})


def simulate_frontdoor(n: int, random_state: int | None = None) -> HiddenConfounding:
    """The front-door graph ``t -> m -> y`` with ``t <-> y`` through a hidden ``u``::

        u ~ N(0, 1);  t ~ Bernoulli(sigmoid(1.5 u));  m = 1 + 1.2 t + N(0, 1)
        y = 0.5 m + 0.3 m² + 2 u + N(0, 1)

    The effect of ``t`` runs through ``m`` alone: with ``m | do(t) ~ N(1 + 1.2 t, 1)``,
    E[y | do(t=1)] - E[y | do(t=0)] = 0.5 * 1.2 + 0.3 * (2.2² - 1²) = 1.752.
    """
    rng = np.random.default_rng(random_state)
    u = rng.normal(size=n)
    t = rng.binomial(1, _sigmoid(1.5 * u))
    m = 1.0 + 1.2 * t + rng.normal(size=n)
    y = 0.5 * m + 0.3 * m**2 + 2.0 * u + rng.normal(size=n)
    data = pd.DataFrame({"t": t, "m": m, "y": y})
    roles: dict[str, str | list[str]] = {"treatment": "t", "outcome": "y", "mediators": ["m"]}
    truth = {"u": u, "graph": "t -> m; m -> y; t <-> y"}
    return HiddenConfounding(data, 0.5 * 1.2 + 0.3 * (2.2**2 - 1.0), roles, truth)


def simulate_mismeasured(
    n: int, random_state: int | None = None, error: np.ndarray | None = None
) -> HiddenConfounding:
    """A binary confounder ``u`` recorded as ``w`` with error matrix ``M[w, u] = P(w | u)``
    (default ``[[0.85, 0.2], [0.15, 0.8]]``), Kuroki & Pearl's (2014) setting::

        u ~ Bernoulli(0.4);  t ~ Bernoulli(0.2 + 0.6 u);  y = 1.5 t + 2 u + N(0, 1)   (ATE 1.5)
    """
    M = np.array([[0.85, 0.2], [0.15, 0.8]]) if error is None else np.asarray(error, dtype=float)
    rng = np.random.default_rng(random_state)
    u = rng.binomial(1, 0.4, size=n)
    w = (rng.random(n) < M[1, u]).astype(int)
    t = rng.binomial(1, 0.2 + 0.6 * u)
    y = 1.5 * t + 2.0 * u + rng.normal(size=n)
    data = pd.DataFrame({"w": w, "t": t, "y": y})
    roles: dict[str, str | list[str]] = {"treatment": "t", "outcome": "y", "proxy": "w"}
    return HiddenConfounding(data, 1.5, roles, {"u": u, "error_matrix": M})


def demand_h(price: np.ndarray, time: np.ndarray, emotion: np.ndarray) -> np.ndarray:
    """The structural demand function of Hartford et al. (2017, "Deep IV", §5.1)."""
    psi = 2 * (((time - 5) ** 4) / 600 + np.exp(-4 * (time - 5) ** 2) + time / 10 - 2)
    return np.asarray(100 + (10 + price) * emotion * psi - 2 * price)


def simulate_demand(n: int, random_state: int | None = None, rho: float = 0.5) -> HiddenConfounding:
    """The airline-demand design of Hartford, Lewis, Leyton-Brown & Taddy (2017, "Deep IV: A
    flexible approach for counterfactual prediction", §5.1): customer type ``s`` (emotion, 1..7),
    time of year ``t`` ~ U(0, 10), a fuel-cost instrument ``c`` ~ N(0, 1), and a price confounded
    with sales through ``ρ``::

        e ~ N(ρ v, 1 - ρ²), v ~ N(0, 1);  p = 25 + (c + 3) ψ(t) + v
        y = 100 + (10 + p) s ψ(t) − 2 p + e,  ψ(t) = 2((t − 5)⁴/600 + exp(−4 (t − 5)²) + t/10 − 2)

    ``truth["h"]`` is the structural function ``h(p, t, s)`` (the expected sales under a price
    set by intervention); the effect of a unit price increase averages ``∂h/∂p`` over the units.
    """
    rng = np.random.default_rng(random_state)
    emotion = rng.integers(1, 8, size=n).astype(float)
    time = rng.uniform(0, 10, size=n)
    cost = rng.normal(size=n)
    v = rng.normal(size=n)
    e = rho * v + rng.normal(scale=np.sqrt(1 - rho**2), size=n)
    psi = 2 * (((time - 5) ** 4) / 600 + np.exp(-4 * (time - 5) ** 2) + time / 10 - 2)
    price = 25 + (cost + 3) * psi + v
    sales = demand_h(price, time, emotion) + e
    data = pd.DataFrame(
        {"time": time, "emotion": emotion, "cost": cost, "price": price, "sales": sales}
    )
    roles: dict[str, str | list[str]] = {
        "treatment": "price", "outcome": "sales", "covariates": ["time", "emotion"],
        "instrument": "cost",
    }  # fmt: skip
    slope = float(np.mean(emotion * psi - 2))  # d h / d p, averaged
    return HiddenConfounding(data, slope, roles, {"h": demand_h})


def simulate_latent_proxies(
    n: int, random_state: int | None = None, n_proxies: int = 5
) -> HiddenConfounding:
    """The synthetic design of Louizos et al. (2017, "Causal effect inference with deep
    latent-variable models", §4.1): a binary hidden confounder seen through noisy proxies::

        z ~ Bernoulli(0.5);  x_j ~ N(z, (5 z + 3 (1 - z))²), j = 1..n_proxies
        t ~ Bernoulli(0.75 z + 0.25 (1 - z));  y ~ Bernoulli(sigmoid(3 (z + 2 (2 t - 1))))

    The ATE is E_z[sigmoid(3 (z + 2)) - sigmoid(3 (z - 2))] ≈ 0.9738 (exact, over z). Proxy
    scales as in the authors' and pyro's code (standard deviations 5 and 3).
    """
    rng = np.random.default_rng(random_state)
    z = rng.binomial(1, 0.5, size=n)
    scale = np.where(z == 1, 5.0, 3.0)
    x = z[:, None] + scale[:, None] * rng.normal(size=(n, n_proxies))
    t = rng.binomial(1, 0.75 * z + 0.25 * (1 - z))
    y = rng.binomial(1, _sigmoid(3.0 * (z + 2.0 * (2.0 * t - 1.0))))
    data = pd.DataFrame({f"x{j}": x[:, j] for j in range(n_proxies)})
    data["t"], data["y"] = t, y
    levels = np.array([0.0, 1.0])
    ate = float(np.mean(_sigmoid(3.0 * (levels + 2.0)) - _sigmoid(3.0 * (levels - 2.0))))
    ite = _sigmoid(3.0 * (z + 2.0)) - _sigmoid(3.0 * (z - 2.0))
    roles: dict[str, str | list[str]] = {
        "treatment": "t", "outcome": "y", "proxies": [f"x{j}" for j in range(n_proxies)],
    }  # fmt: skip
    return HiddenConfounding(data, ate, roles, {"z": z, "ite": ite})


def simulate_noisy_proxy(n: int, random_state: int | None = None) -> HiddenConfounding:
    """A continuous, bimodal hidden confounder seen through one noisy proxy: the misspecified
    setting of Rissanen & Marttinen (2021), where CEVAE's Gaussian latent cannot recover ``u``::

        u = ±1.5 (each with probability ½) + N(0, 0.5²);  x = u + N(0, 1)
        t ~ Bernoulli(sigmoid(2 u));  y = 2 t + 2 u + N(0, 1)                    (ATE 2)

    The proxy leaves ``u`` uncertain, so no method that adjusts through ``x`` alone is unbiased.
    """
    rng = np.random.default_rng(random_state)
    u = rng.choice([-1.5, 1.5], size=n) + 0.5 * rng.normal(size=n)
    x = u + rng.normal(size=n)
    t = rng.binomial(1, _sigmoid(2.0 * u))
    y = 2.0 * t + 2.0 * u + rng.normal(size=n)
    data = pd.DataFrame({"x": x, "t": t, "y": y})
    roles: dict[str, str | list[str]] = {"treatment": "t", "outcome": "y", "proxies": ["x"]}
    return HiddenConfounding(data, 2.0, roles, {"u": u})


def render_disks(
    radius: np.ndarray, centre: np.ndarray, brightness: np.ndarray, size: int = 20
) -> np.ndarray:
    """Grey images ``(n, 1, size, size)`` of anti-aliased disks of the given radii, centres
    ``(n, 2)`` (pixels) and brightness."""
    grid = np.arange(size) + 0.5
    dy = grid[None, :, None] - centre[:, 0, None, None]
    dx = grid[None, None, :] - centre[:, 1, None, None]
    dist = np.sqrt(dx**2 + dy**2)
    disk = np.clip(radius[:, None, None] - dist + 0.5, 0.0, 1.0)
    return (brightness[:, None, None] * disk)[:, None, :, :]


def simulate_image_exposure(
    n: int, random_state: int | None = None, size: int = 20, noise: float = 0.1
) -> HiddenConfounding:
    """An image-valued exposure whose one latent attribute carries the effect, in the spirit of
    neuroimaging genetics (genes → brain image → disease; Yao et al.): five variant dosages
    ``z`` ~ Binomial(2, 0.3) move an attribute ``a`` that a hidden ``u`` confounds with the
    outcome; the exposure is a ``size × size`` image of a disk of radius ``4 + a`` at a random
    position and brightness (nuisance attributes), with pixel noise::

        a = 0.5 Σ_j w_j (z_j - 0.6) + u + 0.3 N(0, 1),  w = (1, 0.8, 0.6, 0.4, 0.2),  u ~ N(0, 1)
        y = a + 2 u + N(0, 1)                                                   (effect of a: 1)

    ``truth`` holds ``a``, ``u``, the nuisance attributes and ``counterfactual``: every image
    re-rendered with ``a + 1`` (same position, brightness and noise), so the effect of a unit
    change of the attribute is ``E[y(a + 1) - y(a)] = 1``. Regressing y on ``a`` is biased by u.
    """
    rng = np.random.default_rng(random_state)
    z = rng.binomial(2, 0.3, size=(n, 5)).astype(float)
    w = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
    u = rng.normal(size=n)
    a = 0.5 * (z - 0.6) @ w + u + 0.3 * rng.normal(size=n)
    centre = size / 2 + rng.uniform(-2.0, 2.0, size=(n, 2))
    bright = rng.uniform(0.6, 1.0, size=n)
    pixel_noise = noise * rng.normal(size=(n, 1, size, size))
    radius = np.clip(4.0 + a, 0.5, size / 2 - 1.0)
    image = render_disks(radius, centre, bright, size) + pixel_noise
    radius_cf = np.clip(5.0 + a, 0.5, size / 2 - 1.0)
    counterfactual = render_disks(radius_cf, centre, bright, size) + pixel_noise
    y = a + 2.0 * u + rng.normal(size=n)
    data = pd.DataFrame({f"z{j}": z[:, j] for j in range(5)})
    data["y"] = y
    roles: dict[str, str | list[str]] = {
        "instrument": [f"z{j}" for j in range(5)], "outcome": "y", "exposure": "truth['image']",
    }  # fmt: skip
    truth = {"image": image, "a": a, "u": u, "counterfactual": counterfactual,
             "centre": centre, "brightness": bright}  # fmt: skip
    return HiddenConfounding(data, 1.0, roles, truth)
