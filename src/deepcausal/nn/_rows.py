"""Training rows that do not fit in memory: the :class:`BatchStream` that :func:`train` reads
instead of tensors.

A stream owns its row split: it yields the training rows in mini-batches, in an order that
changes every epoch, and keeps the held-out rows (few enough for memory) for early stopping.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator

import numpy as np

from deepcausal.nn._objective import Batch

__all__ = ["BatchStream"]


class BatchStream(abc.ABC):
    """Mini-batches of a table read piece by piece (e.g. the row groups of a Parquet file).

    Attributes:
        n_train: how many training rows one epoch yields.
    """

    n_train: int

    @abc.abstractmethod
    def batches(self, epoch: int, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """One epoch's training rows: tuples of CPU tensors sharing their first dimension, at
        most ``batch_size`` rows each, shuffled with ``rng``."""

    @abc.abstractmethod
    def validation(self) -> Batch:
        """The held-out rows, in memory (an empty tuple when nothing is held out)."""
