"""``neural_identify``: decide from data whether an effect is identified, by NCM min/max.

Xia, Lee, Bengio & Bareinboim 2021 ("The causal-neural connection: expressiveness, learnability, and
inference", NeurIPS), Algorithm 1 and Section 4: fit, per seed, one NCM that maximises and one that
minimises the query while matching ``P(V)``; the query is identifiable iff every such pair agrees.
With finitely many seeds and samples the decision is ``gap + z * SE(gap) <= tau``.

What holds: the NCM family expresses every SCM over discrete variables (Xia et al., Theorem 1), so
for categorical data the decision is consistent as data, draws and steps grow. Continuous columns are
refused: no such expressivity result covers a neural model of continuous variables, and the gap
there measures the model class as much as the graph. Bin them, or ask for
``bounds(method="neural")``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch

from deepcausal.errors import NotIdentifiable
from deepcausal.graph import CausalGraph, as_graph
from deepcausal.ncm._discrete import DiscreteData, check_query, prepare_discrete
from deepcausal.ncm._fit import NCMConfig, Query, fit_ncm
from deepcausal.ncm._model import DiscreteNCM
from deepcausal.ncm._result import NeuralIdentification

__all__ = ["N_SEEDS", "TAU", "MinMaxFits", "ate_query", "neural_identify", "run_min_max"]

logger = logging.getLogger("deepcausal")

#: Default decision threshold on the gap between the largest and smallest fitted ATE.
TAU = 0.05
#: Default number of seeds (min/max pairs).
N_SEEDS = 4
#: One-sided 95% normal quantile.
Z = 1.65


def ate_query(
    data: DiscreteData, treatment: str, outcome: str, treated: Any, control: Any
) -> tuple[Query, float, str]:
    """The ATE as a differentiable query of a :class:`DiscreteNCM`, its range, and its text."""
    t_code = data.code(treatment, treated, "treated")
    c_code = data.code(treatment, control, "control")
    numbers = data.numeric(outcome)
    values = torch.as_tensor(numbers, dtype=torch.float32)
    scale = float(numbers.max() - numbers.min()) or 1.0

    def query(model: DiscreteNCM) -> torch.Tensor:
        v = values.to(model.configs.device)
        high = model.expectation({treatment: t_code}, outcome, v)
        low = model.expectation({treatment: c_code}, outcome, v)
        return high - low

    return query, scale, f"{treatment} -> {outcome}"


def decide(per_seed: list[tuple[float, float]], tau: float) -> tuple[float, float, bool]:
    """The mean min/max gap over seeds, its standard error, and ``gap + Z * SE <= tau``."""
    gaps = np.array([hi - lo for lo, hi in per_seed])
    se = float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) > 1 else 0.0
    gap = float(gaps.mean())
    return gap, se, bool(gap + Z * se <= tau)


class MinMaxFits(NamedTuple):
    """What :func:`run_min_max` found: the coded data, the query in words, and per seed the query's
    ``(min, max)`` over the fitted NCMs and the two fits' distances to the data."""

    data: DiscreteData
    text: str
    per_seed: list[tuple[float, float]]
    distances: list[tuple[float, float]]


def run_min_max(
    graph: CausalGraph,
    data: Any,
    build: Callable[[DiscreteData], tuple[Query, float, str]],
    *,
    purpose: str,
    advice: str,
    n_seeds: int,
    config: NCMConfig | None,
    random_state: int,
    device: str,
    label: str | None = None,
) -> MinMaxFits:
    """The min/max search of every neural query: code the data, build the query, fit NCM pairs.

    Args:
        graph, data: the checked graph and its DataFrame, coded by :func:`prepare_discrete`
            (whose messages name ``purpose`` and ``advice``).
        build: the query on the coded data: the query, its range and its text.
        n_seeds: min/max pairs; pair ``s`` fits with the seeds ``2 (1000 random_state + s)`` and
            that plus one.
        config: NCM fit settings (``None``: the defaults).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        label: what the fits' log lines call the search before the query's text (default:
            ``"{purpose} of"``).
    """
    prepared = prepare_discrete(graph, data, purpose=purpose, advice=advice)
    query, scale, text = build(prepared)
    config = config or NCMConfig()
    label = f"{label or purpose + ' of'} {text}"
    values: list[tuple[float, float]] = []
    distances: list[tuple[float, float]] = []
    for s in range(n_seeds):
        seed = random_state * 1000 + s
        low = fit_ncm(
            prepared,
            query,
            sign=-1.0,
            scale=scale,
            config=config,
            seed=2 * seed,
            device=device,
            description=f"{label} min, seed {s}",
        )
        high = fit_ncm(
            prepared,
            query,
            sign=1.0,
            scale=scale,
            config=config,
            seed=2 * seed + 1,
            device=device,
            description=f"{label} max, seed {s}",
        )
        values.append((low.value, high.value))
        distances.append((low.distance, high.distance))
    return MinMaxFits(prepared, text, values, distances)


