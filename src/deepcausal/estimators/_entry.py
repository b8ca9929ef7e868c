"""Graph-aware entry point: identify the effect, pick an adjustment set, fit an estimator."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deepcausal.errors import (
    CapabilityError,
    DataError,
    DeepCausalError,
    GraphError,
    NotIdentifiable,
)
from deepcausal.estimators._aipw import AIPW
from deepcausal.estimators._base import BaseEffectEstimator, Effect
from deepcausal.estimators._deepiv import DeepIV
from deepcausal.estimators._dml import DML
from deepcausal.estimators._dragonnet import DragonNet
from deepcausal.estimators._frontdoor import FrontDoor
from deepcausal.estimators._ipw import IPW
from deepcausal.estimators._iv import BaseIVEstimator, TwoStageLeastSquares
from deepcausal.estimators._kiv import KernelIV
from deepcausal.estimators._kpv import KernelProxy
from deepcausal.estimators._matching import PSMatching
from deepcausal.estimators._plr import PartiallyLinearDML
from deepcausal.estimators._proxies import ProximalTwoStage
from deepcausal.estimators._regression import RegressionAdjustment
from deepcausal.estimators._tarnet import CFRNet, TARNet
from deepcausal.graph import CausalGraph, as_graph
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
        estimand: the identified estimand (a formula over observational distributions), or
            ``None`` for an instrumental-variable or proximal estimate (whose identification
            rests on assumptions outside the graph's do-calculus).
        adjustment_set: the columns the estimate used besides treatment and outcome: the
            back-door set, the front-door mediators, or the instruments or proxies.
        estimator: the fitted estimator (``att()``, ``effect(X)`` ... where it has them).
        effect: the average treatment effect with its interval.
        treatment: the treatment column.
        outcome: the outcome column.
        graph: the causal graph the estimate rests on.
        data: the data it was fitted to (for :func:`refute`'s graph check).
        strategy: ``"back-door"``, ``"front-door"``, ``"ID plug-in"``, ``"instrument"`` or
            ``"proxies"``.
        assumption: the assumption the estimate rests on, in one sentence.
    """

    estimand: Estimand | None
    adjustment_set: tuple[str, ...]
    estimator: Any
    effect: Effect
    treatment: str
    outcome: str
    graph: CausalGraph | None = None
    data: pd.DataFrame | None = None
    strategy: str = "back-door"
    assumption: str = ""

    def __str__(self) -> str:
        cols = "{" + ", ".join(self.adjustment_set) + "}"
        labels = {
            "back-door": f"Adjustment set: {cols} (back-door criterion, minimal)",
            "front-door": f"Front-door set: {cols} (the mediators)",
            "instrument": f"Instruments: {cols}",
            "proxies": f"Proxies: {cols}",
            "ID plug-in": f"Plug-in of the ID estimand over {cols}",
            "ADMG DeepSCM": f"A DeepSCM of the ADMG, fitted on {cols} too",
        }
        lines = [f"Estimand: {self.estimand}"] if self.estimand is not None else []
        lines.append(labels[self.strategy])
        if self.assumption:
            lines.append(f"Rests on: {self.assumption}")
        lines.append(str(self.effect))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The question, the identification and the effect as plain JSON-serialisable values."""
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "graph": None if self.graph is None else self.graph.to_string(),
            "strategy": self.strategy,
            "estimand": None if self.estimand is None else str(self.estimand),
            "adjustment_set": list(self.adjustment_set),
            "assumption": self.assumption,
            "effect": self.effect.to_dict(),
        }

    def unit_effects(self) -> pd.Series:
        """Each unit's estimated effect (CATE given the adjustment set), indexed like the data.

        Raises:
            CapabilityError: for a front-door, instrument or proxy estimate, which identifies an
                average only.
        """
        if (
            self.strategy != "back-door"
            or self.data is None
            or not isinstance(self.estimator, BaseEffectEstimator)
        ):
            raise CapabilityError(
                f"per-unit effects need a back-door estimate of a binary or categorical "
                f"treatment; this one ({self.strategy}, {type(self.estimator).__name__}) gives "
                "the average effect only"
            )
        values = self.estimator.effect(covariate_matrix(self.data, self.adjustment_set))
        return pd.Series(np.asarray(values), index=self.data.index, name="effect")


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
    graph: CausalGraph | str | os.PathLike[str],
    treatment: str,
    outcome: str,
    method: str = "dragonnet",
    *,
    level: float = 0.95,
    control: Any = None,
    instruments: Sequence[str] | str | None = None,
    treatment_proxy: Sequence[str] | str | None = None,
    outcome_proxy: Sequence[str] | str | None = None,
    **kwargs: Any,
) -> EffectEstimate:
    """Estimate the average effect of ``treatment`` on ``outcome`` using the causal graph.

    * Back-door (the default): :func:`deepcausal.identify.identify`, then the chosen estimator
      adjusted for a minimal valid adjustment set (the first, in the graph's node order, whose
      columns are all in ``data``).
    * Front-door: where no back-door set exists but the mediators of the effect satisfy the
      front-door criterion (or ``method="frontdoor"``), :class:`FrontDoor` on them.
    * Any other identified effect (the napkin graph, the Verma graph): the ID estimand evaluated on
      the data's frequencies (:class:`~deepcausal.estimators.PlugInEstimand`, discrete columns and
      a binary treatment), with a bootstrap interval; for a continuous treatment, a DeepSCM of the
      ADMG (the effect of a unit increase from the mean treatment).
    * ``method="2sls"``, ``"deepiv"`` or ``"kernel-iv"`` with ``instruments``:
      :class:`TwoStageLeastSquares`, :class:`DeepIV` or :class:`KernelIV` (the average effect of a unit increase from the mean treatment, for a
      treatment with more than two values); the graph must not
      let an instrument reach the outcome but through the treatment.
    * ``method="proximal"`` with ``treatment_proxy`` and ``outcome_proxy``:
      :class:`ProximalTwoStage` (a linear bridge); ``method="kernel-proxy"``: :class:`KernelProxy`
      (a nonparametric bridge, binary treatment).

    Args:
        data: one row per unit; must hold the treatment, the outcome and the other roles' columns.
        graph: a :class:`~deepcausal.graph.CausalGraph`, its string form (``"Z -> T; ..."``), or
            a graph file or ``discover`` folder (see :func:`~deepcausal.graph.read_graph`).
        treatment: the treatment column (binary; categorical for TARNet, IPW, AIPW and regression).
        outcome: the outcome column (continuous or 0/1).
        method: one of :data:`METHODS`, ``"frontdoor"``, ``"2sls"``, ``"deepiv"``,
            ``"kernel-iv"``, ``"proximal"`` or ``"kernel-proxy"``.
        level: confidence level of the interval.
        control: the treatment value of the control arm (default: the smallest value).
        instruments: the instrument column(s) of ``"2sls"``, ``"deepiv"`` and ``"kernel-iv"``.
        treatment_proxy: the treatment-side proxy column(s) of ``"proximal"``.
        outcome_proxy: the outcome-side proxy column(s) of ``"proximal"``.
        **kwargs: hyper-parameters of the estimator (e.g. ``random_state=0``).

    Returns:
        The estimand (where the do-calculus gives one), the columns used, the fitted estimator,
        the effect, and the assumption it rests on.

    Raises:
        NotIdentifiable: the effect cannot be computed from observational data in this graph.
        DeepCausalError: the effect is zero (no directed path), or identified by neither
            back-door nor front-door adjustment.
        GraphError: an instrument that reaches the outcome other than through the treatment.
        DataError: a needed column is missing from ``data`` or holds bad values.
        ValueError: an unknown ``method``.

    Examples:
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
    known = (*METHODS, "frontdoor", "2sls", "deepiv", "kernel-iv", "proximal", "kernel-proxy")
    if method not in known:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(known)}")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(graph, CausalGraph | str | os.PathLike):
        raise GraphError(
            f"graph must be a CausalGraph, a graph string or a graph file, got "
            f"{type(graph).__name__}"
        )
    g = as_graph(graph)
    _require_columns(data, [treatment, outcome], "treatment and outcome")
    if outcome not in g.descendants(treatment):
        raise DeepCausalError(
            f"the effect of {treatment} on {outcome} is zero in this graph: there is no directed "
            f"path from {treatment} to {outcome}, so changing {treatment} cannot change "
            f"{outcome} (if you expected one, check the direction of the edges)"
        )
    common: dict[str, Any] = {"treatment": treatment, "outcome": outcome, "graph": g, "data": data}
    if method in ("2sls", "deepiv", "kernel-iv"):
        est = {"2sls": TwoStageLeastSquares, "deepiv": DeepIV, "kernel-iv": KernelIV}[method](
            **({} if method == "2sls" else kwargs)
        )
        return _instrument(data, g, est, _names(instruments), level, common)
    if method in ("proximal", "kernel-proxy"):
        return _proximal(
            data,
            g,
            treatment,
            outcome,
            _names(treatment_proxy),
            _names(outcome_proxy),
            level,
            common,
            kernel=method == "kernel-proxy",
            kwargs=kwargs,
        )
    try:
        estimand = identify(g, treatment, outcome)
    except NotIdentifiable as exc:
        raise NotIdentifiable(
            f"{exc}\nThe data cannot pin the effect down in this graph; bound it instead: "
            f"deepcausal.bounds(graph, data, {treatment!r}, {outcome!r}) (discrete data), or "
            "'deepcausal bounds' on the command line"
        ) from None
    sets = [s for s in g.backdoor_adjustment_sets(treatment, outcome) if s <= set(data.columns)]
    if method == "frontdoor" or not sets:
        mediators = _frontdoor_set(g, data, treatment, outcome)
        if mediators is None:
            if method == "frontdoor":
                raise DeepCausalError(
                    f"no front-door set of observed mediators for {treatment} -> {outcome} in "
                    "this graph"
                )
            need = g.backdoor_adjustment_sets(treatment, outcome)
            if need:
                raise DataError(
                    f"every valid adjustment set needs columns missing from data; the smallest, "
                    f"{sorted(need[0])}, lacks {sorted(need[0] - set(data.columns))}"
                )
            return _plugin(data, estimand, treatment, outcome, control, level, kwargs, common)
        fd_kwargs = {k: v for k, v in kwargs.items() if k in ("random_state", "n_bootstrap")}
        front = FrontDoor(**fd_kwargs)
        front.fit(None, data[treatment], data[outcome].to_numpy(), mediators=data[list(mediators)],
                  control=control)  # fmt: skip
        return EffectEstimate(
            estimand=estimand, adjustment_set=mediators, estimator=front, effect=front.ate(level),
            strategy="front-door",
            assumption=f"every directed path from {treatment} to {outcome} runs through "
            f"{{{', '.join(mediators)}}}, which no back-door path reaches from {treatment}, and "
            f"{treatment} blocks every back-door path from them to {outcome} (Pearl 1995)",
            **common,
        )  # fmt: skip
    order = {n: i for i, n in enumerate(g.nodes)}
    adjustment = tuple(sorted(sets[0], key=order.__getitem__))
    X = covariate_matrix(data, adjustment)
    if is_continuous_treatment(data[treatment]):
        return _continuous(data, X, adjustment, estimand, method, level, kwargs, common)
    estimator = METHODS[method](**kwargs)
    estimator.fit(X, data[treatment], data[outcome].to_numpy(), control=control)
    return EffectEstimate(
        estimand=estimand,
        adjustment_set=adjustment,
        estimator=estimator,
        effect=estimator.ate(level),
        assumption="no unobserved confounder outside the adjustment set (the graph is complete)",
        **common,
    )


