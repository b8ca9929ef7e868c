"""The abduction, action and prediction of :meth:`DeepSCM.counterfactual`, one chunk of rows at a
time, so that many draws of many image rows do not hold every activation of the image network in
memory at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from deepcausal.errors import DataError
from deepcausal.scm._propagate import average_draws, decode, is_per_row, propagate

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

__all__ = ["DRAWS_PER_PASS", "counterfactual_frame"]

#: Most rows x draws that one pass through the networks takes (4,096 28 x 28 images through a
#: 32-channel convolution: 0.4 GB per activation).
DRAWS_PER_PASS = 4096


def counterfactual_frame(
    scm: DeepSCM,
    factual: pd.DataFrame,
    interventions: Mapping[str, Any],
    recomputed: list[str],
    n_samples: int,
    generator: torch.Generator,
    average: bool,
) -> pd.DataFrame:
    """The counterfactual rows of ``factual`` (validated, image cells flattened), in chunks of at
    most :data:`DRAWS_PER_PASS` rows x draws; a per-row intervention value is split with them."""
    n = len(factual)
    for node, value in interventions.items():
        if is_per_row(value) and np.asarray(value).shape[0] != n:
            raise DataError(
                f"intervention on {node!r} gives {np.asarray(value).shape[0]} values for {n} rows"
            )
    nodes = list(scm.graph.nodes)
    unchanged = set(nodes) - scm.graph.descendants(list(interventions), inclusive=True)

    def chunk(rows: pd.DataFrame, acts: Mapping[str, Any]) -> pd.DataFrame:
        encoded = scm.encoder_.encode(rows, nodes)
        index = rows.index
        if n_samples > 1:
            encoded = {k: np.repeat(v, n_samples, axis=0) for k, v in encoded.items()}
            names = rows.index.names if rows.index.names != [None] else ["row"]
            index = pd.MultiIndex.from_arrays(
                [
                    np.repeat(rows.index.to_numpy(), n_samples),
                    np.tile(np.arange(n_samples), len(rows)),
                ],
                names=[*names, "sample"],
            )
            acts = {
                k: np.repeat(np.asarray(v), n_samples) if is_per_row(v) else v
                for k, v in acts.items()
            }
        with torch.no_grad():
            observed = {k: torch.as_tensor(v, device=scm.device_) for k, v in encoded.items()}
            noise = {
                node: scm.mechanisms_[node].abduct(
                    observed[node],
                    scm._parent_features(node, observed, len(index)),
                    generator=generator,
                )
                for node in recomputed
            }
            values = propagate(scm, noise, acts, factual=observed, n=len(index))
        frame = decode(scm, values, index, acts)
        # non-descendants keep the user's own values, untouched by the float32 encoding
        for node in unchanged:
            frame[node] = np.repeat(rows[node].to_numpy(), n_samples)
        return (
            average_draws(scm, frame, rows.index, n_samples) if average and n_samples > 1 else frame
        )

    step = max(1, DRAWS_PER_PASS // n_samples)
    parts = []
    for start in range(0, n, step):
        part = slice(start, start + step)
        acts = {k: np.asarray(v)[part] if is_per_row(v) else v for k, v in interventions.items()}
        parts.append(chunk(factual.iloc[part], acts))
    return parts[0] if len(parts) == 1 else pd.concat(parts)
