"""Training rows that do not fit in memory: the :class:`BatchStream` that :func:`train` reads
instead of tensors.

A stream owns its row split: it yields the training rows in mini-batches, in an order that
changes every epoch, and keeps the held-out rows (few enough for memory) for early stopping.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator

import numpy as np
import torch

from deepcausal.nn._objective import Batch

__all__ = ["BatchStream", "shuffled_batches"]


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


def shuffled_batches(
    pieces: Iterable[Batch], batch_size: int, rng: np.random.Generator
) -> Iterator[Batch]:
    """Mini-batches of ``batch_size`` rows from pieces read one after the other (the row groups
    of a table): each piece's rows shuffled with ``rng``, the rows left over carried into the
    next piece, so only the epoch's last batch is short.

    >>> pieces = [(torch.arange(5),), (torch.arange(5, 8),)]
    >>> [len(b[0]) for b in shuffled_batches(pieces, 3, np.random.default_rng(0))]
    [3, 3, 2]
    """
    carry: Batch = ()
    for piece in pieces:
        order = torch.as_tensor(rng.permutation(int(piece[0].shape[0])))
        rows = tuple(t[order] for t in piece)
        if carry:
            rows = tuple(torch.cat([a, b]) for a, b in zip(carry, rows, strict=True))
        n = int(rows[0].shape[0])
        full = n - n % batch_size
        for start in range(0, full, batch_size):
            yield tuple(t[start : start + batch_size] for t in rows)
        carry = tuple(t[full:] for t in rows) if full < n else ()
    if carry:
        yield carry
