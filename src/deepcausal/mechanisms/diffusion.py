"""Diffusion mechanisms: a conditional denoiser, DDIM decoding as the structural equation and DDIM
encoding as abduction (Chao, Blöbaum, Patel & Kasiviswanathan 2023, "Interventional and
counterfactual inference with diffusion models")."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from deepcausal.mechanisms._average import AveragedNet
from deepcausal.mechanisms._base import Mechanism
from deepcausal.mechanisms._checks import (
    _check_activation,
    _check_choice,
    _check_float,
    _check_hidden,
    _check_int,
)
from deepcausal.mechanisms._location import FittedMean, residual, restore
from deepcausal.mechanisms._registry import register_mechanism
from deepcausal.nn import MLP, Objective

__all__ = ["DDIMSchedule", "DiffusionMechanism"]


class DDIMSchedule(nn.Module):
    r"""The noise schedule and the deterministic DDIM sampler, kept apart from the denoiser (as
    diffusers keeps its schedulers), so that decoding and encoding are methods of the schedule.

    Forward process (Ho, Jain & Abbeel 2020): ``x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε`` with
    ``ᾱ_t = ∏_{s<=t} (1 - β_s)``, ``β`` linear from ``beta_start`` to ``beta_end`` over ``steps``
    (``ᾱ_0 = 1``). DDIM with ``η = 0`` (Song, Meng & Ermon 2021) moves between two times ``s`` and
    ``t`` along

    .. math:: x_t = \sqrt{\bar\alpha_t}\,\hat x_0 + \sqrt{1 - \bar\alpha_t}\,\hat\varepsilon,
              \qquad \hat x_0 = (x_s - \sqrt{1 - \bar\alpha_s}\,\hat\varepsilon) / \sqrt{\bar\alpha_s},

    downwards to decode (noise ``x_T`` → data ``x_0``) and upwards to encode. Both use the
    denoiser's ``ε̂`` at the later of the two times, so one step up followed by one step down
    returns to the start up to the change of ``ε̂`` along the step.

    Args:
        steps: diffusion time steps ``T`` of training.
        beta_start, beta_end: the linear ``β`` schedule (DCM's defaults: ``1e-4`` to ``0.1``,
            ``T = 100``).
        inference_steps: time steps DDIM visits when encoding and decoding (evenly spaced;
            ``T`` by default, as DCM).
    """

    alpha_bar: Tensor
    times: Tensor

    def __init__(
        self, steps: int, beta_start: float, beta_end: float, inference_steps: int | None = None
    ) -> None:
        super().__init__()
        self.steps = steps
        betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
        alpha_bar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])
        self.register_buffer("alpha_bar", alpha_bar.float(), persistent=False)
        visits = inference_steps or steps
        times = torch.linspace(0, steps, visits + 1).round().long().unique()
        self.register_buffer("times", times, persistent=False)

    def add_noise(self, x0: Tensor, eps: Tensor, t: Tensor) -> Tensor:
        """``x_t`` for data ``x0``, noise ``eps`` and integer times ``t`` (shape ``(n,)``)."""
        a = self.alpha_bar[t].unsqueeze(1)
        return a.sqrt() * x0 + (1 - a).sqrt() * eps

    def move(self, x: Tensor, eps: Tensor, s: int, t: int) -> Tensor:
        """One deterministic DDIM step from time ``s`` to time ``t`` (either direction)."""
        a_s, a_t = self.alpha_bar[s], self.alpha_bar[t]
        x0 = (x - (1 - a_s).sqrt() * eps) / a_s.sqrt()
        return a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps

    def decode(self, denoiser: Any, noise: Tensor, parents: Tensor) -> Tensor:
        """Data ``x_0`` from noise ``x_T`` given the parents."""
        x = noise
        times = self.times.tolist()
        for s, t in reversed(list(itertools.pairwise(times))):
            x = self.move(x, denoiser(x, parents, t), t, s)
        return x

    def encode(self, denoiser: Any, x0: Tensor, parents: Tensor) -> Tensor:
        """Noise ``x_T`` from data ``x_0`` given the parents (DDIM inversion)."""
        x = x0
        times = self.times.tolist()
        for s, t in itertools.pairwise(times):
            x = self.move(x, denoiser(x, parents, t), s, t)
        return x


@register_mechanism
class DiffusionMechanism(Mechanism):
    r"""A diffusion-model mechanism: ``x = DDIM-decode(u; pa)`` with ``u ~ N(0, I)``.

    A conditional denoiser ``ε_θ(x_t, t, pa)`` (an MLP of the noisy value, the parents and
    ``t / T``) is trained with the DDPM objective

    .. math:: \min_\theta\ \mathbb{E}_{x, pa, t, \varepsilon}
              \|\varepsilon - \varepsilon_\theta(\sqrt{\bar\alpha_t} x + \sqrt{1-\bar\alpha_t}\varepsilon, t, pa)\|^2,

    the structural equation decodes the exogenous noise ``u = x_T`` with deterministic DDIM under
    the parents, and abduction encodes an observation back to ``u`` with DDIM under its own parents;
    a counterfactual decodes that ``u`` under the new parents. This is the diffusion-based causal
    model (DCM) of Chao et al. (2023), with their defaults: ``T = 100``, ``β`` linear from ``1e-4``
    to ``0.1``, a two-hidden-layer SiLU network.

    With ``mean="regression"`` (the default) the diffusion runs on the residual ``x - f(pa)`` of a
    regression fitted first — the additive family's least-squares stage (OLS, an F-tested quadratic
    term, an MLP where Ramsey's RESET test rejects the polynomial), by L-BFGS — as CARD conditions
    its diffusion on a pre-trained mean estimator (Han, Zheng & Zhou, NeurIPS 2022, "CARD:
    Classification and Regression Diffusion Models"). The structural equation is then
    ``x = f(pa) + DDIM-decode(u; pa)``: the denoiser models only what is left (the noise's shape,
    and how it depends on the parents), and where a counterfactual moves the parents off the
    data's support the mean follows the regression's linear trend instead of the denoiser's guess.
    ``mean="none"`` is DCM as published. Encoding then decoding returns to ``x`` up to the
    discretisation error of DDIM, so abduction is ``"approximate"``; the model has no tractable
    log-density, so selection among families scores it by energy distance. Sampling and abduction
    use an exponential moving average of the denoiser's weights (decay 0.99 per step), as DDPM does.

    Args:
        dim: event size of the node.
        parent_dim: width of the parent features (0 for a root).
        hidden: hidden widths of the denoiser.
        activation: activation of the denoiser.
        mean: ``"regression"`` (diffuse the residual of a fitted regression) or ``"none"``.
        steps: diffusion time steps ``T``.
        beta_start: the first noise level of the linear schedule.
        beta_end: the last noise level of the linear schedule.
        inference_steps: DDIM steps when sampling and abducting (``None``: all ``T``).

    Training settings (learning rate 1e-3, batch size 256, patience 20, up to 300 epochs) come
    from ``preferred_training`` when the DeepSCM is given no training configuration of its own.

    Examples:
        >>> m = DiffusionMechanism(dim=1, parent_dim=2, hidden=(16,), steps=20)
        >>> pa, x = torch.randn(5, 2), torch.randn(5, 1)
        >>> u = m.abduct(x, pa)
        >>> u.shape, m.sample(pa, u).shape, m.abduction
        (torch.Size([5, 1]), torch.Size([5, 1]), 'approximate')
    """

    name = "diffusion"
    abduction = "approximate"
    has_log_prob = False
    kinds = frozenset({"continuous"})
    preferred_training: ClassVar[dict[str, Any]] = {
        "batch_size": 256,
        "lr": 1e-3,
        "patience": 20,
        "min_delta": 1e-4,
        "max_epochs": 300,
    }

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        hidden: Sequence[int] = (64, 128),
        activation: str = "silu",
        mean: str = "regression",
        steps: int = 100,
        beta_start: float = 1e-4,
        beta_end: float = 0.1,
        inference_steps: int | None = None,
    ) -> None:
        super().__init__(dim, parent_dim)
        self._hyper = {
            "hidden": _check_hidden("hidden", hidden),
            "activation": _check_activation("activation", activation),
            "mean": _check_choice("mean", mean, ("regression", "none")),
            "steps": _check_int("steps", steps, minimum=2),
            "beta_start": _check_float("beta_start", beta_start),
            "beta_end": _check_float("beta_end", beta_end),
            "inference_steps": None
            if inference_steps is None
            else _check_int("inference_steps", inference_steps, minimum=1),
        }
        if not beta_start < beta_end < 1:
            raise ValueError(f"need 0 < beta_start < beta_end < 1, got {beta_start}, {beta_end}")
        self.schedule = DDIMSchedule(steps, beta_start, beta_end, inference_steps)
        self.location = FittedMean(dim, parent_dim) if mean == "regression" else None
        self.net = AveragedNet(
            MLP(
                dim + parent_dim + 1,
                dim,
                hidden=tuple(self._hyper["hidden"]),
                activation=self._hyper["activation"],
            ),
            self.average_decay,
        )

    #: Decay of the exponential moving average of the denoiser's weights, per optimiser step.
    average_decay = 0.99

    def denoise(
        self, x_t: Tensor, parents: Tensor, t: Tensor | int, averaged: bool = True
    ) -> Tensor:
        """The denoiser's estimate ``ε̂`` of the noise in ``x_t`` at time(s) ``t`` (the averaged
        weights unless ``averaged`` is false: training uses the online ones)."""
        time = torch.as_tensor(t, device=x_t.device, dtype=x_t.dtype) / self.schedule.steps
        time = time.reshape(-1, 1).expand(x_t.shape[0], 1)
        return self.net(torch.cat([x_t, parents, time], dim=1), averaged=averaged)

    def prefit(
        self, x: Tensor, parents: Tensor, train_idx: Tensor, val_idx: Tensor
    ) -> list[nn.Parameter] | None:
        """Fit the regression ``f`` (``mean="regression"``) and freeze it; the denoiser is left
        for the training loop."""
        if self.location is None:
            return None
        self.location.fit(x, parents, train_idx, val_idx)
        return [p for p in self.net.parameters() if p.requires_grad]

    def denoising_loss(
        self,
        x: Tensor,
        parents: Tensor,
        generator: torch.Generator | None = None,
        averaged: bool = False,
    ) -> Tensor:
        """The DDPM loss on one batch: mean squared error of the noise estimate at random times."""
        x, parents = self._observed(x, parents)
        x = residual(self.location, x, parents)
        device = generator.device if generator is not None else self.device
        t = torch.randint(
            1, self.schedule.steps + 1, x.shape[:1], generator=generator, device=device
        )
        t, eps = t.to(self.device), self._normal(x.shape, generator)
        x_t = self.schedule.add_noise(x, eps, t)
        return (self.denoise(x_t, parents, t, averaged=averaged) - eps).square().mean()

    def objective(self, parameters: Sequence[nn.Parameter] | None = None) -> Objective:
        """The DDPM denoising loss over the denoiser's weights; validated on held-out rows with
        noise fixed across epochs."""
        params = list(self.net.parameters()) if parameters is None else list(parameters)

        def validation(batch: tuple[Tensor, ...]) -> Tensor:
            # the averaged denoiser, at several fixed draws of time and noise per row: a steadier
            # score than one draw, for early stopping
            gen = torch.Generator().manual_seed(0)
            draws = [
                self.denoising_loss(batch[0], batch[1], gen, averaged=True)
                for _ in range(self.validation_draws)
            ]
            return torch.stack(draws).mean()

        def loss(batch: tuple[Tensor, ...]) -> Tensor:
            self.net.update()
            return self.denoising_loss(batch[0], batch[1])

        return Objective.minimise(
            loss,
            [p for p in params if p.requires_grad],
            name="denoising",
            validation=validation,
        )

    #: Draws of time and noise per held-out row in the validation score.
    validation_draws = 4

    def sample(
        self, parents: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        parents, u = self._sample_inputs(parents, noise, generator)
        x = restore(self.location, self.schedule.decode(self.denoise, u, parents), parents)
        return self._finite(x, "sample")

    def abduct(
        self, x: Tensor, parents: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        x, parents = self._observed(x, parents)
        u = self.schedule.encode(self.denoise, residual(self.location, x, parents), parents)
        return self._finite(u, "abduct")
