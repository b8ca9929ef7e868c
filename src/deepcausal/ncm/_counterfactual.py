"""Counterfactual queries under hidden confounding, estimated and decided by neural causal models.

GAN-NCM (Xia, Pan & Bareinboim 2023, "Neural causal models for counterfactual identification and
estimation", ICLR) fits NCMs to the data and reads a counterfactual off two worlds that share the
exogenous noise; whether the data determine it is decided as for effects, by the gap between NCMs
that maximise and minimise it. Here the two worlds are computed exactly
(:meth:`~deepcausal.ncm.DiscreteNCM.counterfactual_pairs`) rather than by rejection sampling.

Queries (``x`` = ``treated``, ``x'`` = ``control``, ``y`` = ``outcome_value``):

* ``"ett"``: the effect of treatment on the treated, ``E[Y_x - Y_x' | X = x]``;
* ``"necessity"``: the probability of necessity, ``P(Y_x' != y | X = x, Y = y)``;
* ``"sufficiency"``: the probability of sufficiency, ``P(Y_x = y | X = x', Y != y)``;
* ``"probability"``: ``P(Y_x = y | X = x')``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from deepcausal.errors import NotIdentifiable
from deepcausal.graph import CausalGraph, as_graph
from deepcausal.ncm._discrete import DiscreteData, check_query
from deepcausal.ncm._fit import NCMConfig, Query
from deepcausal.ncm._identify import N_SEEDS, TAU, Z, decide, run_min_max
from deepcausal.ncm._model import DiscreteNCM
from deepcausal.ncm._result import NeuralIdentification, envelope

__all__ = ["COUNTERFACTUAL_KINDS", "counterfactual_query", "neural_counterfactual"]

COUNTERFACTUAL_KINDS = ("ett", "necessity", "sufficiency", "probability")


def _conditional(
    model: DiscreteNCM,
    do: dict[str, int],
    node: str,
    weights: torch.Tensor,
    evidence: dict[str, list[int]],
) -> torch.Tensor:
    """``E[w(node in the world under do) | evidence in the factual world]``."""
    probs, factual, counterfactual = model.counterfactual_pairs(do)
    keep = torch.ones_like(probs, dtype=torch.bool)
    for v, codes in evidence.items():
        column = factual[:, model.index[v]]
        keep &= torch.isin(column, torch.as_tensor(codes, device=column.device))
    kept = probs * keep
    values = weights.to(probs.device)[counterfactual[:, model.index[node]]]
    return (kept * values).sum() / kept.sum().clamp_min(1e-12)


def counterfactual_query(
    data: DiscreteData,
    kind: str,
    treatment: str,
    outcome: str,
    treated: Any,
    control: Any,
    outcome_value: Any,
) -> tuple[Query, float, str]:
    """The query of ``kind`` as a differentiable function of an NCM, its range, and its text."""
    if kind not in COUNTERFACTUAL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(COUNTERFACTUAL_KINDS)}, got {kind!r}")
    x = data.code(treatment, treated, "treated")
    x0 = data.code(treatment, control, "control")
    card = data.categories[outcome].size
    if kind == "ett":
        numbers = torch.as_tensor(data.numeric(outcome), dtype=torch.float32)
        scale = float(numbers.max() - numbers.min()) or 1.0

        def ett(model: DiscreteNCM) -> torch.Tensor:
            evidence = {treatment: [x]}
            high = _conditional(model, {treatment: x}, outcome, numbers, evidence)
            low = _conditional(model, {treatment: x0}, outcome, numbers, evidence)
            return high - low

        return ett, scale, f"E[{outcome}_{treated} - {outcome}_{control} | {treatment}={treated}]"
    y = data.code(outcome, outcome_value, "outcome value")
    hit = torch.zeros(card)
    hit[y] = 1.0
    others = [k for k in range(card) if k != y]
    label = f"{outcome}={outcome_value}"
    if kind == "necessity":

        def pn(model: DiscreteNCM) -> torch.Tensor:
            evidence = {treatment: [x], outcome: [y]}
            return 1.0 - _conditional(model, {treatment: x0}, outcome, hit, evidence)

        return (
            pn,
            1.0,
            f"P({outcome}_{control} != {outcome_value} | {treatment}={treated}, {label})",
        )
    if kind == "sufficiency":

        def ps(model: DiscreteNCM) -> torch.Tensor:
            evidence = {treatment: [x0], outcome: others}
            return _conditional(model, {treatment: x}, outcome, hit, evidence)

        return (
            ps,
            1.0,
            f"P({outcome}_{treated} = {outcome_value} | {treatment}={control}, {outcome} != {outcome_value})",
        )

    def prob(model: DiscreteNCM) -> torch.Tensor:
        return _conditional(model, {treatment: x}, outcome, hit, {treatment: [x0]})

    return prob, 1.0, f"P({outcome}_{treated} = {outcome_value} | {treatment}={control})"


def neural_counterfactual(
    graph: CausalGraph | str,
    data: Any,
    treatment: str,
    outcome: str,
    *,
    kind: str = "ett",
    treated: Any = 1,
    control: Any = 0,
    outcome_value: Any = 1,
    bounds: bool = False,
    tau: float = TAU,
    n_seeds: int = N_SEEDS,
    config: NCMConfig | None = None,
    random_state: int = 0,
    device: str = "auto",
) -> NeuralIdentification:
    """Estimate a counterfactual query from discrete data by NCM min/max (see the module).

    Args:
        graph, data, treatment, outcome, treated, control: as :func:`neural_identify`.
        kind: ``"ett"``, ``"necessity"``, ``"sufficiency"`` or ``"probability"``.
        outcome_value: the outcome value ``y`` of the probability queries.
        bounds: return the range when the query is not identified, instead of raising.
        tau, n_seeds, config, random_state, device: as :func:`neural_identify`.

    Returns:
        :class:`NeuralIdentification` whose ``estimate`` is the query's value when identified.

    Raises:
        NotIdentifiable: the NCMs that fit the data disagree on the query by more than ``tau``
            (and ``bounds`` is false); the message gives their range.
    """
    start = time.perf_counter()
    g = as_graph(graph)
    check_query(g, data, treatment, outcome)
    fits = run_min_max(
        g,
        data,
        lambda prepared: counterfactual_query(
            prepared, kind, treatment, outcome, treated, control, outcome_value
        ),
        purpose="counterfactual queries",
        advice="bin it (e.g. pandas.cut)",
        n_seeds=n_seeds,
        config=config,
        random_state=random_state,
        device=device,
        label="counterfactual",
    )
    per_seed, text = fits.per_seed, fits.text
    gap, _, identifiable = decide(per_seed, tau)
    lower, upper = envelope(per_seed)
    if not identifiable and not bounds:
        raise NotIdentifiable(
            f"{text} is not identifiable from these data in this graph: neural causal models that "
            f"fit the data give values from {lower:.4f} to {upper:.4f} (mean gap over seeds "
            f"{gap:.4f}, plus its standard-error margin, > tau {tau}); pass bounds=True for the "
            "interval"
        )
    mid = float(np.mean([(lo + hi) / 2 for lo, hi in per_seed]))
    return NeuralIdentification(
        identifiable=identifiable,
        lower=lower,
        upper=upper,
        estimate=mid if identifiable else None,
        treatment=treatment,
        outcome=outcome,
        treated=treated,
        control=control,
        tau=tau,
        z=Z,
        per_seed=tuple(per_seed),
        fit_distance=tuple(fits.distances),
        symbolic=None,
        seconds=time.perf_counter() - start,
        query=text,
    )
