"""Evaluating a DeepSCM's structural equations with the shared engine (cut edges, latents), and the
encoding of intervention values and decoding of results in the user's units."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from deepcausal.errors import DataError, SchemaError
from deepcausal.graph import evaluate_structural

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM, InterventionValue

__all__ = ["apply_callable", "average_draws", "decode", "encode_value", "is_per_row", "propagate"]


def is_per_row(value: Any) -> bool:
    """Whether an intervention value gives one value per row (an array, list or Series)."""
    return isinstance(value, pd.Series | np.ndarray | list | tuple)


def propagate(
    scm: DeepSCM,
    noise: Mapping[str, Tensor],
    interventions: Mapping[str, InterventionValue],
    factual: Mapping[str, Tensor] | None,
    n: int,
    generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """Every node's value, in topological order, from its noise: an intervened node takes its
    set value (or a function of its natural one), a child of a cut edge sees an independent unit's
    value of that parent, and in a counterfactual (``factual`` given) the nodes no intervention
    reaches keep their factual values."""
    changed = (
        scm.graph.descendants(list(interventions), inclusive=True)
        if factual is not None
        else frozenset()
    )

    def equation(node: str, values: Mapping[str, Tensor]) -> Tensor:
        cut = [a for a, b in scm._cut if b == node]
        if cut:  # an independent unit's value for each cut parent
            view = dict(values)
            for a in cut:
                perm = torch.randperm(n, generator=generator).to(values[a].device)
                view[a] = values[a][perm]
            values = view
        return scm.mechanisms_[node].sample(scm._parent_features(node, values, n), noise[node])

    values = evaluate_structural(
        scm._order(),
        interventions,
        equation=equation,
        set_value=lambda node, value: encode_value(scm, node, value, n),
        shift=lambda node, func, natural: apply_callable(scm, node, func, natural),
        factual=factual,
        recompute=changed,
        initial=scm._draw_latents(n, generator),  # hidden confounders, if any
    )
    return {k: v for k, v in values.items() if k in scm.graph}


def encode_value(scm: DeepSCM, node: str, value: Any, n: int) -> Tensor:
    var = scm.schema_[node]
    if is_per_row(value):
        column = np.asarray(value)
        if column.shape[0] != n:
            raise DataError(f"intervention on {node!r} gives {column.shape[0]} values for {n} rows")
    else:
        column = np.repeat(np.asarray([value], dtype=object), n)
    if var.kind == "continuous":
        try:
            column = column.astype(float)
        except (TypeError, ValueError):
            raise SchemaError(
                f"intervention on continuous node {node!r} needs a number, got {value!r}"
            ) from None
    frame = pd.DataFrame({node: column})
    encoded = scm.encoder_.encode(frame, [node])[node]
    return torch.as_tensor(encoded, device=scm.device_)


def apply_callable(
    scm: DeepSCM, node: str, func: Callable[[np.ndarray], Any], natural: Tensor
) -> Tensor:
    current = scm.encoder_.decode({node: natural.cpu().numpy()})[node].to_numpy()
    return encode_value(scm, node, np.asarray(func(current)), natural.shape[0])


def decode(
    scm: DeepSCM,
    values: Mapping[str, Tensor],
    index: pd.Index,
    interventions: Mapping[str, InterventionValue],
) -> pd.DataFrame:
    arrays = {k: v.detach().cpu().numpy() for k, v in values.items()}
    nodes = list(scm.graph.nodes)
    columns = [c for node in nodes for c in scm.schema_[node].columns]  # image/vector nodes: many
    frame = scm.encoder_.decode(arrays, index=index)[columns]
    for node in nodes:
        if scm.schema_[node].kind == "continuous":
            bad = ~np.isfinite(frame[list(scm.schema_[node].columns)].to_numpy(dtype=float))
            bad = bad.any(axis=1)
            if bad.any():
                raise DataError(
                    f"node {node!r}: {int(bad.sum())} generated value(s) overflowed to inf or "
                    "NaN in the user's units; the model was asked far outside the range of "
                    "its training data (check the intervention values)"
                )
    for node, value in interventions.items():
        # a set continuous value comes back exactly, not through float32 standardisation
        if scm.schema_[node].kind == "continuous" and not callable(value):
            if scm.schema_[node].shape != ():
                continue  # a set image or vector: what the model holds is the float32 value
            column = np.asarray(value, dtype=float)
            frame[node] = np.broadcast_to(column, (len(frame),)) if column.ndim == 0 else column
    return frame


def average_draws(
    scm: DeepSCM, frame: pd.DataFrame, index: pd.Index, n_samples: int
) -> pd.DataFrame:
    """Each row's ``n_samples`` consecutive draws reduced to one row of ``index``: the mean for a
    continuous node (every column of an image or vector node), the most frequent value for a
    binary or categorical one (ties go to the value that appears first among all the draws). A
    column whose draws all agree (an intervened or factual node) keeps that value exactly. This is
    the counterfactual of Deep SCM's code (Pawlowski, Castro & Glocker 2020), averaged over
    posterior particles."""
    n = len(index)
    rows = np.repeat(np.arange(n), n_samples)
    out: dict[str, Any] = {}
    for node in scm.graph.nodes:
        var = scm.schema_[node]
        for column in var.columns:
            if var.kind == "continuous":
                block = frame[column].to_numpy(dtype=float).reshape(n, n_samples)
                mean = block.mean(axis=1)
                same = (block == block[:, :1]).all(axis=1)
                mean[same] = block[same, 0]
                out[column] = mean
            else:
                codes, uniques = pd.factorize(frame[column], sort=False)
                counts = np.zeros((n, len(uniques)), dtype=np.int64)
                np.add.at(counts, (rows, codes), 1)
                out[column] = pd.Series(uniques.take(counts.argmax(axis=1)), index=index)
    return pd.DataFrame(out, index=index)[list(frame.columns)]