def neural_identify(
    graph: CausalGraph | str,
    data: Any,
    treatment: str,
    outcome: str,
    *,
    treated: Any = 1,
    control: Any = 0,
    tau: float = TAU,
    n_seeds: int = N_SEEDS,
    config: NCMConfig | None = None,
    random_state: int = 0,
    device: str = "auto",
) -> NeuralIdentification:
    """Decide whether ``E[Y | do(T=treated)] - E[Y | do(T=control)]`` is identified, from data.

    Args:
        graph: an ADMG (``"X -> Y; X <-> Y"``), a graph file or a :class:`CausalGraph`.
        data: a DataFrame of discrete columns, one per node.
        treatment, outcome: node names.
        treated, control: the treatment values compared.
        tau: the decision threshold on the min/max gap (default :data:`TAU`).
        n_seeds: min/max pairs (default :data:`N_SEEDS`); the gap's SE is over these.
        config: NCM fit settings (:class:`~deepcausal.ncm.NCMConfig`).
        random_state: seed.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.

    Returns:
        :class:`NeuralIdentification`: ``.identifiable``, ``.lower``, ``.upper``, ``.gap``,
        ``.estimate`` (when identifiable), the per-seed values, and the ID algorithm's verdict.

    Raises:
        GraphError, DataError, SchemaError: as :func:`bounds`; continuous columns are refused.

    Examples:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> z = rng.integers(0, 2, 4000)
        >>> x = (rng.random(4000) < 0.2 + 0.6 * z).astype(int)
        >>> y = (rng.random(4000) < 0.1 + 0.5 * x + 0.3 * z).astype(int)
        >>> df = pd.DataFrame({"Z": z, "X": x, "Y": y})
        >>> res = neural_identify("Z -> X; Z -> Y; X -> Y", df, "X", "Y", n_seeds=1,
        ...                       config=NCMConfig(steps=300))
        >>> res.symbolic
        True
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    start = time.perf_counter()
    g = as_graph(graph)
    check_query(g, data, treatment, outcome)
    fits = run_min_max(
        g,
        data,
        lambda prepared: ate_query(prepared, treatment, outcome, treated, control),
        purpose="neural identification",
        advice="bin it (e.g. pandas.cut), or bound the effect with bounds(method='neural')",
        n_seeds=n_seeds,
        config=config,
        random_state=random_state,
        device=device,
    )
    gap, se, identifiable = decide(fits.per_seed, tau)
    lower = float(np.mean([lo for lo, _ in fits.per_seed]))
    upper = float(np.mean([hi for _, hi in fits.per_seed]))
    try:
        from deepcausal.identify import identify

        identify(g, treatment, outcome)
        symbolic: bool | None = True
    except NotIdentifiable:
        symbolic = False
    seconds = time.perf_counter() - start
    logger.info(
        "neural identification of %s -> %s: gap %.4f (SE %.4f), %s; %.1f s",
        treatment,
        outcome,
        gap,
        se,
        "identifiable" if identifiable else "not identifiable",
        seconds,
    )
    return NeuralIdentification(
        identifiable=identifiable,
        lower=lower,
        upper=upper,
        estimate=(lower + upper) / 2 if identifiable else None,
        treatment=treatment,
        outcome=outcome,
        treated=treated,
        control=control,
        tau=tau,
        z=Z,
        per_seed=tuple(fits.per_seed),
        fit_distance=tuple(fits.distances),
        symbolic=symbolic,
        seconds=seconds,
    )
