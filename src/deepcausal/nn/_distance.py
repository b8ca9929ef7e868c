"""Two-sample distances in torch, for scoring generative models that have no likelihood."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["energy_distance"]


def energy_distance(x: Tensor, y: Tensor) -> Tensor:
    r"""The squared energy distance between two samples (Székely & Rizzo 2013).

    .. math:: \mathcal{E}^2 = 2\,\mathbb{E}\|X - Y\| - \mathbb{E}\|X - X'\| - \mathbb{E}\|Y - Y'\|,

    with the within-sample means over distinct pairs (unbiased). It is zero in expectation exactly
    when the two distributions are equal, needs no kernel bandwidth, and compares fairly any two
    samplers, which is why the library scores likelihood-free families (GANs, diffusion, VAEs) by it.

    Args:
        x: ``(n, d)`` sample.
        y: ``(m, d)`` sample (``n, m >= 2``).

    >>> g = torch.Generator().manual_seed(0)
    >>> a, b = torch.randn(400, 2, generator=g), torch.randn(400, 2, generator=g)
    >>> float(energy_distance(a, b)) < 0.02 < float(energy_distance(a, b + 1))
    True
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"samples must be (n, d) and (m, d), got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    n, m = x.shape[0], y.shape[0]
    if n < 2 or m < 2:
        raise ValueError("each sample needs at least 2 rows")
    x, y = x.double(), y.double()
    between = torch.cdist(x, y).mean()
    within_x = torch.cdist(x, x).sum() / (n * (n - 1))
    within_y = torch.cdist(y, y).sum() / (m * (m - 1))
    return (2 * between - within_x - within_y).to(torch.float32)
