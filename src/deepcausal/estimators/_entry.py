"""Graph-aware entry point: identify the effect, pick an adjustment set, fit an estimator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.errors import DataError, DeepCausalError, GraphError
from deepcausal.estimators._aipw import AIPW
from deepcausal.estimators._base import BaseEffectEstimator, Effect
from deepcausal.estimators._dml import DML
from deepcausal.estimators._dragonnet import DragonNet
from deepcausal.estimators._ipw import IPW
from deepcausal.estimators._matching import PSMatching
from deepcausal.estimators._regression import RegressionAdjustment
from deepcausal.estimators._tarnet import CFRNet, TARNet
from deepcausal.graph import CausalGraph
from deepcausal.identify import Estimand, identify

#: Method names accepted by :func:`estimate_effect` and the ``deepcausal effect`` command.
METHODS: dict[str, Callable[..., BaseEffectEstimator]] = {
    "tarnet": TARNet,
    "cfr": functools.partial(CFRNet, ipm="wasserstein"),
    "cfr-wass": functools.partial(CFRNet, ipm="wasserstein"),
    "cfr-mmd": functools.partial(CFRNet, ipm="mmd-linear"),
    "cfr-mmd-rbf": functools.partial(CFRNet, ipm="mmd-rbf"),
    "dragonnet": DragonNet,
    "ipw": IPW,
    "matching": PSMatching,
    "aipw": AIPW,
    "dml": DML,
    "regression": RegressionAdjustment,
}

_CONSTANT = "(intercept)"


@dataclass(frozen=True)
class EffectEstimate:
    """The answer of :func:`estimate_effect`.

    Attributes:
        estimand: the identified estimand (a formula over observational distributions).
        adjustment_set: the back-door set the estimator adjusted for (minimal, node order).
        estimator: the fitted estimator (call ``att()``, ``effect(X)`` ... on it).
        effect: the average treatment effect with its interval.
        treatment: the treatment column.
        outcome: the outcome column.
        graph: the causal graph the estimate rests on.
        data: the data it was fitted to (for :func:`refute`'s graph check).
    """

    estimand: Estimand
    adjustment_set: tuple[str, ...]
    estimator: BaseEffectEstimator
    effect: Effect
    treatment: str
    outcome: str
    graph: CausalGraph | None = None
    data: pd.DataFrame | None = None

    def __str__(self) -> str:
        adj = "{" + ", ".join(self.adjustment_set) + "}"
        return "\n".join(
            [
                f"Estimand: {self.estimand}",
                f"Adjustment set: {adj} (back-door criterion, minimal)",
                str(self.effect),
            ]
        )


def covariate_matrix(data: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The adjustment columns as numbers: booleans as 0/1, categories one-hot (first level dropped).

    With no columns, a constant column stands in so that every estimator can be fit.
    """
    if not columns:
        return pd.DataFrame({_CONSTANT: np.ones(len(data))}, index=data.index)
    frame = data.loc[:, list(columns)]
    for c in columns:
        missing = frame[c].isna().to_numpy()
        if missing.any():
            rows = frame.index[missing][:5].tolist()
            raise DataError(
                f"adjustment column {c!r} has {int(missing.sum())} missing value(s) (rows "
                f"{rows}{', ...' if missing.sum() > 5 else ''}); impute or drop them first: a "
                "missing value is never read as a level or a number"
            )
    categorical = [
        c
        for c in columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]
    bools = [c for c in categorical if pd.api.types.is_bool_dtype(frame[c])]
    frame = frame.astype({c: float for c in bools})
    others = [c for c in categorical if c not in bools]
    if others:
        frame = pd.get_dummies(frame, columns=others, drop_first=True, dtype=float)
    return frame


def estimate_effect(
    data: pd.DataFrame,
    graph: CausalGraph | str,
    treatment: str,
    outcome: str,
    method: str = "dragonnet",
    *,
    level: float = 0.95,
    control: Any = None,
    **kwargs: Any,
) -> EffectEstimate:
    """Estimate the average effect of ``treatment`` on ``outcome`` using the causal graph.

    Calls :func:`deepcausal.identify.identify`; when the effect is identified by back-door
    adjustment, fits the chosen estimator with a minimal valid adjustment set (the first one, in
    the graph's node order, whose columns are all in ``data``) as covariates. Otherwise it says
    what is needed: front-door and instrumental-variable estimators are not available yet.

    Args:
        data: one row per unit; must hold the treatment, the outcome and the adjustment columns.
        graph: a :class:`~deepcausal.graph.CausalGraph` or its string form (``"Z -> T; ..."``).
        treatment: the treatment column (binary; categorical for TARNet, IPW, AIPW and regression).
        outcome: the outcome column (continuous or 0/1).
        method: one of :data:`METHODS` (``"dragonnet"``, ``"cfr"``, ``"aipw"``, ...).
        level: confidence level of the interval.
        control: the treatment value of the control arm (default: the smallest value).
        **kwargs: hyper-parameters of the estimator (e.g. ``random_state=0``).

    Returns:
        The estimand, the adjustment set, the fitted estimator and its ATE.

    Raises:
        NotIdentifiable: the effect cannot be computed from observational data in this graph.
        DeepCausalError: the effect is identified, but not by back-door adjustment.
        DataError: a needed column is missing from ``data`` or holds bad values.
        ValueError: an unknown ``method``.

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=500)
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-0.5 * z)))
        >>> df = pd.DataFrame({"Z": z, "T": t, "Y": 2 * t + z + rng.normal(size=500)})
        >>> res = estimate_effect(df, "Z -> T; Z -> Y; T -> Y", "T", "Y", method="aipw",
        ...                       random_state=0)
        >>> res.adjustment_set
        ('Z',)
        >>> res.effect.ci_low < 2.0 < res.effect.ci_high
        True
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(METHODS)}")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    g = CausalGraph(graph) if isinstance(graph, str) else graph
    if not isinstance(g, CausalGraph):
        raise GraphError(
            f"graph must be a CausalGraph or a graph string, got {type(graph).__name__}"
        )
    missing = [c for c in (treatment, outcome) if c not in data.columns]
    if missing:
        raise DataError(f"data has no column {missing[0]!r}; columns are {list(data.columns)}")
    if outcome not in g.descendants(treatment):
        raise DeepCausalError(
            f"the effect of {treatment} on {outcome} is zero in this graph: there is no directed "
            f"path from {treatment} to {outcome}, so changing {treatment} cannot change "
            f"{outcome} (if you expected one, check the direction of the edges)"
        )
    estimand = identify(g, treatment, outcome)
    sets = g.backdoor_adjustment_sets(treatment, outcome)
    if not sets:
        raise DeepCausalError(
            f"the effect of {treatment} on {outcome} is identified, but not by back-door "
            f"adjustment:\n  {estimand}\nIt needs a front-door or instrumental-variable estimator, "
            "which deepcausal does not provide yet; a DeepSCM fit on the graph can answer it"
        )
    observed = [s for s in sets if s <= set(data.columns)]
    if not observed:
        need = sorted(sets[0] - set(data.columns))
        raise DataError(
            f"every valid adjustment set needs columns missing from data; the smallest, "
            f"{sorted(sets[0])}, lacks {need}"
        )
    order = {n: i for i, n in enumerate(g.nodes)}
    adjustment = tuple(sorted(observed[0], key=order.__getitem__))
    X = covariate_matrix(data, adjustment)
    estimator = METHODS[method](**kwargs)
    estimator.fit(X, data[treatment], data[outcome].to_numpy(), control=control)
    return EffectEstimate(
        estimand=estimand,
        adjustment_set=adjustment,
        estimator=estimator,
        effect=estimator.ate(level),
        treatment=treatment,
        outcome=outcome,
        graph=g,
        data=data,
    )
