"""Callbacks of the training loop: progress, early stopping, and hooks of the user's own.

The loop (:func:`deepcausal.nn.train`) calls each callback at the start, after every epoch and at
the end, with a :class:`TrainState`; a callback may set ``state.stop`` to end training. Early
stopping and the progress bar are callbacks like any other, so a user callback (a checkpoint, a
logger) sees exactly what they see.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from tqdm.auto import tqdm

from deepcausal._progress import tqdm_disable

__all__ = ["Callback", "EarlyStopping", "ProgressBar", "TrainResult", "TrainState"]

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a call to :func:`deepcausal.nn.train` did.

    Attributes:
        train_loss: mean training loss per epoch (of the first step, for several).
        val_loss: validation score per epoch (empty without a validation split or score).
        step_loss: mean training loss per epoch of every step, by step name.
        best_epoch: the epoch whose weights were kept (0-based).
        stopped_early: whether early stopping ended training before ``max_epochs``.
        seconds: wall time of the loop.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    step_loss: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def best_val_loss(self) -> float:
        """Validation score of the kept weights (training loss when there was no validation)."""
        losses = self.val_loss or self.train_loss
        return losses[self.best_epoch] if losses else math.nan

    @property
    def epochs(self) -> int:
        """The number of epochs run."""
        return len(self.train_loss)


@dataclass
class TrainState:
    """What callbacks see: the model, the history so far, the epoch just finished."""

    model: nn.Module
    description: str
    max_epochs: int
    result: TrainResult
    epoch: int = -1
    monitored: float = math.nan  # the epoch's validation score (training loss without one)
    stop: bool = False


class Callback:
    """A hook into the training loop; override the methods you need."""

    def on_train_start(self, state: TrainState) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after every epoch; set ``state.stop = True`` to end training."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once after the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs without a relative gain of ``min_delta`` in the monitored
    score, and put back the weights of the best epoch at the end."""

    def __init__(self, patience: int, min_delta: float) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.since = 0
        self.best_state: dict[str, Any] | None = None

    def on_train_start(self, state: TrainState) -> None:
        self.best_state = copy.deepcopy(state.model.state_dict())

    def on_epoch_end(self, state: TrainState) -> None:
        current = state.monitored
        scale = max(1.0, abs(self.best)) if math.isfinite(self.best) else 1.0
        if current < self.best - self.min_delta * scale:
            self.best = current
            state.result.best_epoch = state.epoch
            self.best_state = copy.deepcopy(state.model.state_dict())
            self.since = 0
        else:
            self.since += 1
        if self.since >= self.patience:
            state.stop = True
            state.result.stopped_early = True
            logger.debug(
                "%s: early stop at epoch %d (best %d)",
                state.description,
                state.epoch,
                state.result.best_epoch,
            )

    def on_train_end(self, state: TrainState) -> None:
        if self.best_state is not None:
            state.model.load_state_dict(self.best_state)


class ProgressBar(Callback):
    """A tqdm bar over epochs showing the monitored score; it ends with the epoch training stopped
    at when early stopping ended it before ``max_epochs``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def on_train_start(self, state: TrainState) -> None:
        self.bar = tqdm(
            total=state.max_epochs,
            desc=state.description,
            disable=tqdm_disable(self.enabled),
            leave=False,
        )

    def on_epoch_end(self, state: TrainState) -> None:
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{state.monitored:.4f}")

    def on_train_end(self, state: TrainState) -> None:
        if state.result.stopped_early:
            self.bar.set_postfix_str(
                f"stopped at epoch {state.epoch + 1} (best {state.result.best_epoch + 1})"
            )
        self.bar.close()
