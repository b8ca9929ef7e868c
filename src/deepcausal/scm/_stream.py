"""Fitting a DeepSCM to a Parquet table too large for memory, streamed in row groups.

A streamed fit has two stages, both run by the one training loop:

1. **Warm start on a sample.** A deterministic sample of the training rows (at most
   :data:`SAMPLE_ROWS`) and the held-out rows (at most :data:`VALIDATION_ROWS`) are read into
   memory and fitted exactly as an in-memory fit would: each node's family is chosen the same way
   (``mechanisms="auto"``), and stages that need every row at once (a least-squares regression by
   L-BFGS) run here.
2. **Epochs over every row.** Every node's mechanism then trains on all training rows, streamed
   row group by row group (the groups in a new order each epoch, the rows of a group shuffled), one
   optimiser per node and one pass of the file per epoch for all nodes together, with early
   stopping on the held-out rows and the best weights kept.

Memory holds the sample, the held-out rows and one row group at a time; the table itself never.
Rows are held out by a hash of their position (:func:`deepcausal.data.held_out`), so the split does
not depend on row groups or reading order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from deepcausal.data import ParquetSource, TabularEncoder, held_out
from deepcausal.errors import DataError, GraphError
from deepcausal.nn import Batch, BatchStream, LossTerms, Objective, Step, shuffled_batches, train
from deepcausal.scm._fit import DEFAULT_TRAINING
from deepcausal.scm._modular import fit_modular

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

__all__ = ["SAMPLE_ROWS", "VALIDATION_ROWS", "NodeStream", "fit_streamed"]

#: Training rows of the in-memory warm start (stage 1).
SAMPLE_ROWS = 100_000
#: Most held-out rows: the held-out fraction shrinks so that they fit in memory.
VALIDATION_ROWS = 100_000

#: Maps encoded values ``{node: tensor}`` of ``n`` rows to the batch ``(x_1, pa_1, x_2, ...)``.
Pairs = Callable[[Mapping[str, Tensor], int], tuple[Tensor, ...]]


class NodeStream(BatchStream):
    """Encoded ``(x, parents)`` pairs of several nodes, read from a :class:`ParquetSource`.

    Args:
        source: the table.
        encoder: the fitted encoder of the nodes' variables.
        pairs: builds one batch ``(x_1, pa_1, x_2, pa_2, ...)`` from encoded values.
        fraction: share of rows held out (by :func:`held_out` with ``seed``).
        seed: the split's seed.
        validation: the held-out rows, already read and paired (``()`` for none).
    """

    def __init__(
        self,
        source: ParquetSource,
        encoder: TabularEncoder,
        pairs: Pairs,
        fraction: float,
        seed: int,
        validation: Batch,
    ) -> None:
        self.source, self.encoder, self.pairs = source, encoder, pairs
        self.fraction, self.seed = fraction, seed
        self._validation = validation
        n_val = int(validation[0].shape[0]) if validation else 0
        self.n_train = source.n_rows - n_val

    def batches(self, epoch: int, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = [int(k) for k in rng.permutation(self.source.n_row_groups)]
        schema = self.encoder.schema
        pieces = (
            self.pairs(
                {k: torch.as_tensor(v) for k, v in self.encoder.encode(frame[~mask]).items()},
                int((~mask).sum()),
            )
            for frame, mask in self.source.split_frames(
                list(schema.columns), self.fraction, self.seed, order
            )
        )
        return shuffled_batches(pieces, batch_size, rng)

    def validation(self) -> Batch:
        return self._validation


def fit_streamed(
    scm: DeepSCM,
    data: str | os.PathLike[str] | ParquetSource,
    *,
    sample_rows: int = SAMPLE_ROWS,
    validation_rows: int = VALIDATION_ROWS,
) -> DeepSCM:
    """Fit ``scm`` to a Parquet file or directory in two stages (see the module docstring);
    ``DeepSCM.fit(path)`` calls this with the defaults.

    Args:
        scm: the model to fit (fitted in place and returned).
        data: a Parquet file, a directory of them, or a :class:`ParquetSource`.
        sample_rows: about how many training rows the in-memory warm start fits.
        validation_rows: at most about this many rows are held out (the configured validation
            fraction shrinks to fit).

    Raises:
        GraphError: the graph has bidirected edges (c-components are fitted in memory only).
        SchemaError: a node without a column in the files, NaN or values of the wrong type in
            some row group (the message names the column and the table rows).
        DataError: the path is not Parquet, or holds fewer than 2 rows.
    """
    start = time.perf_counter()
    if scm._components:
        raise GraphError(
            "a DeepSCM with hidden confounders (bidirected edges) fits in memory only; load the "
            "rows into a DataFrame, or stream a graph without bidirected edges"
        )
    source = data if isinstance(data, ParquetSource) else ParquetSource(data)
    nodes = scm.graph.nodes
    if scm.schema is not None:
        scm.schema.check_graph(nodes)
        schema = scm.schema.subset(nodes)
        source.check_columns(schema.columns)
    else:
        source.check_columns(nodes)
        schema = source.infer_schema(list(nodes))
    encoder = source.fit_encoder(schema)
    base = scm.training or DEFAULT_TRAINING
    seed = int(np.random.SeedSequence(scm.random_state).generate_state(1)[0])
    fraction = source.held_out_share(base.validation_fraction, validation_rows)
    share = sample_rows / source.n_rows

    # stage 1: the held-out rows and a sample of the training rows, in memory
    frames, n_val, kept = [], 0, []
    for first, frame in source.frames(list(schema.columns)):
        rows = np.arange(first, first + len(frame))
        val = held_out(rows, fraction, seed)
        pick = val | held_out(rows, share, seed + 1)
        frames.append(frame[pick])
        kept.append(val[pick])
        n_val += int(val.sum())
    sample = pd.concat(frames)
    is_val = np.concatenate(kept)
    values = {k: torch.as_tensor(v) for k, v in encoder.encode(sample, nodes).items()}
    split = (
        torch.as_tensor(np.flatnonzero(~is_val)),
        torch.as_tensor(np.flatnonzero(is_val)),
    )
    if len(split[0]) == 0:
        raise DataError(f"{str(source.path)!r}: every row is held out; lower validation_fraction")
    fit_modular(scm, schema, encoder, values, len(sample), split=split)

    # stage 2: every training row, streamed, all nodes in one pass per epoch
    order = list(scm._order())

    def pairs(vals: Mapping[str, Tensor], n: int) -> tuple[Tensor, ...]:
        out: list[Tensor] = []
        for node in order:
            out += [vals[node], scm._parent_features(node, vals, n)]
        return tuple(out)

    val_rows = {k: v[split[1]] for k, v in values.items()}
    stream = NodeStream(
        source, encoder, pairs, fraction, seed,
        pairs(val_rows, len(split[1])) if len(split[1]) else (),
    )  # fmt: skip
    model = nn.ModuleDict({node: scm.mechanisms_[node] for node in order})
    config = replace(
        base, device=scm.device_, progress=scm.progress and base.progress, random_state=seed
    )
    result = train(
        model, _joint_objective(scm, order), stream, config, description="DeepSCM (streamed)"
    )
    scm.stream_history_ = result
    scm.training_info_ = {
        **scm.training_info_,
        "streamed_rows": source.n_rows,
        "held_out_rows": n_val,
        "warm_start_rows": len(split[0]),
        "seconds": round(time.perf_counter() - start, 3),
    }
    return scm


def _joint_objective(scm: DeepSCM, order: list[str]) -> Objective:
    """Every node's objective over its slice ``(x_k, pa_k)`` of a joint batch: the steps side by
    side (one optimiser each, names prefixed by the node), validated by the sum of the nodes'
    validation scores."""
    steps: list[Step] = []
    checks: list[tuple[int, Callable[[Batch], Tensor]]] = []
    for k, node in enumerate(order):
        objective = scm.mechanisms_[node].objective(scm.mechanisms_[node].refine_parameters())
        for step in objective.steps:
            steps.append(replace(step, name=f"{node}: {step.name}", loss=_sliced(step.loss, k)))
        if objective.validation is not None:
            checks.append((k, objective.validation))

    def validation(batch: Batch) -> Tensor:
        total = torch.zeros((), device=batch[0].device)
        for k, check in checks:
            total = total + check(batch[2 * k : 2 * k + 2])
        return total

    return Objective(tuple(steps), validation if checks else None)


def _sliced(loss: Callable[[Batch], LossTerms], k: int) -> Callable[[Batch], LossTerms]:
    def sliced(batch: Batch) -> LossTerms:
        return loss(batch[2 * k : 2 * k + 2])

    return sliced
