"""Building blocks of the simulated SCMs: smooth invertible functions and equation shorthands."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepcausal.data import Variable
from deepcausal.datasets._structural import Arrays, StructuralEquation


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _softplus_inv(y: np.ndarray) -> np.ndarray:
    # log(exp(y) - 1) written to stay accurate for large and small y > 0
    return y + np.log(-np.expm1(-y))


def _c(name: str) -> Variable:
    return Variable(name, "continuous")


def _eq(
    name: str,
    parents: tuple[str, ...],
    forward: Callable[[Arrays, np.ndarray], np.ndarray],
    inverse: Callable[[Arrays, np.ndarray], np.ndarray],
    formula: str,
    *,
    additive: bool = True,
    noise: str = "normal",
) -> StructuralEquation:
    return StructuralEquation(
        _c(name),
        parents,
        forward,
        inverse,
        noise=noise,  # type: ignore[arg-type]
        additive=additive,
        formula=formula,
    )


def _root(name: str) -> StructuralEquation:
    return _eq(name, (), lambda v, u: u, lambda v, x: x, f"{name} = u{name[1:]}")


def _layer(x: np.ndarray, u: np.ndarray | float) -> np.ndarray:
    return _softplus(x + 1) + _softplus(0.5 + np.asarray(u)) - 3.0


def _layer_inv(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    return _softplus_inv(z + 3 - _softplus(x + 1)) - 0.5


def _laplace_icdf(loc: np.ndarray, scale: float | np.ndarray, u: np.ndarray) -> np.ndarray:
    # Written per half so that u near 0 or 1 keeps full relative precision.
    lower = loc + scale * np.log(2 * u)
    upper = loc - scale * np.log(2 * (1 - u))
    return np.where(u < 0.5, lower, upper)


def _laplace_cdf(loc: np.ndarray, scale: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    z = (x - loc) / scale
    return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1 - 0.5 * np.exp(-np.maximum(z, 0)))