def _plugin(
    data: pd.DataFrame,
    estimand: Estimand,
    treatment: str,
    outcome: str,
    control: Any,
    level: float,
    kwargs: dict[str, Any],
    common: dict[str, Any],
) -> EffectEstimate:
    """The general ID estimand evaluated on discrete data (napkin, Verma, ...)."""
    from deepcausal.estimators._plugin import PlugInEstimand

    needed = sorted(
        {v for term in estimand.expression.terms() for v in (*term.variables, *term.given)}
    )
    _require_columns(data, needed, "the estimand's variables")
    continuous = [c for c in needed if c != outcome and is_continuous_treatment(data[c])]
    if continuous or is_continuous_treatment(data[treatment]):
        if not is_continuous_treatment(data[treatment]):
            raise DeepCausalError(
                f"the effect of {treatment} on {outcome} is identified, but by neither back-door "
                f"nor front-door adjustment:\n  {estimand}\nIts plug-in needs discrete columns, "
                f"and {', '.join(map(repr, continuous))} look continuous: bin them (e.g. "
                "pandas.cut)"
            )
        return _admg_scm(data, estimand, treatment, outcome, level, kwargs, common)
    arms = sorted(pd.unique(data[treatment]))
    if len(arms) != 2:
        raise DataError(
            f"the plug-in effect needs a binary treatment; {treatment!r} has {len(arms)} values"
        )
    ctrl = arms[0] if control is None else control
    if ctrl not in arms:
        raise DataError(f"control={control!r} is not a value of {treatment!r} ({arms})")
    treated = arms[1] if ctrl == arms[0] else arms[0]
    opts = {k: v for k, v in kwargs.items() if k in ("random_state", "n_bootstrap")}
    est = PlugInEstimand(**opts).fit(data, estimand, treated=treated, control=ctrl)
    return EffectEstimate(
        estimand=estimand,
        adjustment_set=tuple(c for c in needed if c not in (treatment, outcome)),
        estimator=est,
        effect=est.ate(level),
        strategy="ID plug-in",
        assumption="the graph, hidden confounders included, is right (the ID algorithm's estimand, "
        "Shpitser & Pearl 2006, evaluated on frequencies)",
        **common,
    )


