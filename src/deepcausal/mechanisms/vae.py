"""Conditional VAE mechanisms with amortised abduction (Pawlowski, Castro & Glocker 2020)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _check_activation,
    _check_choice,
    _check_float,
    _check_hidden,
    _check_int,
    _normal_log_prob,
)
from deepcausal.mechanisms._location import FittedMean, residual, restore
from deepcausal.mechanisms._registry import register_mechanism
from deepcausal.nn import MLP, Objective

__all__ = ["VAEMechanism"]


@register_mechanism
class VAEMechanism(Mechanism):
    r"""A conditional VAE: ``x = mu(z, pa) + sigma(z, pa) * eps`` with ``u = (z, eps) ~ N(0, I)``.

    The exogenous noise has two parts, as in the amortised, explicit mechanisms of Deep Structural
    Causal Models (Pawlowski, Castro & Glocker, NeurIPS 2020): a high-level latent ``z`` inferred by
    an encoder ``q(z | x, pa) = N(m(x, pa), s(x, pa)^2)``, and a low-level ``eps`` that is invertible
    given ``z``. The decoder is a Gaussian ``p(x | z, pa) = N(mu(z, pa), sigma(z, pa)^2)``, trained
    with the evidence lower bound

    .. math:: \mathrm{ELBO} = \mathbb{E}_{q(z \mid x, pa)} \log p(x \mid z, pa)
              - \mathrm{KL}(q(z \mid x, pa) \,\|\, N(0, I)).

    Abduction is a posterior draw: ``z ~ q(z | x, pa)``, then ``eps = (x - mu(z, pa)) / sigma(z, pa)``
    exactly, so ``sample(pa, abduct(x, pa))`` reproduces ``x``; a counterfactual decodes the same
    ``(z, eps)`` under the new parents. The ELBO is a bound, not a log-density, so
    ``has_log_prob`` is false and model selection scores the family by energy distance.

    With ``mean="regression"`` (the default) the VAE models the residual ``x - f(pa)`` of a
    regression fitted first (:mod:`deepcausal.mechanisms._location`, as the diffusion family does
    after CARD: Han, Zheng & Zhou, NeurIPS 2022), so off the data's support a counterfactual follows
    the regression's trend rather than the decoder's guess; ``mean="none"`` is the plain
    conditional VAE.

    Args:
        dim: event size of the node (any width).
        parent_dim: width of the parent features (0 for a root).
        latent_dim: width of ``z`` (default: the node's width).
        hidden: hidden widths of the encoder and the decoder.
        activation: their activation.
        min_scale: floor on ``sigma``, which keeps the likelihood term bounded.
        mean: ``"regression"`` (model the residual of a fitted regression) or ``"none"``.

    Examples:
        >>> m = VAEMechanism(dim=2, parent_dim=1, hidden=(16,))
        >>> pa, x = torch.randn(4, 1), torch.randn(4, 2)
        >>> u = m.abduct(x, pa, generator=torch.Generator().manual_seed(0))
        >>> u.shape, torch.allclose(m.sample(pa, u), x, atol=1e-5)
        (torch.Size([4, 4]), True)
    """

    name = "vae"
    abduction = "posterior"
    has_log_prob = False
    kinds = frozenset({"continuous"})
    preferred_training: ClassVar[dict[str, Any]] = {
        "batch_size": 256,
        "lr": 2e-3,
        "patience": 20,
        "min_delta": 1e-4,
        "max_epochs": 300,
    }
    saved_defaults: ClassVar[dict[str, Any]] = {"mean": "none"}  # before the regression stage

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        latent_dim: int | None = None,
        hidden: Sequence[int] = (64, 64),
        activation: str = "elu",
        min_scale: float = 1e-2,
        mean: str = "regression",
    ) -> None:
        super().__init__(dim, parent_dim)
        latent = self.dim if latent_dim is None else _check_int("latent_dim", latent_dim, minimum=1)
        self._hyper = {
            "latent_dim": latent,
            "hidden": _check_hidden("hidden", hidden),
            "activation": _check_activation("activation", activation),
            "min_scale": _check_float("min_scale", min_scale),
            "mean": _check_choice("mean", mean, ("regression", "none")),
        }
        hid, act = tuple(self._hyper["hidden"]), self._hyper["activation"]
        self.encoder = MLP(self.dim + self.parent_dim, 2 * latent, hidden=hid, activation=act)
        self.decoder = MLP(latent + self.parent_dim, 2 * self.dim, hidden=hid, activation=act)
        self.location = FittedMean(self.dim, self.parent_dim) if mean == "regression" else None

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """Fit the regression ``f`` (``mean="regression"``) and freeze it; the encoder and the
        decoder are left for the training loop."""
        if self.location is None:
            return None
        self.location.fit(x, parents, train_idx, val_idx)
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    @property
    def latent_dim(self) -> int:
        """Width of the latent ``z``."""
        return int(self._hyper["latent_dim"])

    @property
    def noise_dim(self) -> int:
        """``z`` and ``eps`` side by side."""
        return self.latent_dim + self.dim

    def posterior(self, x: Tensor, parents: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of ``q(z | x, pa)``."""
        mean, raw = self.encoder(torch.cat([x, parents], dim=1)).split(self.latent_dim, dim=1)
        return mean, F.softplus(raw) + 1e-4

    def decode(self, z: Tensor, parents: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of ``p(x | z, pa)``."""
        mean, raw = self.decoder(torch.cat([z, parents], dim=1)).split(self.dim, dim=1)
        return mean, F.softplus(raw) + self._hyper["min_scale"]

    def _encode(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """The posterior's mean and standard deviation at ``(x, parents)`` and a draw ``z`` from it
        (reparameterised: ``z = mean + sd * e`` with ``e ~ N(0, I)`` from ``generator``)."""
        q_mean, q_sd = self.posterior(x, parents)
        return q_mean, q_sd, q_mean + q_sd * self._normal(q_mean.shape, generator)

    def elbo_terms(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        """The negative ELBO per row, as its two named terms averaged over the batch."""
        x, parents = self._observed(x, parents)
        x = residual(self.location, x, parents)
        q_mean, q_sd, z = self._encode(x, parents, generator)
        mu, sigma = self.decode(z, parents)
        nll = -_normal_log_prob(x, mu, sigma)
        kl = (0.5 * (q_mean.square() + q_sd.square() - 1) - q_sd.log()).sum(1)
        return {"reconstruction": nll.mean(), "kl": kl.mean()}

    def objective(self, parameters: Sequence[nn.Parameter] | None = None) -> Objective:
        """The negative ELBO (reconstruction + KL); validated with draws fixed across epochs."""
        if parameters is None:  # the frozen regression (``mean="regression"``) is not trained
            parameters = [p for p in self.parameters() if p.requires_grad]
        params = list(parameters)

        def validation(batch: tuple[Tensor, ...]) -> Tensor:
            terms = self.elbo_terms(batch[0], batch[1], torch.Generator().manual_seed(0))
            return terms["reconstruction"] + terms["kl"]

        return Objective.minimise(
            lambda batch: self.elbo_terms(batch[0], batch[1]),
            params,
            name="elbo",
            validation=validation,
        )

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, u = self._sample_inputs(parents, noise, generator)
        z, eps = u.split([self.latent_dim, self.dim], dim=1)
        mu, sigma = self.decode(z, parents)
        return self._finite(restore(self.location, mu + sigma * eps, parents), "sample")

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x, parents = self._observed(x, parents)
        x = residual(self.location, x, parents)
        _, _, z = self._encode(x, parents, generator)
        mu, sigma = self.decode(z, parents)
        return self._finite(torch.cat([z, (x - mu) / sigma], dim=1), "abduct")
