"""Shared neural-network pieces: MLP blocks, the one training loop, device and seed handling."""

from deepcausal.nn._device import (
    derive_seed,
    resolve_device,
    seed_everything,
    torch_generator,
    torch_threads,
)
from deepcausal.nn._mlp import MLP, Activation, activation
from deepcausal.nn._train import TrainConfig, TrainResult, minimise_lbfgs, train, validation_split

__all__ = [
    "MLP",
    "Activation",
    "TrainConfig",
    "TrainResult",
    "activation",
    "derive_seed",
    "minimise_lbfgs",
    "resolve_device",
    "seed_everything",
    "torch_generator",
    "torch_threads",
    "train",
    "validation_split",
]