def _admg_scm(
    data: pd.DataFrame,
    estimand: Estimand,
    treatment: str,
    outcome: str,
    level: float,
    kwargs: dict[str, Any],
    common: dict[str, Any],
) -> EffectEstimate:
    """An identified effect of a continuous treatment on an ADMG, by the ADMG DeepSCM: the average
    effect of a unit increase from the mean treatment."""
    from dataclasses import replace

    from deepcausal.scm import DeepSCM

    graph: CausalGraph = common["graph"]
    _require_columns(data, list(graph.nodes), "the graph's nodes")
    opts = {k: v for k, v in kwargs.items() if k in ("random_state", "device", "progress")}
    scm = DeepSCM(graph, **opts).fit(data[list(graph.nodes)])
    mid = float(data[treatment].mean())
    effect = scm.ate(treatment, outcome, treated=mid + 0.5, control=mid - 0.5, level=level,
                     random_state=opts.get("random_state"))  # fmt: skip
    effect = replace(
        effect, contrast=f"do({treatment}={mid + 0.5:.4g}) vs do({treatment}={mid - 0.5:.4g})"
    )
    return EffectEstimate(
        estimand=estimand,
        adjustment_set=tuple(v for v in graph.nodes if v not in (treatment, outcome)),
        estimator=scm,
        effect=effect,
        strategy="ADMG DeepSCM",
        assumption="the graph, hidden confounders included, is right, and the DeepSCM fits the data "
        "(its interval is the Monte Carlo error only)",
        **common,
    )


