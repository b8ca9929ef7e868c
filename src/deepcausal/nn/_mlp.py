"""Multilayer perceptron block used by mechanisms, estimators and discovery methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

Activation = Literal["relu", "elu", "leaky_relu", "tanh", "silu", "sigmoid"]

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
}


class MLP(nn.Sequential):
    """A fully connected network ``in_features -> hidden... -> out_features``.

    Args:
        in_features: input width (at least 1; a node without parents needs no network).
        out_features: output width.
        hidden: widths of the hidden layers.
        activation: non-linearity between layers.
        dropout: dropout probability after each hidden activation.

    >>> MLP(3, 2, hidden=(8,))(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: Sequence[int] = (64, 64),
        activation: Activation = "elu",
        dropout: float = 0.0,
    ) -> None:
        if in_features < 1 or out_features < 1:
            raise ValueError(f"MLP needs positive widths, got {in_features} -> {out_features}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}"
            )
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            layers.append(_ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)
        self.in_features = in_features
        self.out_features = out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x)


def activation(name: Activation) -> nn.Module:
    """A fresh activation module by name (``"relu"``, ``"elu"``, ...).

    >>> activation("elu")
    ELU(alpha=1.0)
    """
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()
