"""Heteroscedastic location-scale mechanisms ``x = mu(pa) + sigma(pa) * u``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _apply_parent_net,
    _check_activation,
    _check_float,
    _check_hidden,
    _normal_log_prob,
    _parent_net,
)
from deepcausal.mechanisms._registry import register_mechanism

__all__ = ["LocationScaleMechanism"]


@register_mechanism
class LocationScaleMechanism(Mechanism):
    r"""A heteroscedastic Gaussian mechanism ``x = mu(pa) + sigma(pa) * u``, ``u ~ N(0, I)``.

    One MLP of the parents outputs ``mu`` and the pre-activation of ``sigma = softplus(.) +
    min_scale`` (learned constants for a root node), so

    .. math:: \log p(x \mid pa) = \sum_i \log \mathcal{N}(x_i; \mu_i(pa), \sigma_i(pa)^2).

    Abduction is exact: ``u = (x - mu(pa)) / sigma(pa)``. This is the location-scale noise model
    (Immer et al., ICML 2023, "On the Identifiability and Estimation of Causal Location-Scale Noise
    Models"), also the simplest conditional mechanism of Deep SCMs (Pawlowski et al., 2020).

    Args:
        dim: event size of the node.
        parent_dim: width of the parent features (0 for a root).
        hidden: hidden widths of the MLP.
        activation: activation of the MLP.
        min_scale: floor on ``sigma``, which keeps the likelihood bounded.

    Examples:
        >>> m = LocationScaleMechanism(dim=2, parent_dim=1, hidden=(8,))
        >>> pa, x = torch.randn(3, 1), torch.randn(3, 2)
        >>> torch.allclose(m.sample(pa, m.abduct(x, pa)), x, atol=1e-6)
        True
    """

    name = "location_scale"
    abduction = "exact"
    kinds = frozenset({"continuous"})

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        hidden: Sequence[int] = (64, 64),
        activation: str = "elu",
        min_scale: float = 1e-3,
    ) -> None:
        super().__init__(dim, parent_dim)
        self._hyper = {
            "hidden": _check_hidden("hidden", hidden),
            "activation": _check_activation("activation", activation),
            "min_scale": _check_float("min_scale", min_scale),
        }
        self.net, self.const = _parent_net(
            self.parent_dim, 2 * self.dim, self._hyper["hidden"], self._hyper["activation"]
        )
        if self.const is not None:
            # softplus(0.5413) = 1: a root starts as a standard normal
            with torch.no_grad():
                self.const[self.dim :] = math.log(math.expm1(1.0))

    def loc_scale(self, parents: Tensor) -> tuple[Tensor, Tensor]:
        """``mu(pa)`` and ``sigma(pa)``, each ``(n, dim)``."""
        out = _apply_parent_net(self.net, self.const, self._parents(parents))
        mu, raw = out.split(self.dim, dim=-1)
        return mu, F.softplus(raw) + self._hyper["min_scale"]

    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        x = self._values(x)
        mu, sigma = self.loc_scale(self._parents(parents, x.shape[0]))
        return _normal_log_prob(x, mu, sigma)

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, u = self._sample_inputs(parents, noise, generator)
        mu, sigma = self.loc_scale(parents)
        return self._finite(mu + sigma * u, "sample")

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x = self._values(x)
        mu, sigma = self.loc_scale(self._parents(parents, x.shape[0]))
        return self._finite((x - mu) / sigma, "abduct")
