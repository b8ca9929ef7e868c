"""Hidden confounders in a DeepSCM: one latent per clique of bidirected edges, and the joint fit of
each confounded c-component.

A bidirected edge ``X <-> Y`` is a hidden common cause. Every maximal clique of bidirected edges
gets a latent ``L_Q ~ N(0, I)`` that each member's mechanism takes as extra parent features (a clique,
not the whole c-component, so that ``X <-> M <-> Y`` does not also confound ``X`` and ``Y``).
The latents are never observed, so the members of a c-component cannot be fitted one by one by
likelihood: they are fitted jointly, as in Modular-DCM (Rahman & Kocaoglu 2024), component by
component in topological order, with every other mechanism frozen.

The objective is the maximum mean discrepancy with a sum of Gaussian kernels of several bandwidths
(Gretton et al. 2012) between the data's rows of the component's ancestral set and rows the model
generates: the nodes upstream of
the component keep their observed values, the component and the nodes below it within the set are
generated from fresh latents and noise. It needs no critic (unlike a GAN's adversarial loss) and no
density (unlike an ELBO, which would need an encoder per component), its minimiser is the data's
distribution, and its gradient is unbiased on mini-batches. The members use the GAN family's
generator (an implicit sampler, ``abduction="none"``): a counterfactual would need the latents'
posterior, which this model does not learn, so counterfactual queries on confounded nodes are
refused (:func:`deepcausal.ncm.neural_counterfactual` answers them on discrete data).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import torch
from torch import Tensor, nn

from deepcausal.errors import CapabilityError, NotIdentifiable
from deepcausal.graph import CausalGraph
from deepcausal.mechanisms import Mechanism
from deepcausal.nn import (
    Callback,
    Objective,
    Step,
    TrainConfig,
    TrainResult,
    TrainState,
    energy_distance,
    train,
    validation_split,
)
from deepcausal.scm._fit import Candidate
from deepcausal.scm._propagate import encode_value

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

__all__ = [
    "CONFOUNDED_FAMILY",
    "LATENT_DIM",
    "EffectPush",
    "Push",
    "check_identified",
    "confounded_components",
    "fit_component",
    "fit_components",
    "latent_cliques",
    "latent_key",
    "refuse_counterfactual",
]

#: Width of each clique's latent.
LATENT_DIM = 3
#: Training settings of a component: the MMD of a mini-batch is too noisy a score to stop early by,
#: so a component trains for a fixed number of epochs; batches stay small (its cost is O(b^2)).
COMPONENT_TRAINING: dict[str, Any] = {
    "batch_size": 256,
    "lr": 2e-3,
    "max_epochs": 200,
}
#: The family of every member of a confounded c-component.
CONFOUNDED_FAMILY = "gan"


def latent_cliques(graph: CausalGraph) -> list[tuple[str, ...]]:
    """The maximal cliques of bidirected edges, each sorted in topological order."""
    if not graph.bidirected_edges:
        return []
    order = {v: i for i, v in enumerate(graph.topological_order())}
    bidirected = nx.Graph(list(graph.bidirected_edges))
    cliques = [tuple(sorted(q, key=order.__getitem__)) for q in nx.find_cliques(bidirected)]
    return sorted(cliques, key=lambda q: [order[v] for v in q])


def latent_key(index: int) -> str:
    """The name under which clique ``index``'s latent travels among node values."""
    return f"<latent {index}>"


def confounded_components(graph: CausalGraph) -> list[tuple[str, ...]]:
    """The c-components with a bidirected edge, in topological order of their first member.

    Raises:
        CapabilityError: two components each hold an ancestor of the other, so neither can be
            fitted first.
    """
    order = {v: i for i, v in enumerate(graph.topological_order())}
    comps = [tuple(sorted(c, key=order.__getitem__)) for c in graph.c_components() if len(c) > 1]
    comps.sort(key=lambda c: order[c[0]])
    for i, a in enumerate(comps):
        for b in comps[i + 1 :]:
            if graph.ancestors(list(a)) & set(b) and graph.ancestors(list(b)) & set(a):
                raise CapabilityError(
                    f"the confounded c-components {{{', '.join(a)}}} and {{{', '.join(b)}}} each "
                    "hold an ancestor of the other, so neither can be fitted first; this DeepSCM "
                    "fits components one at a time"
                )
    return comps