def is_continuous_treatment(t: pd.Series) -> bool:
    """A numeric treatment with non-integer values, or more than 10 distinct ones."""
    if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t):
        return False
    values = t.dropna().to_numpy(dtype=float)
    return bool(np.unique(values).size > 10 or np.any(values != np.round(values)))


def _continuous(
    data: pd.DataFrame,
    X: pd.DataFrame,
    adjustment: tuple[str, ...],
    estimand: Estimand,
    method: str,
    level: float,
    kwargs: dict[str, Any],
    common: dict[str, Any],
) -> EffectEstimate:
    """A continuous treatment: the partially linear DML slope (``regression``: with linear
    nuisances, which is the OLS coefficient of the treatment)."""
    treatment = common["treatment"]
    if method not in ("dml", "regression"):
        raise CapabilityError(
            f"{treatment!r} is a continuous treatment ({data[treatment].nunique()} distinct "
            f"values); method {method!r} estimates effects of a binary or categorical one. Use "
            "method='dml' or 'regression' (the average slope), '2sls', 'deepiv' or 'kernel-iv' with "
            "instruments, or bin the treatment"
        )
    allowed = {k: v for k, v in kwargs.items() if k in ("random_state", "n_folds")}
    if method == "regression":
        from sklearn.linear_model import LinearRegression

        allowed.update(outcome_model=LinearRegression(), treatment_model=LinearRegression())
    estimator = PartiallyLinearDML(**allowed).fit(
        X, data[treatment], data[common["outcome"]].to_numpy()
    )
    return EffectEstimate(
        estimand=estimand,
        adjustment_set=adjustment,
        estimator=estimator,
        effect=estimator.ate(level=level),
        assumption="no unobserved confounder outside the adjustment set (the graph is "
        f"complete), and an effect linear in {treatment}: otherwise the slope is a "
        "variance-weighted average of the unit slopes",
        **common,
    )


