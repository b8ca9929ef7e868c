"""The modular fit of a DeepSCM: one job per node (run in parallel where asked), then the
confounded c-components, then the selection table."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from torch import Tensor

from deepcausal.data import Schema, TabularEncoder
from deepcausal.mechanisms import Mechanism
from deepcausal.nn import TrainResult, as_strategy, validation_split
from deepcausal.parallel import parallel_map
from deepcausal.scm._fit import DEFAULT_TRAINING, Candidate, NodeJob, fit_node
from deepcausal.scm._latent import EffectPush, fit_components

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

__all__ = ["fit_modular"]


def fit_modular(
    scm: DeepSCM,
    schema: Schema,
    encoder: TabularEncoder,
    values: dict[str, Tensor],
    n: int,
    push: EffectPush | None = None,
    split: tuple[Tensor, Tensor] | None = None,
) -> DeepSCM:
    """Fit the mechanisms to encoded ``values`` (``n`` rows; ``split`` holds out the same rows
    for every node when given)."""
    nodes = scm.graph.nodes
    strategy = as_strategy(scm.device)
    device = strategy.device
    base = scm.training or DEFAULT_TRAINING
    seeds = np.random.SeedSequence(scm.random_state).spawn(len(nodes) + 1)
    modules: dict[str, Mechanism] = {}
    history: dict[str, TrainResult] = {}
    scm.schema_ = schema
    scm.encoder_ = encoder
    scm.device_ = device
    scm.push_ = push
    candidates: list[Candidate] = []
    confounded = {v for c in scm._components for v in c}
    jobs = []
    for i, node in enumerate(scm._order()):
        if node in confounded:
            continue  # fitted with its c-component below
        node_seed = int(seeds[i].generate_state(1)[0])
        config = replace(
            base,
            device=device,
            progress=scm.progress and base.progress,
            random_state=node_seed,
        )
        jobs.append(
            NodeJob(
                node,
                tuple(scm._candidates(node)),
                partial(scm._build_mechanism, node),
                values[node],
                scm._parent_features(node, values, n),
                config,
                validation_split(n, config) if split is None else split,
                node_seed,
                device,
                stop_early=scm._family_spec(node) == "auto",
                preferred=scm.training is None,
            )
        )
    for job, (mech, result, tried) in zip(
        jobs,
        parallel_map(
            fit_node,
            jobs,
            n_jobs=scm.n_jobs,
            backend=scm.backend,
            description="DeepSCM",
            progress=scm.progress,
        ),
        strict=True,
    ):
        modules[job.node], history[job.node] = mech.to(device), result
        candidates.extend(tried)
    candidates += fit_components(
        scm, modules, history, values, replace(base, device=device), seeds[-1], push
    )
    selection = pd.DataFrame(
        [vars(c) for c in candidates],
        columns=["node", "family", "metric", "score", "seconds", "epochs", "chosen"],
    ).set_index(["node", "family"])
    scm.selection_ = selection
    scm.training_info_ = strategy.describe()
    scm.mechanisms_ = modules
    scm.history_ = history
    scm.device_ = device
    scm._sampling_seed = np.random.SeedSequence(seeds[-1].generate_state(4).tolist())
    return scm
