"""Conditional normalising-flow mechanisms: exact abduction for continuous nodes of any size."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _check_choice,
    _check_float,
    _check_hidden,
    _check_int,
)
from deepcausal.mechanisms._flows import DEFAULT_BOUND, FlowTransform, build_flow
from deepcausal.mechanisms._location import FittedMean, residual, restore
from deepcausal.mechanisms._registry import register_mechanism

__all__ = ["FlowMechanism"]


@register_mechanism
class FlowMechanism(Mechanism):
    r"""A conditional normalising flow: ``x = T_{pa}^{-1}(u)`` with ``u ~ N(0, I)``.

    The flow ``T_{pa}`` maps a node's value to standard normal noise given its parents, so

    .. math:: \log p(x \mid pa) = \log \mathcal{N}(T_{pa}(x); 0, I)
              + \log \left| \det \partial T_{pa}(x) / \partial x \right|,

    the structural equation is the inverse flow applied to the noise, and abduction is exact:
    ``u = T_{pa}(x)``. This is the invertible mechanism of Deep Structural Causal Models (Pawlowski,
    Castro & Glocker, NeurIPS 2020, arXiv:2006.06485); with autoregressive transforms it is also the
    building block of Causal Normalizing Flows (Javaloy, Sánchez-Martín & Valera, NeurIPS 2023,
    arXiv:2306.05415). Flows are built with zuko: neural spline flows (Durkan et al., 2019) by
    default, masked affine autoregressive flows (Papamakarios et al., 2017) with
    ``transform="maf"``. A root node (``parent_dim=0``) has an unconditional flow.

    Args:
        dim: event size of the node.
        parent_dim: width of the parent features (0 for a root).
        transform: ``"nsf"`` (rational-quadratic splines) or ``"maf"`` (affine).
        transforms: number of stacked autoregressive transforms (spline layers for ``"nsf"``,
            after the conditional affine layer). One spline layer on top of the affine one is
            enough for a scalar node (any monotone map of the noise, to the splines' resolution)
            and costs about half as much per step as three; use more for vector-valued nodes.
        hidden_features: hidden widths of each transform's conditioner network.
        bins: spline bins (``"nsf"`` only).
        bound: splines act on ``[-bound, bound]`` and are the identity outside; suited to
            standardised data. Values far outside stay finite rather than turning into NaN.
        mean: ``"none"``, or ``"regression"``: the flow models the residual ``x - f(pa)`` of a
            regression fitted first (see :mod:`deepcausal.mechanisms._location`), and
            ``x = f(pa) + T_pa^{-1}(u)``.

    Examples:
        >>> m = FlowMechanism(dim=2, parent_dim=3, transforms=2, hidden_features=(16,))
        >>> pa, u = torch.randn(5, 3), m.noise(5)
        >>> x = m.sample(pa, u)
        >>> x.shape, m.log_prob(x, pa).shape
        (torch.Size([5, 2]), torch.Size([5]))
        >>> torch.allclose(m.abduct(x, pa), u, atol=1e-4)
        True
    """

    name = "flow"
    abduction = "exact"
    kinds = frozenset({"continuous"})

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        transform: FlowTransform = "nsf",
        transforms: int = 1,
        hidden_features: Sequence[int] = (64, 64),
        bins: int = 8,
        bound: float = DEFAULT_BOUND,
        mean: str = "none",
    ) -> None:
        super().__init__(dim, parent_dim)
        self._hyper = {
            "transform": _check_choice("transform", transform, ("nsf", "maf")),
            "transforms": _check_int("transforms", transforms, minimum=1),
            "hidden_features": _check_hidden("hidden_features", hidden_features),
            "bins": _check_int("bins", bins, minimum=2),
            "bound": _check_float("bound", bound),
            "mean": _check_choice("mean", mean, ("none", "regression")),
        }
        flow_hyper = {k: v for k, v in self._hyper.items() if k != "mean"}
        self.flow = build_flow(self.dim, self.parent_dim, **flow_hyper)
        self.location = FittedMean(dim, parent_dim) if mean == "regression" else None

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """With ``mean="regression"``, fit the regression ``f`` whose residual the flow models."""
        if self.location is None:
            return None
        self.location.fit(x, parents, train_idx, val_idx)
        return list(self.flow.parameters())

    def _context(self, parents: Tensor) -> Tensor | None:
        # zuko supports context=0 only as "no context": a root's flow is unconditional.
        return parents if self.parent_dim > 0 else None

    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        x, parents = self._observed(x, parents)
        if x.shape[0] == 0:  # zuko cannot reshape an empty batch
            return x.new_zeros(0)
        out: Tensor = self.flow(self._context(parents)).log_prob(
            residual(self.location, x, parents)
        )
        return out

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, u = self._sample_inputs(parents, noise, generator)
        x: Tensor = self.flow.transform(self._context(parents)).inv(u)
        return self._finite(restore(self.location, x, parents), "sample")

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x, parents = self._observed(x, parents)
        u: Tensor = self.flow.transform(self._context(parents))(residual(self.location, x, parents))
        return self._finite(u, "abduct")