def _names(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _require_columns(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"no column {', '.join(map(repr, missing))} (the {role}) in the data; columns are "
            f"{list(data.columns)}"
        )


def _frontdoor_set(
    g: CausalGraph, data: pd.DataFrame, treatment: str, outcome: str
) -> tuple[str, ...] | None:
    """The observed mediators of the effect, if they satisfy the front-door criterion."""
    between = g.descendants(treatment) & g.ancestors(outcome)
    mediators = tuple(v for v in g.nodes if v in between and v in data.columns)
    if mediators and g.satisfies_frontdoor(treatment, outcome, list(mediators)):
        return mediators
    return None


def _instrument(
    data: pd.DataFrame,
    g: CausalGraph,
    est: BaseIVEstimator,
    instruments: list[str],
    level: float,
    common: dict[str, Any],
) -> EffectEstimate:
    treatment, outcome = common["treatment"], common["outcome"]
    if not instruments:
        raise DataError(
            f"method={est.method_name.lower()!r} needs instruments=[...] (the CLI: --instrument Z)"
        )
    _require_columns(data, instruments, "instrument")
    g.check_nodes(instruments, "instrument")
    for z in instruments:
        if outcome in g.children(z) or not g.cut_outgoing(treatment).d_separated(z, outcome):
            raise GraphError(
                f"{z!r} is not an instrument in this graph: it reaches {outcome!r} other than "
                f"through {treatment!r} (or shares a cause with it)"
            )
        if treatment not in g.descendants(z):
            raise GraphError(f"{z!r} is not an instrument: it does not affect {treatment!r}")
    controls = _controls(g, data, treatment, outcome, instruments)
    est.fit(
        covariate_matrix(data, controls) if controls else None,
        data[treatment],
        data[outcome],
        instruments=data[instruments],
    )
    t = pd.to_numeric(data[treatment]).to_numpy(dtype=float)
    t0, t1 = (0.0, 1.0) if set(np.unique(t)) <= {0.0, 1.0} else (t.mean(), t.mean() + 1.0)
    shape = (
        f"the effect of {treatment} is linear"
        if isinstance(est, TwoStageLeastSquares)
        else f"the noise enters {outcome} additively ({est.method_name}'s h(t, x) + e)"
    )
    return EffectEstimate(
        estimand=None, adjustment_set=tuple(instruments), estimator=est,
        effect=est.ate(t0=t0, t1=t1, level=level), strategy="instrument",
        assumption=f"{', '.join(instruments)} move {treatment}, reach {outcome} only through it, "
        f"and share no cause with {outcome}; {shape}",
        **common,
    )  # fmt: skip


def _controls(
    g: CausalGraph, data: pd.DataFrame, treatment: str, outcome: str, exclude: Sequence[str]
) -> tuple[str, ...]:
    """Observed parents of the treatment or the outcome that the treatment does not affect:
    the exogenous covariates an instrument or proxy estimate conditions on."""
    parents = (set(g.parents(treatment)) | set(g.parents(outcome))) - g.descendants(treatment)
    skip = {treatment, outcome, *exclude}
    return tuple(v for v in g.nodes if v in parents and v not in skip and v in data.columns)


def _proximal(
    data: pd.DataFrame,
    g: CausalGraph,
    treatment: str,
    outcome: str,
    z: list[str],
    w: list[str],
    level: float,
    common: dict[str, Any],
    kernel: bool = False,
    kwargs: dict[str, Any] | None = None,
) -> EffectEstimate:
    name = "kernel-proxy" if kernel else "proximal"
    if not z or not w:
        raise DataError(f"method={name!r} needs treatment_proxy=... and outcome_proxy=...")
    _require_columns(data, [*z, *w], "proxy")
    controls = _controls(g, data, treatment, outcome, [*z, *w])
    allowed = {k: v for k, v in (kwargs or {}).items() if k in ("random_state", "n_bootstrap")}
    est = (KernelProxy(**allowed) if kernel else ProximalTwoStage()).fit(
        covariate_matrix(data, controls) if controls else None,
        data[treatment],
        data[outcome],
        treatment_proxy=data[z],
        outcome_proxy=data[w],
    )
    return EffectEstimate(
        estimand=None, adjustment_set=(*z, *w), estimator=est, effect=est.ate(level=level),
        strategy="proxies",
        assumption=f"{', '.join(z)} (treatment proxies) and {', '.join(w)} (outcome proxies) "
        "measure the hidden confounder, and an outcome bridge exists"
        + (" (kernel proxy variable, Mastouri et al. 2021)" if kernel else
           ", linear (Tchetgen Tchetgen et al. 2020)"),
        **common,
    )  # fmt: skip
