"""Fitting one node of a DeepSCM: its candidate families, each trained by the one training loop, and
a choice between them by a held-out score that is fair across families.

The score is the held-out negative log-likelihood where every candidate has a log-density (flows,
noise models, Gumbel-max), and otherwise the energy distance between the held-out rows
``(pa, x)`` and the model's draws ``(pa, x̂)`` at the same parents: likelihoods are not comparable
with a family that has none (a GAN, a diffusion model, a VAE's bound), whereas a two-sample
statistic scores every sampler on the same footing and needs no kernel bandwidth.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from deepcausal.mechanisms import Mechanism
from deepcausal.nn import TrainConfig, TrainResult, energy_distance, train

__all__ = [
    "AUTO_CONTINUOUS",
    "AUTO_HYPER",
    "DEFAULT_TRAINING",
    "HETEROSCEDASTICITY_ALPHA",
    "Candidate",
    "NodeJob",
    "fit_node",
]

#: Optimisation defaults for fitting mechanisms when ``training`` is not given. Large batches: a
#: step of a small flow costs about the same at 1024 rows as at 256 on a CPU (per-operation
#: overhead dominates), so an epoch is ~3x cheaper, and with a higher learning rate the flows reach
#: the same validation likelihood in far less time. Early stopping ignores gains below 1e-3 nats,
#: which only prolonged training on sharp-edged densities, and after five epochs without such a
#: gain the flows of benchmarks/scm_ladder.py gave the same counterfactuals as after ten.
DEFAULT_TRAINING = TrainConfig(max_epochs=200, batch_size=1024, lr=5e-3, patience=5, min_delta=1e-3)

#: The families that ``mechanisms="auto"`` fits for a continuous node with parents, simplest first
#: (a continuous root gets the first alone).
AUTO_CONTINUOUS: tuple[str, ...] = ("additive", "flow")

#: Hyper-parameters ``"auto"`` gives its candidates, beneath any the user passes. The flow models
#: the residual of a regression fitted first (the additive family's least-squares stage, see
#: :mod:`deepcausal.mechanisms._location`), so the trend off the data's support comes from that
#: regression rather than from the flow's conditioner, as CARD does for diffusion (Han, Zheng &
#: Zhou, NeurIPS 2022). On the non-additive ladder SCMs (seeds 0-2) it lowered the counterfactual
#: RMSE under ``"auto"`` from 0.084 to 0.072 sd (chain-heteroscedastic), 0.115 to 0.091
#: (triangle-nonadditive) and 0.095 to 0.054 (large-backdoor-nonadditive): docs/benchmarks.md.
AUTO_HYPER: dict[str, dict[str, Any]] = {"flow": {"mean": "regression"}}

#: Significance level of the residual test that decides whether ``"auto"`` also fits a flow.
HETEROSCEDASTICITY_ALPHA = 0.01

#: Held-out rows used by the energy-distance score (it costs O(rows²)).
ENERGY_ROWS = 2000


@dataclass(frozen=True)
class Candidate:
    """One family fitted for one node, with its held-out score.

    Attributes:
        node: the node.
        family: the mechanism family.
        metric: ``"nll"`` (held-out negative log-likelihood per row) or ``"energy"`` (energy
            distance between held-out rows and model draws at the same parents).
        score: the held-out score, lower is better.
        seconds: wall time of the fit (the stage before the loop included).
        epochs: epochs the training loop ran.
        chosen: whether this family was kept.
    """

    node: str
    family: str
    metric: str
    score: float
    seconds: float
    epochs: int
    chosen: bool


@dataclass(frozen=True)
class NodeJob:
    """What :func:`fit_node` fits for one node, as one picklable value (a fit can run in another
    process: :func:`deepcausal.parallel.parallel_map`).

    ``stop_early`` (``mechanisms="auto"``) fits the candidates after the first only where White's
    test finds the first (additive) model's residual spread depending on the parents;
    ``preferred`` (no training settings from the user) trains each family with its
    ``preferred_training`` over ``config``."""

    node: str
    families: Sequence[str]
    build: Callable[[str], Mechanism]
    x: Tensor
    parents: Tensor
    config: TrainConfig
    split: tuple[Tensor, Tensor]
    seed: int
    device: torch.device
    stop_early: bool = False
    preferred: bool = False


def fit_node(job: NodeJob) -> tuple[Mechanism, TrainResult, list[Candidate]]:
    """Fit every candidate family of ``job.node`` and keep the best by a fair held-out score."""
    node, x, parents, config, split, seed = (
        job.node, job.x, job.parents, job.config, job.split, job.seed
    )  # fmt: skip
    stop_early, preferred, build, device = job.stop_early, job.preferred, job.build, job.device
    fitted: list[tuple[Mechanism, TrainResult, float]] = []
    for family in job.families:
        if stop_early and fitted and _additive_noise_holds(fitted[0][0], x, parents, split):
            break
        torch.manual_seed(seed)
        mech = build(family)
        if fitted:  # e.g. auto's flow takes the additive model's regression rather than refit it
            mech.reuse(fitted[0][0])
        mech.to(device)
        start = time.perf_counter()
        objective = mech.objective(mech.prefit(x, parents, *split))
        result = train(
            mech,
            objective,
            [x, parents],
            replace(config, **mech.preferred_training) if preferred else config,
            split=split,
            description=f"mechanism {node} ({mech.name})",
        )
        fitted.append((mech, result, time.perf_counter() - start))
    metric, scores, best = _select([m for m, _, _ in fitted], x, parents, split, seed)
    candidates = [
        Candidate(node, m.name, metric, score, seconds, r.epochs, k == best)
        for k, ((m, r, seconds), score) in enumerate(zip(fitted, scores, strict=True))
    ]
    return fitted[best][0], fitted[best][1], candidates


def _additive_noise_holds(
    mech: Mechanism, x: Tensor, parents: Tensor, split: tuple[Tensor, Tensor]
) -> bool:
    """Whether White's test on the additive model's training residuals finds no dependence of
    their spread on the parents (p >= :data:`HETEROSCEDASTICITY_ALPHA`): then no other family is
    fitted. Where the test rejects, the others are fitted and :func:`_select` compares them."""
    test = getattr(mech, "residual_dependence", None)
    if test is None:
        return False
    rows = split[0]
    return bool(test(x[rows], parents[rows]) >= HETEROSCEDASTICITY_ALPHA)


def _select(
    mechs: list[Mechanism], x: Tensor, parents: Tensor, split: tuple[Tensor, Tensor], seed: int
) -> tuple[str, list[float], int]:
    """The metric, each candidate's held-out score, and the index of the one to keep.

    Where every candidate has a log-density: the first (simplest) candidate unless a later one has
    a lower held-out negative log-likelihood by more than two standard errors of the paired per-row
    difference. Under ``"auto"`` the first is the additive noise model: where noise is additive it
    is the correct, identifiable class and its counterfactuals ``f(pa') - f(pa) + x`` carry only the
    regression's error, while a flow is chosen where the data show it fits better. Otherwise: the
    lowest energy distance (held-out rows when there are any, the training rows otherwise).
    """
    rows = split[1] if len(split[1]) else split[0]
    xs, pa = x[rows], parents[rows]
    with torch.no_grad():
        if all(m.has_log_prob for m in mechs):
            nll = [-m.log_prob(xs, pa).cpu().double() for m in mechs]
            best = 0
            for j in range(1, len(mechs)):
                diff = nll[best] - nll[j]  # > 0 where candidate j fits better
                diff = diff[torch.isfinite(diff)]
                se = float(diff.std()) / math.sqrt(len(diff)) if len(diff) >= 2 else math.inf
                if len(diff) >= 2 and float(diff.mean()) > 2 * se:
                    best = j
            return "nll", [float(v.mean()) for v in nll], best
        scores = [energy_score(m, xs, pa, seed) for m in mechs]
    return "energy", scores, min(range(len(mechs)), key=lambda k: (scores[k], k))


def energy_score(mech: Mechanism, x: Tensor, parents: Tensor, seed: int) -> float:
    """Energy distance between ``(parents, x)`` and ``(parents, x̂)``, ``x̂`` drawn by ``mech`` at
    the same parents (at most :data:`ENERGY_ROWS` rows)."""
    n = min(int(x.shape[0]), ENERGY_ROWS)
    x, parents = x[:n], parents[:n]
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        drawn = mech.sample(parents, generator=gen)
    real = torch.cat([parents.float().cpu(), _as_features(mech, x)], dim=1)
    fake = torch.cat([parents.float().cpu(), _as_features(mech, drawn)], dim=1)
    return float(energy_distance(real, fake))


def _as_features(mech: Mechanism, values: Tensor) -> Tensor:
    if mech.discrete:
        return torch.nn.functional.one_hot(values.long().cpu(), mech.dim).float()
    return values.float().cpu()
