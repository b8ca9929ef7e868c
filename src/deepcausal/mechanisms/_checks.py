"""Hyper-parameter checks and small network and density helpers shared by the mechanism families."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from deepcausal.nn import MLP

_LOG_2PI = math.log(2 * math.pi)


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_float(name: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def _check_hidden(name: str, value: Any) -> list[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of layer widths, got {value!r}")
    return [_check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value)]


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return str(value)


def _check_activation(name: str, value: Any) -> str:
    try:
        MLP(1, 1, hidden=(), activation=value)  # the MLP owns the list of activations
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return str(value)


def _parent_net(
    parent_dim: int, out: int, hidden: Sequence[int], activation: str
) -> tuple[MLP | None, nn.Parameter | None]:
    """An MLP of the parents, or a learned constant (zero-initialised) for a root node."""
    if parent_dim == 0:
        return None, nn.Parameter(torch.zeros(out))
    return MLP(parent_dim, out, hidden=tuple(hidden), activation=activation), None  # type: ignore[arg-type]


def _apply_parent_net(net: MLP | None, const: nn.Parameter | None, parents: Tensor) -> Tensor:
    if net is not None:
        out: Tensor = net(parents)
        return out
    assert const is not None
    return const.expand(parents.shape[0], -1)


def _normal_log_prob(x: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
    """Log-density of independent normals ``N(mu, sigma^2)`` at ``x``, summed over the last axis."""
    z = (x - mu) / sigma
    return (-0.5 * z.square() - sigma.log() - 0.5 * _LOG_2PI).sum(-1)
