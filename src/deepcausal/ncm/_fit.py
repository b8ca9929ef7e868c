"""Fitting a discrete neural causal model to data while pushing a query up or down.

Xia, Lee, Bengio & Bareinboim 2021 decide identification by training two NCMs per seed on the
same data, one maximising and one minimising the query, under a penalty that decays from strong
to negligible: ``loss = CE(P_data, P_model) - sign * lambda_t * query / range``, with ``lambda_t``
held at ``penalty[0]`` after a warm-up that only fits the data, then decaying log-linearly to
``penalty[1]``; a small penalty on the squared logits keeps the mechanisms from saturating. Where the query is identified every model
that fits the data agrees on it, so the two runs meet; where it is not, they part by as much as
the data allow. The fits run in the one training loop (:func:`deepcausal.nn.train`): each epoch is
one full-table step, and a callback advances the penalty schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from deepcausal.ncm._discrete import DiscreteData
from deepcausal.ncm._model import DiscreteNCM
from deepcausal.nn import Callback, Objective, Step, TrainConfig, TrainState, seed_everything, train

__all__ = ["NCMConfig", "NCMFit", "Query", "fit_ncm"]

#: A query of a model: ``model -> scalar tensor``, differentiable in its parameters.
Query = Callable[[DiscreteNCM], Tensor]


@dataclass(frozen=True)
class NCMConfig:
    """Settings of one NCM fit.

    Attributes:
        steps: optimiser steps (each over the whole probability table).
        lr: Adam learning rate.
        states: latent states per confounded component (``None``: its number of response types,
            capped at :data:`~deepcausal.ncm._model.MAX_STATES`).
        hidden: hidden widths of each node's MLP.
        penalty: the query weight while pushing, and at the end.
        warmup: share of the steps that only fit the data (no push).
        push: share of the steps at the full push, after the warm-up; the weight then decays
            log-linearly to ``penalty[1]``.
        saturation: weight of the mean squared logit, which keeps the softmax outputs from
            saturating (a saturated model stops learning).
    """

    steps: int = 1500
    lr: float = 0.02
    states: int | None = None
    hidden: tuple[int, ...] = (32, 32)
    penalty: tuple[float, float] = (0.3, 0.01)
    warmup: float = 0.2
    push: float = 0.3
    saturation: float = 1e-3

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be positive, got {self.steps}")
        if not (self.penalty[0] > 0 and self.penalty[1] > 0):
            raise ValueError(f"penalty weights must be positive, got {self.penalty}")
        if not (self.warmup >= 0 and self.push >= 0 and self.warmup + self.push <= 1):
            raise ValueError(
                f"warmup and push must be shares summing to <= 1, got {self.warmup}, {self.push}"
            )

    def weight(self, step: int) -> float:
        """The query weight at ``step``."""
        frac = min(step, self.steps) / self.steps
        if frac < self.warmup:
            return 0.0
        if frac < self.warmup + self.push:
            return self.penalty[0]
        rest = 1.0 - self.warmup - self.push
        t = (frac - self.warmup - self.push) / rest if rest > 0 else 1.0
        start, end = math.log(self.penalty[0]), math.log(self.penalty[1])
        return math.exp(start + t * (end - start))


@dataclass(frozen=True)
class NCMFit:
    """One fitted model, the query's value on it, and how far its ``P(V)`` is from the data's."""

    model: DiscreteNCM
    value: float
    distance: float


class _Schedule(Callback):
    def __init__(self) -> None:
        self.step = 0

    def on_epoch_end(self, state: TrainState) -> None:
        self.step = state.epoch + 1


def fit_ncm(
    data: DiscreteData,
    query: Query,
    *,
    sign: float,
    scale: float,
    config: NCMConfig,
    seed: int,
    device: str | torch.device = "auto",
    description: str = "NCM",
) -> NCMFit:
    """Fit one NCM to ``data``'s joint table while pushing ``query`` in direction ``sign``.

    Args:
        data: the coded data.
        query: what to maximise (``sign=+1``), minimise (``-1``) or just report (``0``).
        scale: the query's range, so the penalty is unit-free.
        config: fit settings.
        seed: seeds the initialisation and the latent draws.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        description: label of the log line.
    """
    seed_everything(seed)
    model = DiscreteNCM(
        data.graph, data.nodes, data.cards, states=config.states, hidden=config.hidden
    )
    target = torch.as_tensor(data.joint().reshape(-1), dtype=torch.float32)
    schedule = _Schedule()

    def loss(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        log_p = model.log_prob()
        terms = {
            "cross_entropy": -(target.to(log_p.device) * log_p).sum(),
            "saturation": config.saturation * model.energy,
        }
        weight = config.weight(schedule.step)
        if sign and weight:
            terms["query"] = -sign * weight * query(model) / scale
        return terms

    params = list(model.parameters())
    objective = Objective((Step("ncm", loss, params, lr=config.lr),), validation=None)
    cfg = TrainConfig(
        max_epochs=config.steps,
        batch_size=1,
        validation_fraction=0.0,
        progress=False,
        device=device,
        random_state=seed,
        max_grad_norm=10.0,
    )
    train(model, objective, [torch.zeros(1)], cfg, description=description, callbacks=[schedule])
    with torch.no_grad():
        value = float(query(model))
        fitted = torch.exp(model.log_prob()).cpu().numpy()
    distance = 0.5 * float(np.abs(fitted - target.numpy()).sum())
    return NCMFit(model, value, distance)
