"""Gumbel-max mechanisms for binary and categorical nodes, with posterior abduction."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _apply_parent_net,
    _check_activation,
    _check_hidden,
    _check_int,
    _parent_net,
)
from deepcausal.mechanisms._registry import register_mechanism

__all__ = ["GumbelMaxMechanism", "gumbel_posterior", "sample_gumbel"]

_TINY = torch.finfo(torch.float64).tiny


def sample_gumbel(uniform: Tensor) -> Tensor:
    """Turn uniform draws on ``[0, 1)`` into standard Gumbel draws ``-log(-log U)``."""
    u = uniform.clamp(min=_TINY, max=1.0 - torch.finfo(uniform.dtype).eps)
    return -torch.log(-torch.log(u))


def gumbel_posterior(logits: Tensor, x: Tensor, uniform: Tensor) -> Tensor:
    r"""Draw Gumbel noise from its posterior given the Gumbel-max outcome (top-down construction).

    Under ``x = argmax_k(logits_k + g_k)`` with ``g ~ Gumbel(0, 1)^K`` i.i.d., the posterior of ``g``
    given ``x`` is sampled exactly by (Maddison, Tarlow & Minka, NeurIPS 2014, "A* Sampling";
    Oberst & Sontag, ICML 2019, Appendix):

    1. the maximum ``M = max_k(logits_k + g_k)`` is ``Gumbel(logsumexp(logits))`` and independent of
       the argmax, so draw it and put it at the observed category: ``g_x = M - logits_x``;
    2. every other perturbed logit is ``Gumbel(logits_j)`` truncated below ``M``:
       ``G_j = -log(exp(-M) + exp(-(logits_j + g'_j)))`` with a fresh ``g'_j ~ Gumbel(0, 1)``,
       and ``g_j = G_j - logits_j``.

    Args:
        logits: ``(n, K)`` float64 logits.
        x: ``(n,)`` observed category codes.
        uniform: ``(n, K + 1)`` float64 uniform draws (one for the maximum, K for the others).

    Returns:
        ``(n, K)`` float64 posterior Gumbel noise.
    """
    g = sample_gumbel(uniform)
    top = torch.logsumexp(logits, dim=-1, keepdim=True) + g[:, :1]
    others = logits + g[:, 1:]
    truncated = -torch.logaddexp(-top, -others)
    perturbed = truncated.scatter(1, x[:, None], top)
    return perturbed - logits


@register_mechanism
class GumbelMaxMechanism(Mechanism):
    r"""A Gumbel-max SCM for a discrete node: ``x = argmax_k(logits_k(pa) + g_k)``.

    ``logits = MLP(pa)`` (a learned constant vector for a root node) and ``g ~ Gumbel(0, 1)^K``, so
    ``P(x = k | pa) = softmax(logits(pa))_k`` and training minimises the cross-entropy. The Gumbel-max
    SCM (Oberst & Sontag, ICML 2019, "Counterfactual Off-Policy Evaluation with Gumbel-Max Structural
    Causal Models") satisfies counterfactual stability; its noise is not identified by an
    observation, so :meth:`abduct` draws ``g`` from its posterior given ``(x, pa)`` with the
    top-down truncated-Gumbel construction (:func:`gumbel_posterior`); ``exact_abduction`` is False.
    A binary node is the case ``K = 2``.

    To make ``sample(parents, abduct(x, parents)) == x`` hold exactly despite float rounding, the
    abducted non-observed perturbed logits are kept at least a relative ``1e-5`` below the observed
    one (an event of probability of order ``1e-5`` under the exact posterior moves by that much).

    Args:
        dim: number of categories ``K`` (2 for a binary node).
        parent_dim: width of the parent features (0 for a root).
        hidden: hidden widths of the logit MLP.
        activation: activation of the MLP.

    Examples:
        >>> m = GumbelMaxMechanism(dim=3, parent_dim=2, hidden=(8,))
        >>> pa = torch.randn(6, 2)
        >>> x = m.sample(pa)
        >>> x.dtype, x.shape, m.abduct(x, pa).shape
        (torch.int64, torch.Size([6]), torch.Size([6, 3]))
        >>> bool((m.sample(pa, m.abduct(x, pa)) == x).all())
        True
    """

    name = "gumbel"
    abduction = "posterior"
    kinds = frozenset({"binary", "categorical"})

    #: Relative margin between the observed and the other perturbed logits after abduction.
    margin = 1e-5

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        hidden: Sequence[int] = (64, 64),
        activation: str = "elu",
    ) -> None:
        super().__init__(_check_int("dim (number of categories)", dim, minimum=2), parent_dim)
        self._hyper = {
            "hidden": _check_hidden("hidden", hidden),
            "activation": _check_activation("activation", activation),
        }
        self.net, self.const = _parent_net(
            self.parent_dim, self.dim, self._hyper["hidden"], self._hyper["activation"]
        )

    def logits(self, parents: Tensor) -> Tensor:
        """Unnormalised log-probabilities ``(n, K)`` of the categories given the parents."""
        return _apply_parent_net(self.net, self.const, self._parents(parents))

    def probs(self, parents: Tensor) -> Tensor:
        """Category probabilities ``P(x = k | pa)``, ``(n, K)``."""
        return torch.softmax(self.logits(parents), dim=-1)

    def log_prob(self, x: Tensor, parents: Tensor) -> Tensor:
        x = self._values(x)
        logits = self.logits(self._parents(parents, x.shape[0]))
        return F.log_softmax(logits, dim=-1).gather(1, x[:, None]).squeeze(1)

    def loss(self, x: Tensor, parents: Tensor) -> Tensor:
        """Mean cross-entropy of the observed categories."""
        x = self._values(x)
        return F.cross_entropy(self.logits(self._parents(parents, x.shape[0])), x)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        g = sample_gumbel(self._rand((_check_int("n", n, minimum=0), self.dim), generator))
        return g.to(self.dtype)

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, g = self._sample_inputs(parents, noise, generator)
        return (self.logits(parents) + g).argmax(dim=-1)

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x = self._values(x)
        n = x.shape[0]
        logits = self.logits(self._parents(parents, n)).detach()
        uniform = self._rand((n, self.dim + 1), generator)
        g = gumbel_posterior(logits.to(torch.float64), x, uniform).to(self.dtype)
        g = self._separate(logits, g, x)
        return self._finite(g, "abduct")

    def _separate(self, logits: Tensor, g: Tensor, x: Tensor) -> Tensor:
        """Lower the non-observed perturbed logits that rounding left too close to the observed one."""
        for _ in range(8):
            perturbed = logits + g
            top = perturbed.gather(1, x[:, None])
            gap = self.margin * (1.0 + top.abs())
            close = perturbed > top - gap
            close.scatter_(1, x[:, None], False)
            if not bool(close.any()):
                return g
            g = torch.where(close, g - (perturbed - top) - 2 * gap, g)
        raise AssertionError("could not separate the abducted Gumbel noise")  # pragma: no cover
