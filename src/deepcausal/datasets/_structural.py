"""One structural equation of a simulator, ``x = f(pa, u)``: its function, its noise law and, for a
continuous node, its exact inverse."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from deepcausal.data import Variable
from deepcausal.errors import GraphError

__all__ = ["Arrays", "NoiseKind", "StructuralEquation"]

NoiseKind = Literal["normal", "uniform", "gumbel"]
_NOISE_KINDS: tuple[str, ...] = get_args(NoiseKind)
Arrays = Mapping[str, np.ndarray]

# Uniform noise is kept away from 0 and 1 so that inverse CDFs (Laplace, Gumbel) stay finite.
_UNIFORM_EPS = 1e-9


@dataclass(frozen=True)
class StructuralEquation:
    """One structural equation ``x = forward(pa, u)`` with its noise and, if continuous, its inverse.

    Args:
        variable: The node (its name, kind and categories).
        parents: Parent node names. ``forward`` and ``inverse`` receive a mapping holding (at least)
            these, as 1-D arrays: float64 values for continuous parents, int64 codes (positions in
            ``Variable.categories``) for binary and categorical ones.
        forward: ``forward(parents, u) -> x``: float64 ``(n,)`` for a continuous node, int64 codes
            ``(n,)`` for a discrete one. ``u`` is ``(n,)``, or ``(n, noise_dim)`` when
            ``noise_dim > 1``.
        inverse: ``inverse(parents, x) -> u``, the exact noise for a continuous node (required
            there: the equation must be strictly monotone in ``u``); ``None`` for discrete nodes.
        noise: The noise law: standard ``"normal"``, ``"uniform"`` on (0, 1), or standard
            ``"gumbel"``.
        noise_dim: Number of noise entries per row (e.g. one Gumbel per category).
        additive: Whether the equation is ``x = f(pa) + g(u)`` (documentation, and a flag the
            benchmarks use to group SCMs).
        formula: A human-readable form of the equation, e.g. ``"x2 = 10*x1 - u2"``.
    """

    variable: Variable
    parents: tuple[str, ...]
    forward: Callable[[Arrays, np.ndarray], np.ndarray]
    inverse: Callable[[Arrays, np.ndarray], np.ndarray] | None = None
    noise: NoiseKind = "normal"
    noise_dim: int = 1
    additive: bool = True
    formula: str = ""

    def __post_init__(self) -> None:
        where = f"equation of {self.variable.name!r}"
        object.__setattr__(self, "parents", tuple(self.parents))
        if self.variable.shape != ():
            raise GraphError(f"{where}: simulated SCMs have scalar nodes only")
        if self.noise not in _NOISE_KINDS:
            raise ValueError(f"{where}: unknown noise {self.noise!r}; use one of {_NOISE_KINDS}")
        if self.noise_dim < 1:
            raise ValueError(f"{where}: noise_dim must be at least 1")
        if self.variable.kind == "continuous" and (self.inverse is None or self.noise_dim != 1):
            raise ValueError(
                f"{where}: a continuous node needs a scalar noise and an exact inverse, so that "
                "counterfactuals are exact"
            )

    @property
    def name(self) -> str:
        """The node's name."""
        return self.variable.name

    @property
    def noise_columns(self) -> tuple[str, ...]:
        """Columns of this node's noise in a noise DataFrame: ``(name,)`` or ``name[j]``."""
        if self.noise_dim == 1:
            return (self.name,)
        return tuple(f"{self.name}[{j}]" for j in range(self.noise_dim))

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` noise values: shape ``(n,)``, or ``(n, noise_dim)``."""
        size: tuple[int, ...] = (n,) if self.noise_dim == 1 else (n, self.noise_dim)
        if self.noise == "normal":
            return rng.standard_normal(size)
        u = np.clip(rng.random(size), _UNIFORM_EPS, 1.0 - _UNIFORM_EPS)
        if self.noise == "uniform":
            return u
        return -np.log(-np.log(u))  # standard Gumbel by inverse CDF