def refuse_counterfactual(graph: CausalGraph) -> None:
    """A DeepSCM with hidden confounders cannot abduct: refuse, and say what can."""
    if graph.bidirected_edges:
        raise CapabilityError(
            "counterfactual() needs each unit's exogenous noise, and a DeepSCM with hidden "
            "confounders does not learn the posterior of its latents; for discrete data, "
            "deepcausal.ncm.neural_counterfactual estimates (or bounds) effects on the treated "
            "and probabilities of necessity and sufficiency"
        )


def check_identified(graph: CausalGraph, treatment: Sequence[str], outcome: Sequence[str]) -> None:
    """Refuse a query on an ADMG that the ID algorithm cannot identify, naming the hedge."""
    from deepcausal.identify import identify

    if not graph.bidirected_edges or not outcome:
        return
    try:
        identify(graph, list(treatment), list(outcome))
    except NotIdentifiable as exc:
        raise NotIdentifiable(
            f"{exc}\nA DeepSCM fitted to these data could give any of many answers here, so it "
            "gives none; bound the effect instead with deepcausal.bounds(graph, data, treatment, "
            "outcome) (discrete data)"
        ) from None


def fit_components(
    scm: DeepSCM,
    modules: dict[str, Mechanism],
    history: dict[str, TrainResult],
    values: Mapping[str, Tensor],
    base: TrainConfig,
    seed: np.random.SeedSequence,
    push: EffectPush | None,
) -> list[Candidate]:
    """Fit every confounded c-component of ``scm`` in turn (the nodes in no bidirected edge are in
    ``modules`` already); store the members in ``modules`` and ``history`` and return their rows of
    ``selection_``."""
    if push is not None and not any(push.treatment in c for c in scm._components):
        raise CapabilityError(
            f"push needs the treatment {push.treatment!r} in a confounded c-component (a node "
            "with a bidirected edge); without one the effect is fitted, not pushed"
        )
    rows: list[Candidate] = []
    n = next(iter(values.values())).shape[0]
    device = scm.device_
    for component in scm._components:
        config = replace(
            base,
            progress=scm.progress and base.progress,
            random_state=int(seed.generate_state(1)[0]),
        )
        start = time.perf_counter()
        encoded = None
        if push is not None and push.treatment in component:
            encoded = Push(
                push.treatment,
                push.outcome,
                encode_value(scm, push.treatment, push.treated, 1),
                encode_value(scm, push.treatment, push.control, 1),
                push.sign,
                push.weight,
            )
        fitted, result = fit_component(
            component,
            scm.graph,
            modules,
            lambda v: scm._build_mechanism(v, CONFOUNDED_FAMILY),
            scm._parent_features,
            values,
            scm._cliques,
            config,
            validation_split(n, config),
            device,
            preferred=scm.training is None,
            push=encoded,
        )
        seconds = time.perf_counter() - start
        for v, mech in fitted.items():
            modules[v], history[v] = mech, result
            rows.append(
                Candidate(
                    v, CONFOUNDED_FAMILY, "mmd", result.best_val_loss, seconds, result.epochs, True
                )
            )
    return rows


