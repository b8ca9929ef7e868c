"""A convolutional conditional VAE for image nodes (the image mechanism of Deep Structural Causal
Models; Pawlowski, Castro & Glocker 2020)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from deepcausal.mechanisms._checks import _check_float, _check_hidden, _check_int
from deepcausal.mechanisms._registry import register_mechanism
from deepcausal.mechanisms.vae import VAEMechanism

__all__ = ["ConvVAEMechanism"]


def _check_shape(value: Any, dim: int, family: str) -> tuple[int, int, int]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(
            f"the {family!r} mechanism models image nodes: shape must be (C, H, W), got {value!r}"
        )
    shape = tuple(_check_int(f"shape[{i}]", v, minimum=1) for i, v in enumerate(value))
    if math.prod(shape) != dim:
        raise ValueError(f"shape {shape} holds {math.prod(shape)} values, but the node has {dim}")
    if min(shape[1:]) < 4:
        raise ValueError(f"images of at least 4 x 4 pixels, got {shape}")
    return shape  # type: ignore[return-value]


def _check_decoder(value: Any) -> str:
    if value not in ("refined", "plain"):
        raise ValueError(f"decoder must be 'refined' or 'plain', got {value!r}")
    return str(value)


class _PlainDecoder(nn.Sequential):
    """Two transposed convolutions; the parents reach it only through the dense layer before it
    (the decoder of models saved before ``decoder`` existed, whose weights it keeps by name)."""

    def __init__(self, c_in: int, c_mid: int, c_out: int) -> None:
        super().__init__(
            nn.ConvTranspose2d(c_in, c_mid, 4, stride=2, padding=1), nn.ELU(),
            nn.ConvTranspose2d(c_mid, c_out, 4, stride=2, padding=1),
        )  # fmt: skip

    def forward(self, grid: Tensor, parents: Tensor | None = None) -> Tensor:
        return super().forward(grid)


class _RefinedDecoder(nn.Module):
    """Two upsamplings, each followed by a 3x3 convolution, then a 3x3 output convolution; the
    parents enter as constant feature maps before the first upsampling and each refinement."""

    def __init__(self, c_in: int, c_mid: int, c_out: int, parent_dim: int) -> None:
        super().__init__()
        self.up1 = nn.ConvTranspose2d(c_in + parent_dim, c_mid, 4, stride=2, padding=1)
        self.refine1 = nn.Conv2d(c_mid + parent_dim, c_mid, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(c_mid, c_mid, 4, stride=2, padding=1)
        self.refine2 = nn.Conv2d(c_mid + parent_dim, c_mid, 3, padding=1)
        self.out = nn.Conv2d(c_mid, c_out, 3, padding=1)

    def forward(self, grid: Tensor, parents: Tensor) -> Tensor:
        def maps(t: Tensor) -> Tensor:
            return torch.cat([t, parents[:, :, None, None].expand(-1, -1, *t.shape[2:])], dim=1)

        x = F.elu(self.up1(maps(grid)))
        x = F.elu(self.refine1(maps(x)))
        x = F.elu(self.up2(x))
        x = F.elu(self.refine2(maps(x)))
        return self.out(x)


@register_mechanism
class ConvVAEMechanism(VAEMechanism):
    r"""A conditional VAE whose encoder and decoder are convolutional: an image ``x`` of shape
    ``(C, H, W)`` given its parents ``pa``, ``x = mu(z, pa) + sigma(z, pa) ⊙ eps``.

    As in the Deep SCM paper's Morpho-MNIST model, the exogenous noise has a high-level part ``z``
    (``latent_dim`` values) inferred by the amortised encoder ``q(z | x, pa)``, and a low-level part
    ``eps`` (one per pixel) that is recovered exactly given ``z``; training maximises the ELBO of
    :class:`~deepcausal.mechanisms.VAEMechanism`, whose methods this family inherits. The encoder
    is two stride-2 convolutions and a dense layer that also reads the parents; the decoder mirrors
    it with transposed convolutions and outputs a mean and a scale per pixel. With
    ``decoder="refined"`` (the default) the parents also enter every stage of the decoder as
    constant feature maps, and a 3x3 convolution refines each upsampled resolution, so that the
    mean moves with the parents pixel by pixel (on Morpho-MNIST it cuts the counterfactual error
    in thickness by a third and in intensity by three quarters); ``"plain"`` is the decoder of
    models saved before the option, whose parents reach it only through its dense layer.

    Abduction is a posterior draw (``z ~ q(z | x, pa)``, then ``eps`` exactly), so
    ``sample(pa, abduct(x, pa))`` reproduces ``x``; a counterfactual image decodes the same
    ``(z, eps)`` under the new parents.

    Args:
        dim: ``C·H·W``.
        parent_dim: width of the parent features.
        shape: ``(C, H, W)``; ``DeepSCM`` passes the node's.
        latent_dim: width of ``z``.
        channels: the two convolutions' channel counts.
        hidden: width of the dense layer between the convolutions and ``z``.
        min_scale: floor on the per-pixel ``sigma`` (in the encoder's standardised units).
        decoder: ``"refined"`` or ``"plain"`` (see above).

    Examples:
        >>> m = ConvVAEMechanism(dim=64, parent_dim=2, shape=(1, 8, 8), channels=(4, 8))
        >>> pa, x = torch.randn(3, 2), torch.randn(3, 64)
        >>> u = m.abduct(x, pa, generator=torch.Generator().manual_seed(0))
        >>> u.shape, torch.allclose(m.sample(pa, u), x, atol=1e-4)
        (torch.Size([3, 80]), True)
    """

    name = "conv-vae"
    image_only = True
    saved_defaults: ClassVar[dict[str, Any]] = {"decoder": "plain"}
    preferred_training: ClassVar[dict[str, Any]] = {
        "batch_size": 128,
        "lr": 1e-3,
        "patience": 10,
        "min_delta": 1e-3,
        "max_epochs": 100,
    }

    def __init__(
        self,
        dim: int,
        parent_dim: int,
        *,
        shape: Sequence[int] = (),
        latent_dim: int = 16,
        channels: Sequence[int] = (32, 64),
        hidden: int = 256,
        min_scale: float = 0.05,
        decoder: str = "refined",
    ) -> None:
        super(VAEMechanism, self).__init__(dim, parent_dim)
        self.location = None  # the image is modelled whole: no regression of its pixels
        img = _check_shape(shape, self.dim, self.name)
        chans = _check_hidden("channels", channels)
        if len(chans) != 2:
            raise ValueError(f"channels must name the two convolutions' widths, got {channels!r}")
        self._hyper = {
            "shape": list(img),
            "latent_dim": _check_int("latent_dim", latent_dim, minimum=1),
            "channels": chans,
            "hidden": _check_int("hidden", hidden, minimum=1),
            "min_scale": _check_float("min_scale", min_scale),
            "decoder": _check_decoder(decoder),
        }
        c, h, w = img
        c1, c2 = chans
        self._small = (math.ceil(math.ceil(h / 2) / 2), math.ceil(math.ceil(w / 2) / 2))
        latent, width = self.latent_dim, int(hidden)
        self.conv = nn.Sequential(
            nn.Conv2d(c, c1, 4, stride=2, padding=1), nn.ELU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ELU(), nn.Flatten(),
        )  # fmt: skip
        with torch.no_grad():  # the flattened size for odd image sizes
            flat = int(self.conv(torch.zeros(1, c, h, w)).shape[1])
        self.encode_dense = nn.Sequential(
            nn.Linear(flat + self.parent_dim, width), nn.ELU(), nn.Linear(width, 2 * latent)
        )
        self.decode_dense = nn.Sequential(
            nn.Linear(latent + self.parent_dim, width), nn.ELU(),
            nn.Linear(width, c2 * self._small[0] * self._small[1]), nn.ELU(),
        )  # fmt: skip
        self.deconv = (
            _PlainDecoder(c2, c1, 2 * c) if decoder == "plain"
            else _RefinedDecoder(c2, c1, 2 * c, self.parent_dim)
        )  # fmt: skip

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)``."""
        c, h, w = self._hyper["shape"]
        return int(c), int(h), int(w)

    def posterior(self, x: Tensor, parents: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of ``q(z | x, pa)``."""
        if x.shape[0] == 0:  # no rows: the convolutions refuse an empty batch
            empty = x.new_zeros(0, self.latent_dim)
            return empty, empty
        features = self.conv(x.reshape(x.shape[0], *self.image_shape))
        out = self.encode_dense(torch.cat([features, parents], dim=1))
        mean, raw = out.split(self.latent_dim, dim=1)
        return mean, F.softplus(raw) + 1e-4

    def decode(self, z: Tensor, parents: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of ``p(x | z, pa)``, flat ``(n, C·H·W)``."""
        c, h, w = self.image_shape
        grid = self.decode_dense(torch.cat([z, parents], dim=1))
        grid = grid.reshape(z.shape[0], self._hyper["channels"][1], *self._small)
        if z.shape[0] == 0:
            empty = z.new_zeros(0, self.dim)
            return empty, empty
        out = self.deconv(grid, parents)[:, :, :h, :w]
        mean, raw = out[:, :c], out[:, c:]
        scale = F.softplus(raw) + self._hyper["min_scale"]
        return mean.reshape(z.shape[0], -1), scale.reshape(z.shape[0], -1)
