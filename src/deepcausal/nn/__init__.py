"""Shared neural-network pieces: MLP blocks, the one training loop and what it runs (objectives,
callbacks, strategies), device and seed handling."""

from deepcausal.nn._callbacks import Callback, EarlyStopping, ProgressBar, TrainResult, TrainState
from deepcausal.nn._device import (
    DeviceLike,
    derive_seed,
    resolve_device,
    seed_everything,
    torch_generator,
    torch_threads,
)
from deepcausal.nn._distance import energy_distance
from deepcausal.nn._distributed import DataParallel, as_strategy
from deepcausal.nn._mlp import MLP, Activation, activation
from deepcausal.nn._objective import Batch, LossTerms, Objective, Step, total_loss
from deepcausal.nn._rows import BatchStream, shuffled_batches
from deepcausal.nn._strategy import SingleDevice, Strategy
from deepcausal.nn._train import TrainConfig, minimise_lbfgs, train, validation_split

__all__ = [
    "MLP",
    "Activation",
    "Batch",
    "BatchStream",
    "Callback",
    "DataParallel",
    "DeviceLike",
    "EarlyStopping",
    "LossTerms",
    "Objective",
    "ProgressBar",
    "SingleDevice",
    "Step",
    "Strategy",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "activation",
    "as_strategy",
    "derive_seed",
    "energy_distance",
    "minimise_lbfgs",
    "resolve_device",
    "seed_everything",
    "shuffled_batches",
    "torch_generator",
    "torch_threads",
    "total_loss",
    "train",
    "validation_split",
]
