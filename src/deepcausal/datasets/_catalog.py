"""The catalogue of named simulated SCMs (scalar nodes, known equations, exact counterfactuals).

Sources:

* **CNF** — Javaloy, Sánchez-Martín & Valera, "Causal normalizing flows: from theory to practice",
  NeurIPS 2023; equations as in their repository (psanch21/causal-flows,
  ``causal_nf/sem_equations``): chain, triangle, Simpson, large-backdoor, collider (linear).
* **DCM** — Chao, Blöbaum, Patel & Kasiviswanathan, "Interventional and counterfactual inference
  with diffusion models" (2023); equations as in their repository
  (patrickrchao/DiffusionBasedCausalModels, ``experiments/structural_equations.py``): the
  "nonlinear" diamond and Y SCMs, including their variance-normalising constants.
* **own** — SCMs written here where neither paper gives one we can use: a non-linear collider (CNF
  leaves it unimplemented), the non-additive chain and triangle (DCM's "nonadditive" SCMs use
  ``|u|`` and ``(u + x)^2``, which are not invertible in ``u``, so their counterfactuals are not
  unique; ours keep the spirit — heteroscedastic noise and noise inside a non-linearity — while
  staying strictly increasing in ``u``), and the mixed-type SCM.

Unless stated otherwise every noise is an independent standard normal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

from deepcausal.data import Variable
from deepcausal.datasets._catalog_nonadditive import (
    chain_heteroscedastic,
    large_backdoor_nonadditive,
)
from deepcausal.datasets._equations import (
    _eq,
    _laplace_cdf,
    _laplace_icdf,
    _layer,
    _layer_inv,
    _root,
    _softplus,
    _softplus_inv,
)
from deepcausal.datasets._scm import SimulatedSCM
from deepcausal.datasets._structural import Arrays, StructuralEquation

__all__ = ["SCM_BUILDERS", "available_scms", "load_scm"]


# --------------------------------------------------------------------------------------------
# chain: x1 -> x2 -> x3
# --------------------------------------------------------------------------------------------


def chain_linear() -> SimulatedSCM:
    """Linear chain (CNF): ``x1 = u1; x2 = 10 x1 - u2; x3 = 0.25 x2 + 2 u3``."""
    return SimulatedSCM(
        "chain-linear",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: 10 * v["x1"] - u, lambda v, x: 10 * v["x1"] - x,
                "x2 = 10*x1 - u2"),
            _eq("x3", ("x2",), lambda v, u: 0.25 * v["x2"] + 2 * u,
                lambda v, x: (x - 0.25 * v["x2"]) / 2, "x3 = 0.25*x2 + 2*u3"),
        ],
        "linear chain, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


def chain_nonlinear() -> SimulatedSCM:
    """Non-linear chain (CNF): ``x2 = exp(x1/2) + u2/4; x3 = (x2 - 5)^3/15 + u3``."""
    return SimulatedSCM(
        "chain-nonlinear",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: np.exp(v["x1"] / 2) + u / 4,
                lambda v, x: 4 * (x - np.exp(v["x1"] / 2)), "x2 = exp(x1/2) + u2/4"),
            _eq("x3", ("x2",), lambda v, u: (v["x2"] - 5) ** 3 / 15 + u,
                lambda v, x: x - (v["x2"] - 5) ** 3 / 15, "x3 = (x2 - 5)^3/15 + u3"),
        ],
        "non-linear chain, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


def _chain_na_scale(x1: np.ndarray) -> np.ndarray:
    return 0.25 + 0.5 * expit(2 * x1)


def chain_nonadditive() -> SimulatedSCM:
    """Non-additive chain (own, after DCM's non-additive chain; invertible in the noise).

    ``x2 = exp(x1/2) + (0.25 + 0.5 sigmoid(2 x1)) u2`` (heteroscedastic);
    ``x3 = sinh((x2 - 1.5 + u3) / 2)`` (the noise enters inside the non-linearity).
    """
    return SimulatedSCM(
        "chain-nonadditive",
        [
            _root("x1"),
            _eq("x2", ("x1",),
                lambda v, u: np.exp(v["x1"] / 2) + _chain_na_scale(v["x1"]) * u,
                lambda v, x: (x - np.exp(v["x1"] / 2)) / _chain_na_scale(v["x1"]),
                "x2 = exp(x1/2) + (0.25 + 0.5*sigmoid(2*x1)) * u2", additive=False),
            _eq("x3", ("x2",), lambda v, u: np.sinh((v["x2"] - 1.5 + u) / 2),
                lambda v, x: 2 * np.arcsinh(x) - v["x2"] + 1.5,
                "x3 = sinh((x2 - 1.5 + u3)/2)", additive=False),
        ],
        "non-additive chain (deepcausal), in the spirit of Chao et al. 2023 (DCM)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# triangle: x1 -> x2 -> x3, x1 -> x3
# --------------------------------------------------------------------------------------------


def triangle_linear() -> SimulatedSCM:
    """Linear triangle (CNF): ``x1 = u1 + 1; x2 = 10 x1 - u2; x3 = 0.5 x2 + x1 + u3``."""
    return SimulatedSCM(
        "triangle-linear",
        [
            _eq("x1", (), lambda v, u: u + 1.0, lambda v, x: x - 1.0, "x1 = u1 + 1"),
            _eq("x2", ("x1",), lambda v, u: 10 * v["x1"] - u, lambda v, x: 10 * v["x1"] - x,
                "x2 = 10*x1 - u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: 0.5 * v["x2"] + v["x1"] + u,
                lambda v, x: x - 0.5 * v["x2"] - v["x1"], "x3 = 0.5*x2 + x1 + u3"),
        ],
        "linear triangle, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


def _tri_x3_mean(v: Arrays) -> np.ndarray:
    # 20 / (1 + exp(-x2^2 + x1)) without overflow
    return 20 * expit(v["x2"] ** 2 - v["x1"])


def triangle_nonlinear() -> SimulatedSCM:
    """Non-linear triangle (CNF): ``x2 = 2 x1^2 + u2; x3 = 20 / (1 + exp(x1 - x2^2)) + u3``."""
    return SimulatedSCM(
        "triangle-nonlinear",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: 2 * v["x1"] ** 2 + u,
                lambda v, x: x - 2 * v["x1"] ** 2, "x2 = 2*x1^2 + u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: _tri_x3_mean(v) + u,
                lambda v, x: x - _tri_x3_mean(v), "x3 = 20/(1 + exp(x1 - x2^2)) + u3"),
        ],
        "non-linear triangle, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


def _tri_na_scale(x1: np.ndarray) -> np.ndarray:
    return 0.2 + _softplus(x1)


def triangle_nonadditive() -> SimulatedSCM:
    """Non-additive triangle (own, after DCM's non-additive triangle; invertible in the noise).

    ``x2 = x1^2/2 + (0.2 + softplus(x1)) u2`` (heteroscedastic);
    ``x3 = softplus(x2 - x1 + u3)`` (the noise enters inside the non-linearity).
    """
    return SimulatedSCM(
        "triangle-nonadditive",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: v["x1"] ** 2 / 2 + _tri_na_scale(v["x1"]) * u,
                lambda v, x: (x - v["x1"] ** 2 / 2) / _tri_na_scale(v["x1"]),
                "x2 = x1^2/2 + (0.2 + softplus(x1)) * u2", additive=False),
            _eq("x3", ("x1", "x2"), lambda v, u: _softplus(v["x2"] - v["x1"] + u),
                lambda v, x: _softplus_inv(x) - v["x2"] + v["x1"],
                "x3 = softplus(x2 - x1 + u3)", additive=False),
        ],
        "non-additive triangle (deepcausal), in the spirit of Chao et al. 2023 (DCM)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Simpson: x1 -> x2, {x1, x2} -> x3 -> x4
# --------------------------------------------------------------------------------------------


def _simpson_x3_mean(v: Arrays) -> np.ndarray:
    return np.tanh(2 * v["x2"]) + 1.5 * v["x1"] - 1


def simpson_nonlinear() -> SimulatedSCM:
    """Simpson's-paradox SCM (CNF, "simpson non-linear").

    ``x2 = softplus(1 - x1) + sqrt(3/20) u2; x3 = tanh(2 x2) + 1.5 x1 - 1 + tanh(u3);
    x4 = (x3 - 4)/5 + 3 + u4/sqrt(10)``. ``x3``'s noise passes through ``tanh`` (bounded,
    non-Gaussian) but enters additively.
    """
    s2, s4 = np.sqrt(3 / 20), 1 / np.sqrt(10)
    return SimulatedSCM(
        "simpson-nonlinear",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: _softplus(1 - v["x1"]) + s2 * u,
                lambda v, x: (x - _softplus(1 - v["x1"])) / s2,
                "x2 = softplus(1 - x1) + sqrt(3/20)*u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: _simpson_x3_mean(v) + np.tanh(u),
                lambda v, x: np.arctanh(x - _simpson_x3_mean(v)),
                "x3 = tanh(2*x2) + 1.5*x1 - 1 + tanh(u3)"),
            _eq("x4", ("x3",), lambda v, u: (v["x3"] - 4) / 5 + 3 + s4 * u,
                lambda v, x: (x - (v["x3"] - 4) / 5 - 3) / s4,
                "x4 = (x3 - 4)/5 + 3 + u4/sqrt(10)"),
        ],
        "Simpson's paradox, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# diamond: x1 -> x2, {x1, x2} -> x3, {x2, x3} -> x4
# --------------------------------------------------------------------------------------------


def _dia_x3_mean(v: Arrays) -> np.ndarray:
    return v["x2"] ** 2 - 2 * expit(v["x1"])


def _dia_x4_mean(v: Arrays) -> np.ndarray:
    return v["x3"] / (np.abs(v["x2"] + v["x3"]) + 0.5)


def diamond_nonlinear() -> SimulatedSCM:
    """Non-linear diamond (DCM "diamond nonlinear", a rescaled form of CNF's diamond).

    ``x2 = (x1^2 + u2/2)/1.5; x3 = (x2^2 - 2 sigmoid(x1) + u3/2)/1.27;
    x4 = (x3/(|x2 + x3| + 0.5) + u4/5)/0.54``. (CNF's ``x4`` divides by ``|x2 + 2| + x3 + 0.5``,
    which can reach zero; DCM's denominator is at least 0.5.)
    """
    return SimulatedSCM(
        "diamond-nonlinear",
        [
            _root("x1"),
            _eq("x2", ("x1",), lambda v, u: (v["x1"] ** 2 + u / 2) / 1.5,
                lambda v, x: 2 * (1.5 * x - v["x1"] ** 2), "x2 = (x1^2 + u2/2)/1.5"),
            _eq("x3", ("x1", "x2"), lambda v, u: (_dia_x3_mean(v) + u / 2) / 1.27,
                lambda v, x: 2 * (1.27 * x - _dia_x3_mean(v)),
                "x3 = (x2^2 - 2*sigmoid(x1) + u3/2)/1.27"),
            _eq("x4", ("x2", "x3"), lambda v, u: (_dia_x4_mean(v) + u / 5) / 0.54,
                lambda v, x: 5 * (0.54 * x - _dia_x4_mean(v)),
                "x4 = (x3/(|x2 + x3| + 0.5) + u4/5)/0.54"),
        ],
        "non-linear diamond, Chao et al. 2023 (DCM)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Y: {x1, x2} -> x3 -> x4
# --------------------------------------------------------------------------------------------


def _y_x3_mean(v: Arrays) -> np.ndarray:
    return -(v["x2"] ** 2) + 4 * expit(v["x1"] + v["x2"])


def _y_x4_mean(v: Arrays) -> np.ndarray:
    # 20 / (1 + exp(x3^2/2 - x3)) without overflow
    return 20 * expit(v["x3"] - v["x3"] ** 2 / 2)


def y_nonlinear() -> SimulatedSCM:
    """Non-linear Y graph (DCM "y nonlinear"; CNF's "fork non-linear" rescaled).

    ``x1 = u1; x2 = u2; x3 = (-x2^2 + 4 sigmoid(x1 + x2) + u3/2)/1.83;
    x4 = (20/(1 + exp(x3^2/2 - x3)) + u4)/3.26``.
    """
    return SimulatedSCM(
        "y-nonlinear",
        [
            _root("x1"),
            _root("x2"),
            _eq("x3", ("x1", "x2"), lambda v, u: (_y_x3_mean(v) + u / 2) / 1.83,
                lambda v, x: 2 * (1.83 * x - _y_x3_mean(v)),
                "x3 = (-x2^2 + 4*sigmoid(x1 + x2) + u3/2)/1.83"),
            _eq("x4", ("x3",), lambda v, u: (_y_x4_mean(v) + u) / 3.26,
                lambda v, x: 3.26 * x - _y_x4_mean(v),
                "x4 = (20/(1 + exp(x3^2/2 - x3)) + u4)/3.26"),
        ],
        "non-linear Y (fork) graph, Chao et al. 2023 (DCM) / Javaloy et al. 2023",
    )  # fmt: skip


def fork_linear() -> SimulatedSCM:
    """Linear fork (CNF "fork linear"): ``x1 = u1; x2 = 2 - u2; x3 = 0.25 x2 - 1.5 x1 + 0.5 u3;
    x4 = x3 + 0.25 u4``. (CNF's "fork non-linear" is ``y-nonlinear`` up to DCM's rescaling.)"""
    return SimulatedSCM(
        "fork-linear",
        [
            _root("x1"),
            _eq("x2", (), lambda v, u: 2.0 - u, lambda v, x: 2.0 - x, "x2 = 2 - u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: 0.25 * v["x2"] - 1.5 * v["x1"] + 0.5 * u,
                lambda v, x: 2 * (x - 0.25 * v["x2"] + 1.5 * v["x1"]),
                "x3 = 0.25*x2 - 1.5*x1 + 0.5*u3"),
            _eq("x4", ("x3",), lambda v, u: v["x3"] + 0.25 * u,
                lambda v, x: 4 * (x - v["x3"]), "x4 = x3 + 0.25*u4"),
        ],
        "linear fork, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# collider: {x1, x2} -> x3
# --------------------------------------------------------------------------------------------


def collider_linear() -> SimulatedSCM:
    """Linear collider (CNF): ``x1 = u1; x2 = 2 - u2; x3 = 0.25 x2 - 0.5 x1 + 0.5 u3``."""
    return SimulatedSCM(
        "collider-linear",
        [
            _root("x1"),
            _eq("x2", (), lambda v, u: 2.0 - u, lambda v, x: 2.0 - x, "x2 = 2 - u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: 0.25 * v["x2"] - 0.5 * v["x1"] + 0.5 * u,
                lambda v, x: 2 * (x - 0.25 * v["x2"] + 0.5 * v["x1"]),
                "x3 = 0.25*x2 - 0.5*x1 + 0.5*u3"),
        ],
        "linear collider, Javaloy et al. 2023 (causal normalizing flows)",
    )  # fmt: skip


def _col_x3_mean(v: Arrays) -> np.ndarray:
    return np.tanh(2 * v["x1"]) + 0.25 * (v["x2"] - 2) ** 2 - 0.25


def collider_nonlinear() -> SimulatedSCM:
    """Non-linear collider (own; CNF defines only the linear one, with the same roots).

    ``x1 = u1; x2 = 2 - u2; x3 = tanh(2 x1) + 0.25 (x2 - 2)^2 - 0.25 + 0.5 u3``.
    """
    return SimulatedSCM(
        "collider-nonlinear",
        [
            _root("x1"),
            _eq("x2", (), lambda v, u: 2.0 - u, lambda v, x: 2.0 - x, "x2 = 2 - u2"),
            _eq("x3", ("x1", "x2"), lambda v, u: _col_x3_mean(v) + 0.5 * u,
                lambda v, x: 2 * (x - _col_x3_mean(v)),
                "x3 = tanh(2*x1) + 0.25*(x2 - 2)^2 - 0.25 + 0.5*u3"),
        ],
        "non-linear collider (deepcausal; roots as in Javaloy et al. 2023)",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# large backdoor (9 nodes)
# --------------------------------------------------------------------------------------------


def _layer_equation(child: str, parent: str) -> StructuralEquation:
    def forward(v: Arrays, u: np.ndarray) -> np.ndarray:
        return _layer(v[parent], u)

    def inverse(v: Arrays, x: np.ndarray) -> np.ndarray:
        return _layer_inv(v[parent], x)

    return _eq(child, (parent,), forward, inverse, f"{child} = L({parent}, u{child[1:]})",
               noise="uniform")  # fmt: skip


def _lbd_x9_loc(v: Arrays) -> np.ndarray:
    return 2 - _softplus((1.3 * v["x7"] + v["x8"]) / 3 + 1)


def large_backdoor_nonlinear() -> SimulatedSCM:
    """Large backdoor, 9 nodes (CNF "large-backdoor non-linear"); every noise is Uniform(0, 1).

    With ``L(a, b) = softplus(a + 1) + softplus(0.5 + b) - 3``: ``x1 = softplus(1.8 u1) - 1;
    x2 = 1.5 L(x1, 0) + 0.25 u2; x3 = L(x1, u3); x4 = L(x2, u4); x5 = L(x3, u5); x6 = L(x4, u6);
    x7 = L(x5, u7); x8 = 0.3 u8 + softplus(x6 + 1) - 1; x9 = Laplace inverse CDF at u9 with
    location ``2 - softplus((1.3 x7 + x8)/3 + 1)`` and scale 0.6``. The uniform noises follow the
    repository's base distribution for 9-node SCMs. ``x3 .. x7`` put the noise through a softplus
    and ``x9`` through a Laplace quantile: non-Gaussian noise, still additive after transforming
    ``u``.
    """
    eqs = [
        _eq("x1", (), lambda v, u: _softplus(1.8 * u) - 1, lambda v, x: _softplus_inv(x + 1) / 1.8,
            "x1 = softplus(1.8*u1) - 1", noise="uniform"),
        _eq("x2", ("x1",), lambda v, u: 1.5 * _layer(v["x1"], 0.0) + 0.25 * u,
            lambda v, x: 4 * (x - 1.5 * _layer(v["x1"], 0.0)),
            "x2 = 1.5*L(x1, 0) + 0.25*u2", noise="uniform"),
    ]  # fmt: skip
    for child, parent in (("x3", "x1"), ("x4", "x2"), ("x5", "x3"), ("x6", "x4"), ("x7", "x5")):
        eqs.append(_layer_equation(child, parent))
    eqs += [
        _eq("x8", ("x6",), lambda v, u: 0.3 * u + _softplus(v["x6"] + 1) - 1,
            lambda v, x: (x - _softplus(v["x6"] + 1) + 1) / 0.3,
            "x8 = 0.3*u8 + softplus(x6 + 1) - 1", noise="uniform"),
        _eq("x9", ("x7", "x8"), lambda v, u: _laplace_icdf(_lbd_x9_loc(v), 0.6, u),
            lambda v, x: _laplace_cdf(_lbd_x9_loc(v), 0.6, x),
            "x9 = LaplaceICDF(u9; loc = 2 - softplus((1.3*x7 + x8)/3 + 1), scale = 0.6)",
            noise="uniform"),
    ]  # fmt: skip
    return SimulatedSCM(
        "large-backdoor-nonlinear",
        eqs,
        "large backdoor, Javaloy et al. 2023 (causal normalizing flows)",
    )


# --------------------------------------------------------------------------------------------
# mixed types: z (continuous) -> c (categorical) -> t (binary) -> y (continuous)
# --------------------------------------------------------------------------------------------

_MIX_CATEGORIES = ("blue", "green", "red")
_MIX_C_SLOPE = np.array([-1.0, 0.0, 1.0])
_MIX_C_BIAS = np.array([0.0, 0.5, 0.0])
_MIX_T_BIAS = np.array([-0.5, 0.0, 0.5])
_MIX_Y_BIAS = np.array([0.0, 1.0, -1.0])


def _mix_c(v: Arrays, g: np.ndarray) -> np.ndarray:
    logits = v["z"][:, None] * _MIX_C_SLOPE + _MIX_C_BIAS
    return np.argmax(logits + g, axis=1).astype(np.int64)


def _mix_t(v: Arrays, u: np.ndarray) -> np.ndarray:
    propensity = expit(1.5 * v["z"] + _MIX_T_BIAS[v["c"]])
    return (u < propensity).astype(np.int64)


def _mix_y_mean(v: Arrays) -> np.ndarray:
    t = v["t"].astype(np.float64)
    return 2 * t + v["z"] + 0.5 * t * v["z"] + _MIX_Y_BIAS[v["c"]]


def _mix_y_scale(v: Arrays) -> np.ndarray:
    return 0.5 + 0.5 * expit(v["z"]) + 0.5 * v["t"]


def mixed() -> SimulatedSCM:
    """Mixed-type SCM (own): a confounded binary treatment with a categorical covariate.

    Graph ``z -> c, z -> t, c -> t, z -> y, c -> y, t -> y``:

    * ``z = u_z`` (continuous);
    * ``c = argmax_k (a_k z + b_k + g_k)`` over categories (blue, green, red), ``a = (-1, 0, 1)``,
      ``b = (0, 0.5, 0)``, ``g`` three standard Gumbels (the Gumbel-max mechanism);
    * ``t = 1[u_t < sigmoid(1.5 z + d_c)]``, ``d = (-0.5, 0, 0.5)``, ``u_t ~ Uniform(0, 1)``;
    * ``y = 2 t + z + 0.5 t z + e_c + (0.5 + 0.5 sigmoid(z) + 0.5 t) u_y``, ``e = (0, 1, -1)``
      (heteroscedastic: non-additive noise).

    The true ATE of ``t`` on ``y`` is 2 (``E[z] = E[u_y] = 0``); the individual effect
    ``2 + 0.5 z + 0.5 u_y`` depends on the noise.
    """
    eqs = [
        _eq("z", (), lambda v, u: u, lambda v, x: x, "z = u_z"),
        StructuralEquation(
            Variable("c", "categorical", _MIX_CATEGORIES),
            ("z",),
            _mix_c,
            noise="gumbel",
            noise_dim=3,
            additive=False,
            formula="c = argmax_k(a_k*z + b_k + g_k), a = (-1, 0, 1), b = (0, 0.5, 0)",
        ),
        StructuralEquation(
            Variable("t", "binary", (0, 1)),
            ("z", "c"),
            _mix_t,
            noise="uniform",
            additive=False,
            formula="t = 1[u_t < sigmoid(1.5*z + d_c)], d = (-0.5, 0, 0.5)",
        ),
        _eq(
            "y",
            ("z", "c", "t"),
            lambda v, u: _mix_y_mean(v) + _mix_y_scale(v) * u,
            lambda v, x: (x - _mix_y_mean(v)) / _mix_y_scale(v),
            "y = 2*t + z + 0.5*t*z + e_c + (0.5 + 0.5*sigmoid(z) + 0.5*t) * u_y, e = (0, 1, -1)",
            additive=False,
        ),
    ]
    return SimulatedSCM("mixed", eqs, "mixed types with a confounded binary treatment (deepcausal)")


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------

SCM_BUILDERS: dict[str, Callable[[], SimulatedSCM]] = {
    "chain-linear": chain_linear,
    "chain-nonlinear": chain_nonlinear,
    "chain-nonadditive": chain_nonadditive,
    "triangle-linear": triangle_linear,
    "triangle-nonlinear": triangle_nonlinear,
    "triangle-nonadditive": triangle_nonadditive,
    "simpson-nonlinear": simpson_nonlinear,
    "diamond-nonlinear": diamond_nonlinear,
    "y-nonlinear": y_nonlinear,
    "fork-linear": fork_linear,
    "collider-linear": collider_linear,
    "collider-nonlinear": collider_nonlinear,
    "large-backdoor-nonlinear": large_backdoor_nonlinear,
    "chain-heteroscedastic": chain_heteroscedastic,
    "large-backdoor-nonadditive": large_backdoor_nonadditive,
    "mixed": mixed,
}


def available_scms() -> list[str]:
    """Names accepted by :func:`load_scm`.

    >>> "triangle-nonlinear" in available_scms()
    True
    """
    return list(SCM_BUILDERS)


def load_scm(name: str) -> SimulatedSCM:
    """Build the named simulated SCM (see :func:`available_scms`).

    Raises:
        ValueError: an unknown name (the message lists the available ones).

    Examples:
        >>> scm = load_scm("simpson-nonlinear")
        >>> scm.graph.parents("x3")
        ('x1', 'x2')
    """
    try:
        builder = SCM_BUILDERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown simulated SCM {name!r}; available: {', '.join(SCM_BUILDERS)}"
        ) from None
    return builder()
