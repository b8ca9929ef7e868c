"""A network with an exponential moving average of its weights, for the generative families.

Adversarial and denoising training leave weights that oscillate from step to step; sampling from a
running average of them is steadier and better (Yazıcı et al., ICLR 2019, "The Unusual
Effectiveness of Averaging in GAN Training"; Ho, Jain & Abbeel 2020 for diffusion models).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

__all__ = ["AveragedNet"]


class AveragedNet(nn.Module):
    """``online``, the network the optimiser trains, and ``average``, a copy that trails it.

    Call :meth:`update` once per optimiser step of ``online`` (the families call it at the start of
    their training loss, so it trails the latest weights by one step); use ``average`` to sample.
    Both are saved; only ``online``'s parameters require gradients.

    >>> net = AveragedNet(nn.Linear(1, 1), decay=0.5)
    >>> with torch.no_grad():
    ...     _ = net.average.weight.fill_(0.0)
    ...     _ = net.online.weight.fill_(1.0)
    >>> net.update()
    >>> float(net.average.weight)
    0.5
    """

    def __init__(self, online: nn.Module, decay: float) -> None:
        super().__init__()
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.online = online
        self.average = copy.deepcopy(online)
        self.average.requires_grad_(False)
        self.decay = decay

    def update(self) -> None:
        """``average <- decay * average + (1 - decay) * online``."""
        with torch.no_grad():
            for a, p in zip(self.average.parameters(), self.online.parameters(), strict=True):
                a.lerp_(p, 1.0 - self.decay)

    def forward(self, x: Tensor, averaged: bool = True) -> Tensor:
        out: Tensor = (self.average if averaged else self.online)(x)
        return out