def fit_component(
    component: tuple[str, ...],
    graph: CausalGraph,
    mechanisms: Mapping[str, Mechanism],
    build: Callable[[str], Mechanism],
    parent_features: Callable[[str, Mapping[str, Tensor], int], Tensor],
    values: Mapping[str, Tensor],
    cliques: Sequence[tuple[str, ...]],
    config: TrainConfig,
    split: tuple[Tensor, Tensor],
    device: torch.device,
    *,
    preferred: bool = True,
    push: Push | None = None,
) -> tuple[dict[str, Mechanism], TrainResult]:
    """Fit the members of one confounded c-component jointly (see the module docstring).

    Args:
        component: the members, in topological order.
        graph: the ADMG.
        mechanisms: the mechanisms fitted so far (frozen here).
        build: makes a fresh mechanism of :data:`CONFOUNDED_FAMILY` for a node.
        parent_features: a node's parent features (its latents included) from a dict of values.
        values: every node's encoded data.
        cliques: the graph's latent cliques.
        config: training settings.
        split: training and validation row indices.
        device: where to train.
        preferred: use :data:`COMPONENT_TRAINING` (else only cap the batch size of ``config``).
        push: an effect to push up or down while fitting (neural bounds).
    """
    order = graph.topological_order()
    members = set(component)
    scope = graph.ancestors(list(component), inclusive=True)
    below = graph.descendants(list(component), inclusive=True)
    generated = [v for v in order if v in scope and v in below]
    upstream = [v for v in order if v in scope and v not in below]
    missing = [v for v in generated if v not in members and v not in mechanisms]
    if missing:  # pragma: no cover - confounded_components orders the components
        raise CapabilityError(f"nodes {missing} must be fitted before {{{', '.join(component)}}}")
    own = [i for i, q in enumerate(cliques) if q[0] in members]
    fresh: dict[str, Any] = {v: build(v).to(device) for v in component}  # GAN mechanisms
    for v, mech in fresh.items():
        if mech.discrete:
            raise CapabilityError(
                f"node {v!r} is discrete and shares a hidden confounder; a DeepSCM fits confounded "
                "continuous nodes only: for discrete data use deepcausal.neural_identify and "
                "deepcausal.bounds"
            )
    frozen = {v: m.to(device) for v, m in mechanisms.items()}
    for m in frozen.values():
        m.requires_grad_(False)
    data = {k: v.to(device) for k, v in values.items()}
    columns = [v for v in order if v in scope]

    if push is not None and push.treatment not in members:
        raise CapabilityError(
            f"neural bounds need the treatment {push.treatment!r} in the confounded component "
            f"{{{', '.join(component)}}}"
        )
    if push is not None and push.outcome not in columns:
        raise CapabilityError(
            f"neural bounds need the outcome {push.outcome!r} among the ancestors of the "
            f"treatment's c-component {{{', '.join(component)}}}"
        )

    def generate(
        idx: Tensor, generator: torch.Generator | None = None, do: Mapping[str, Tensor] = {}
    ) -> Tensor:
        n = idx.shape[0]
        current: dict[str, Tensor] = {v: data[v][idx] for v in upstream}
        for i in own:
            current[latent_key(i)] = torch.randn(n, LATENT_DIM, generator=generator).to(device)
        for v in generated:
            if v in do:
                current[v] = do[v].to(device).expand(n, -1)
                continue
            parents = parent_features(v, current, n).to(device)
            if v in fresh:
                gan = fresh[v]
                u = gan.noise(n, generator=generator).to(device)
                current[v] = gan.generator(torch.cat([u, parents], dim=1), averaged=False)
            else:
                current[v] = frozen[v].sample(
                    parents, frozen[v].noise(n, generator=generator).to(device)
                )
        return _stack([current[v] for v in columns])

    schedule = _Epoch()

    def loss(batch: tuple[Tensor, ...]) -> dict[str, Tensor]:
        (idx,) = batch
        for gan in fresh.values():
            gan.generator.update()
        fake = generate(idx)
        obs = _stack([data[v][idx] for v in columns])
        terms = {"mmd": mmd(obs, fake)}
        if push is not None:  # bounded kernels lose their grip far from the data; the energy
            terms["energy"] = energy_distance(obs, fake)  # distance grows with the distance

            weight = push.weight(schedule.epoch / max(config.max_epochs, 1))
            if weight:
                y = columns.index(push.outcome)
                high = generate(idx, do={push.treatment: push.treated})[:, y].mean()
                low = generate(idx, do={push.treatment: push.control})[:, y].mean()
                terms["effect"] = -push.sign * weight * (high - low)
        return terms

    params: list[nn.Parameter] = [p for g in fresh.values() for p in g.generator.parameters()]
    objective = Objective((Step("mmd", loss, params),), validation=None)
    rows = torch.arange(next(iter(data.values())).shape[0])
    if preferred:
        cfg = replace(config, **COMPONENT_TRAINING)
    else:
        cfg = replace(config, batch_size=min(config.batch_size, COMPONENT_TRAINING["batch_size"]))
    holder = nn.ModuleDict(fresh)
    try:
        history = train(
            holder,
            objective,
            [rows],
            cfg,
            split=split,
            description=f"c-component {{{', '.join(component)}}}",
            callbacks=[schedule],
        )
    finally:  # the earlier mechanisms learn again whatever happens here
        for m in frozen.values():
            m.requires_grad_(True)
    return fresh, history


