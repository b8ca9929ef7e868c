"""Simulated SCMs whose noise is not additive: heteroscedastic noise, and noise inside the
non-linearity, each strictly increasing in the noise so that counterfactuals are unique.

* ``chain-heteroscedastic`` (own): a location-scale chain, both location and scale non-linear in
  the parent — the model class of Immer et al. (ICML 2023, "On the identifiability and estimation
  of causal location-scale noise models").
* ``large-backdoor-nonadditive`` (own): the 9-node large-backdoor graph of causal normalizing flows
  (Javaloy, Sánchez-Martín & Valera, NeurIPS 2023), whose published equations put the noise in
  additively after a transform (``large-backdoor-nonlinear``); here every layer scales its noise by
  a function of the parent and the sink's Laplace scale depends on its parents.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from deepcausal.datasets._equations import (
    _eq,
    _laplace_cdf,
    _laplace_icdf,
    _layer,
    _root,
    _softplus,
    _softplus_inv,
)
from deepcausal.datasets._scm import SimulatedSCM
from deepcausal.datasets._structural import Arrays, StructuralEquation

__all__ = ["chain_heteroscedastic", "large_backdoor_nonadditive"]


def _het_x2_scale(x1: np.ndarray) -> np.ndarray:
    return 0.3 + 0.7 * expit(-2 * x1)


def _het_x3_scale(x2: np.ndarray) -> np.ndarray:
    return 0.2 + 0.5 * _softplus(x2)


def chain_heteroscedastic() -> SimulatedSCM:
    """Heteroscedastic chain (own): ``x1 = u1``;
    ``x2 = tanh(2 x1) + (0.3 + 0.7 sigmoid(-2 x1)) u2``;
    ``x3 = x2^2/2 + (0.2 + 0.5 softplus(x2)) u3``.
    """
    return SimulatedSCM(
        "chain-heteroscedastic",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: np.tanh(2 * v["x1"]) + _het_x2_scale(v["x1"]) * u,
                lambda v, x: (x - np.tanh(2 * v["x1"])) / _het_x2_scale(v["x1"]),
                "x2 = tanh(2*x1) + (0.3 + 0.7*sigmoid(-2*x1)) * u2", additive=False),
            _eq("x3", ("x2",), lambda v, u: v["x2"] ** 2 / 2 + _het_x3_scale(v["x2"]) * u,
                lambda v, x: (x - v["x2"] ** 2 / 2) / _het_x3_scale(v["x2"]),
                "x3 = x2^2/2 + (0.2 + 0.5*softplus(x2)) * u3", additive=False),
        ],
        "heteroscedastic chain (deepcausal), location-scale noise as in Immer et al. 2023",
    )  # fmt: skip


def _scaled_layer(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    # N(a, u) = softplus(a + 1) * (0.5 + softplus(0.5 + u)) / 1.5 - 1: increasing in u
    return _softplus(x + 1) * (0.5 + _softplus(0.5 + u)) / 1.5 - 1.0


def _scaled_layer_inv(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    return _softplus_inv(1.5 * (z + 1.0) / _softplus(x + 1) - 0.5) - 0.5


def _scaled_layer_equation(child: str, parent: str) -> StructuralEquation:
    def forward(v: Arrays, u: np.ndarray) -> np.ndarray:
        return _scaled_layer(v[parent], u)

    def inverse(v: Arrays, x: np.ndarray) -> np.ndarray:
        return _scaled_layer_inv(v[parent], x)

    return _eq(child, (parent,), forward, inverse, f"{child} = N({parent}, u{child[1:]})",
               additive=False, noise="uniform")  # fmt: skip


def _lbd_x9_loc(v: Arrays) -> np.ndarray:
    return 2 - _softplus((1.3 * v["x7"] + v["x8"]) / 3 + 1)


def _lbd_x9_scale(v: Arrays) -> np.ndarray:
    return 0.3 + 0.3 * _softplus(v["x8"] - v["x7"])


def large_backdoor_nonadditive() -> SimulatedSCM:
    """Large backdoor, 9 nodes, with non-additive noise (own; graph and roots as CNF's).

    ``N(a, u) = softplus(a + 1) (0.5 + softplus(0.5 + u)) / 1.5 - 1`` (the noise scaled by the
    parent); every noise Uniform(0, 1) as in CNF's 9-node SCMs. ``x1 = softplus(1.8 u1) - 1;
    x2 = 1.5 (softplus(x1 + 1) + softplus(0.5) - 3) + 0.25 u2; x3 = N(x1, u3); x4 = N(x2, u4);
    x5 = N(x3, u5); x6 = N(x4, u6); x7 = N(x5, u7); x8 = 0.3 u8 + softplus(x6 + 1) - 1``; ``x9`` is
    the Laplace inverse CDF at ``u9`` with location ``2 - softplus((1.3 x7 + x8)/3 + 1)`` and scale
    ``0.3 + 0.3 softplus(x8 - x7)``.
    """
    eqs = [
        _eq("x1", (), lambda v, u: _softplus(1.8 * u) - 1, lambda v, x: _softplus_inv(x + 1) / 1.8,
            "x1 = softplus(1.8*u1) - 1", noise="uniform"),
        _eq("x2", ("x1",), lambda v, u: 1.5 * _layer(v["x1"], 0.0) + 0.25 * u,
            lambda v, x: 4 * (x - 1.5 * _layer(v["x1"], 0.0)),
            "x2 = 1.5*(softplus(x1 + 1) + softplus(0.5) - 3) + 0.25*u2", noise="uniform"),
    ]  # fmt: skip
    for child, parent in (("x3", "x1"), ("x4", "x2"), ("x5", "x3"), ("x6", "x4"), ("x7", "x5")):
        eqs.append(_scaled_layer_equation(child, parent))
    eqs += [
        _eq("x8", ("x6",), lambda v, u: 0.3 * u + _softplus(v["x6"] + 1) - 1,
            lambda v, x: (x - _softplus(v["x6"] + 1) + 1) / 0.3,
            "x8 = 0.3*u8 + softplus(x6 + 1) - 1", noise="uniform"),
        _eq("x9", ("x7", "x8"),
            lambda v, u: _laplace_icdf(_lbd_x9_loc(v), _lbd_x9_scale(v), u),
            lambda v, x: _laplace_cdf(_lbd_x9_loc(v), _lbd_x9_scale(v), x),
            "x9 = LaplaceICDF(u9; loc = 2 - softplus((1.3*x7 + x8)/3 + 1), "
            "scale = 0.3 + 0.3*softplus(x8 - x7))", additive=False, noise="uniform"),
    ]  # fmt: skip
    return SimulatedSCM(
        "large-backdoor-nonadditive",
        eqs,
        "large backdoor with non-additive noise (deepcausal; graph of Javaloy et al. 2023)",
    )