@dataclass(frozen=True)
class Push:
    """An effect pushed up (``sign=+1``) or down (``-1``) while a component fits.

    ``weight(progress)`` gives the push's weight at a share ``progress`` of the epochs; the effect is
    in the outcome's standardised units, like the MMD's inputs.
    """

    treatment: str
    outcome: str
    treated: Tensor
    control: Tensor
    sign: float
    weight: Callable[[float], float]


@dataclass(frozen=True)
class EffectPush:
    """Push an average effect up or down while the treatment's c-component fits (the neural
    bounds of Balazadeh, Syrgkanis & Krishnan 2022, with a penalty in place of their constraint).

    After a warm-up share of the epochs that only fits the data, the effect
    ``E[Y | do(T=treated)] - E[Y | do(T=control)]`` (standardised units) enters the loss with
    weight ``penalty[0]``, then decays log-linearly to ``penalty[1]``.

    Attributes:
        treatment, outcome, treated, control: the effect.
        sign: ``+1`` to push it up, ``-1`` down.
        penalty: the weight while pushing, and at the end; ``(0, 0)`` only fits (the model at
            the centre of the interval, fitted by the same objective as its two ends).
        warmup, push: shares of the epochs that only fit, and that push at full weight.
    """

    treatment: str
    outcome: str
    treated: Any
    control: Any
    sign: float
    penalty: tuple[float, float] = (0.05, 0.002)
    warmup: float = 0.3
    push: float = 0.3

    def weight(self, progress: float) -> float:
        if progress < self.warmup or self.penalty[0] == 0:
            return 0.0
        if progress < self.warmup + self.push:
            return self.penalty[0]
        rest = max(1.0 - self.warmup - self.push, 1e-9)
        t = min((progress - self.warmup - self.push) / rest, 1.0)
        return float(self.penalty[0] * (self.penalty[1] / self.penalty[0]) ** t)


class _Epoch(Callback):
    def __init__(self) -> None:
        self.epoch = 0

    def on_epoch_end(self, state: TrainState) -> None:
        self.epoch = state.epoch + 1


#: Bandwidths of the Gaussian kernels of :func:`mmd` (the data are standardised).
BANDWIDTHS = (0.1, 0.3, 1.0, 3.0)


def mmd(x: Tensor, y: Tensor) -> Tensor:
    """Squared maximum mean discrepancy with a sum of Gaussian kernels (Gretton et al. 2012; the
    bandwidths of :data:`BANDWIDTHS`, so both local dependence and overall shape count)."""
    xy = torch.cat([x, y], dim=0)
    d2 = torch.cdist(xy, xy).square()
    k = sum(torch.exp(-d2 / (2 * h * h)) for h in BANDWIDTHS)
    assert isinstance(k, Tensor)
    n = x.shape[0]
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def _stack(columns: list[Tensor]) -> Tensor:
    """Columns as one float matrix (codes of discrete nodes as floats)."""
    return torch.cat([c.float().reshape(c.shape[0], -1) for c in columns], dim=1)
