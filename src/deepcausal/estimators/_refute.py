"""Refutation and sensitivity: checks an estimated effect should survive, as DoWhy's refuters.

Each check refits the estimator on altered data, or tests an assumption, and returns a
:class:`Refutation` — pass or fail, a number and a sentence:

* ``placebo`` — the treatment permuted at random: the effect must vanish (its interval covers 0);
* ``random_common_cause`` — an independent random covariate added: the estimate must stay inside
  the original interval;
* ``subset`` — refits on random 80% subsets: their mean must stay inside the original interval;
* ``bootstrap`` — refits on bootstrap resamples: the same;
* ``dummy_outcome`` — the outcome replaced by noise independent of everything: the effect must
  vanish;
* ``sensitivity`` — how strong an unobserved confounder would have to be to explain the effect
  away: the robustness value of Cinelli & Hazlett (2020, "Making sense of sensitivity: extending
  omitted variable bias", JRSS-B) from the linear regression of the outcome on treatment and
  covariates, benchmarked against the strongest observed covariate (pass: a confounder as strong as
  it, on both sides, would not bring the estimate to zero); for a 0/1 outcome also the E-value of
  VanderWeele & Ding (2017) for the risk ratio;
* ``graph`` (for results of :func:`estimate_effect`) — the conditional independences the graph
  implies for the treatment and the outcome (each given its parents, the local Markov property),
  tested with Fisher's z at level 0.01 with a Bonferroni correction: a graph that misses a
  confounder's edge into the treatment fails it.

The first five check the estimator's stability; only the last two speak to unobserved confounding,
which no check on the data alone can rule out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from deepcausal.errors import CapabilityError, DataError
from deepcausal.estimators._base import BaseEffectEstimator, Effect
from deepcausal.estimators._validation import FitData

if TYPE_CHECKING:
    from deepcausal.estimators._entry import EffectEstimate

__all__ = ["CHECKS", "Refutation", "RefutationReport", "refute", "robustness_value"]

#: Every check :func:`refute` knows, in the order it runs them.
CHECKS = (
    "placebo",
    "random_common_cause",
    "subset",
    "bootstrap",
    "dummy_outcome",
    "sensitivity",
    "graph",
)


@dataclass(frozen=True)
class Refutation:
    """The outcome of one check.

    Attributes:
        name: the check.
        passed: whether the effect survived it.
        value: the check's number (a re-estimated effect, a robustness value, a p-value).
        reference: what the number is compared with (0, the original estimate, a threshold).
        sentence: what was done and what it means.
    """

    name: str
    passed: bool
    value: float
    reference: float
    sentence: str


@dataclass(frozen=True)
class RefutationReport:
    """Every check run on one effect."""

    effect: Effect
    results: tuple[Refutation, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(r.passed for r in self.results)

    def to_frame(self) -> pd.DataFrame:
        """One row per check: name, pass/fail, value, reference, sentence."""
        return pd.DataFrame(
            [
                {
                    "check": r.name,
                    "result": "pass" if r.passed else "FAIL",
                    "value": r.value,
                    "reference": r.reference,
                    "what it means": r.sentence,
                }
                for r in self.results
            ]
        )

    def __str__(self) -> str:
        lines = [f"Refutation of: {self.effect}"]
        for r in self.results:
            mark = "pass" if r.passed else "FAIL"
            lines.append(f"  [{mark}] {r.name}: {r.sentence}")
        verdict = "every check passed" if self.passed else "at least one check FAILED"
        return "\n".join([*lines, f"  {verdict}"])


def refute(
    target: BaseEffectEstimator | EffectEstimate,
    checks: Sequence[str] = CHECKS,
    *,
    n_refits: int = 3,
    level: float = 0.95,
    random_state: int | None = 0,
) -> RefutationReport:
    """Run refutation and sensitivity checks on a fitted estimator or an :func:`estimate_effect`
    result (module docstring).

    Args:
        target: a fitted estimator, or the result of :func:`estimate_effect` (which adds the
            graph check).
        checks: names from :data:`CHECKS`; ``graph`` is skipped for a bare estimator.
        n_refits: refits of the subset and bootstrap checks.
        level: confidence level of the intervals the checks compare with.
        random_state: seed of the permutations, subsets and noise.

    Returns:
        The report; ``print`` it, or ``report.to_frame()``.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(600, 2))
        >>> t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
        >>> y = 1.5 * t + X[:, 0] + rng.normal(size=600)
        >>> from deepcausal.estimators import AIPW
        >>> from sklearn.linear_model import LinearRegression
        >>> est = AIPW(LinearRegression(), random_state=0).fit(X, t, y)
        >>> report = refute(est, ["placebo", "dummy_outcome", "sensitivity"])
        >>> report.passed
        True
    """
    from deepcausal.estimators._entry import EffectEstimate

    estimate = target if isinstance(target, EffectEstimate) else None
    estimator = target.estimator if isinstance(target, EffectEstimate) else target
    if estimate is not None and estimate.strategy != "back-door":
        raise CapabilityError(
            f"the refutation checks refit a back-door estimator; this estimate used "
            f"{estimate.strategy} adjustment ({type(estimator).__name__}), whose assumptions "
            "they do not test"
        )
    if not isinstance(estimator, BaseEffectEstimator) or not hasattr(estimator, "fit_data_"):
        raise DataError("refute needs a fitted deepcausal estimator or an estimate_effect result")
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; choose from {list(CHECKS)}")
    if int(n_refits) < 1:
        raise ValueError(f"n_refits must be >= 1, got {n_refits}")
    data: FitData = estimator.fit_data_
    effect = estimator.ate(level)
    rng = np.random.default_rng(random_state)
    results = []
    for name in checks:
        if name == "graph" and estimate is None:
            continue
        with warnings.catch_warnings():  # the original fit reported overlap and convergence
            warnings.simplefilter("ignore")
            if name == "placebo":
                results.append(_placebo(estimator, data, rng, level))
            elif name == "random_common_cause":
                results.append(_common_cause(estimator, data, effect, rng, level))
            elif name in ("subset", "bootstrap"):
                results.append(_resample(name, estimator, data, effect, rng, level, n_refits))
            elif name == "dummy_outcome":
                results.append(_dummy(estimator, data, rng, level))
            elif name == "sensitivity":
                results.append(_sensitivity(data, effect))
            elif estimate is not None:
                results.append(_graph(estimate))
    return RefutationReport(effect, tuple(results))


# ------------------------------------------------------------------------------------ refits
def _refit(
    estimator: BaseEffectEstimator, data: FitData, X: np.ndarray, t: np.ndarray, y: np.ndarray,
    level: float,
) -> Effect:  # fmt: skip
    params = estimator.get_params(deep=False)
    rep = clone(estimator)
    if "random_state" in params:
        rep.set_params(random_state=params["random_state"])
    labels = data.classes[t]
    rep.fit(X, labels, y, control=data.classes[0], overlap="warn")
    return rep.ate(level)


def _placebo(
    estimator: BaseEffectEstimator, data: FitData, rng: np.random.Generator, level: float
) -> Refutation:
    placebo = _refit(estimator, data, data.X, rng.permutation(data.t), data.y, level)
    passed = placebo.ci_low <= 0.0 <= placebo.ci_high
    return Refutation(
        "placebo",
        passed,
        placebo.value,
        0.0,
        f"with the treatment permuted at random the estimate is {placebo.value:.4g} "
        f"({placebo.level:.0%} CI {placebo.ci_low:.4g} to {placebo.ci_high:.4g}); "
        + ("it vanishes, as it should" if passed else "it does not vanish: the estimator finds "
           "an effect where there is none"),
    )  # fmt: skip


def _dummy(
    estimator: BaseEffectEstimator, data: FitData, rng: np.random.Generator, level: float
) -> Refutation:
    binary = bool(np.isin(data.y, (0.0, 1.0)).all())
    noise = (
        rng.binomial(1, float(data.y.mean()), size=data.y.shape).astype(float)
        if binary
        else rng.normal(float(data.y.mean()), float(data.y.std()) or 1.0, size=data.y.shape)
    )
    dummy = _refit(estimator, data, data.X, data.t, noise, level)
    passed = dummy.ci_low <= 0.0 <= dummy.ci_high
    return Refutation(
        "dummy_outcome",
        passed,
        dummy.value,
        0.0,
        f"with the outcome replaced by independent noise the estimate is {dummy.value:.4g} "
        f"({dummy.level:.0%} CI {dummy.ci_low:.4g} to {dummy.ci_high:.4g}); "
        + ("it vanishes, as it should" if passed else "it does not vanish"),
    )


def _common_cause(
    estimator: BaseEffectEstimator,
    data: FitData,
    effect: Effect,
    rng: np.random.Generator,
    level: float,
) -> Refutation:
    X = np.column_stack([data.X, rng.normal(size=data.X.shape[0])])
    new = _refit(estimator, data, X, data.t, data.y, level)
    passed = effect.ci_low <= new.value <= effect.ci_high
    return Refutation(
        "random_common_cause",
        passed,
        new.value,
        effect.value,
        f"with an independent random covariate added the estimate is {new.value:.4g} "
        f"(originally {effect.value:.4g}); "
        + ("it stays inside the original interval" if passed else "it leaves the original "
           "interval: the estimate is unstable"),
    )  # fmt: skip


def _resample(
    name: str,
    estimator: BaseEffectEstimator,
    data: FitData,
    effect: Effect,
    rng: np.random.Generator,
    level: float,
    n_refits: int,
) -> Refutation:
    n = data.X.shape[0]
    values = []
    for _ in range(int(n_refits)):
        idx = (
            rng.choice(n, size=int(0.8 * n), replace=False)
            if name == "subset"
            else rng.choice(n, size=n, replace=True)
        )
        values.append(_refit(estimator, data, data.X[idx], data.t[idx], data.y[idx], level).value)
    mean = float(np.mean(values))
    passed = effect.ci_low <= mean <= effect.ci_high
    what = "random 80% subsets" if name == "subset" else "bootstrap resamples"
    return Refutation(
        name,
        passed,
        mean,
        effect.value,
        f"refitted on {n_refits} {what}, the mean estimate is {mean:.4g} (originally "
        f"{effect.value:.4g}); "
        + ("it stays inside the original interval" if passed else "it leaves the original "
           "interval: the estimate depends on a few units"),
    )  # fmt: skip


# ------------------------------------------------------------------------------- sensitivity
def _partial_r2(t_stat: float, dof: int) -> float:
    return t_stat**2 / (t_stat**2 + dof)


def _ols_t(design: np.ndarray, y: np.ndarray, column: int) -> tuple[float, float, int]:
    """Coefficient, t statistic and residual degrees of freedom of one column of an OLS fit."""
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = design.shape[0] - design.shape[1]
    sigma2 = float(resid @ resid) / max(dof, 1)
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    se = math.sqrt(max(float(cov[column, column]), 1e-300))
    return float(coef[column]), float(coef[column]) / se, dof


def robustness_value(t_stat: float, dof: int, q: float = 1.0, alpha: float | None = None) -> float:
    r"""Cinelli & Hazlett's robustness value ``RV_{q,α}``: the partial R² that a confounder would
    need with both treatment and outcome to reduce the estimate by ``100 q`` % (``alpha``: to make
    it not significant at that level).

    .. math:: f_q = q\,|t| / \sqrt{\text{dof}}, \quad RV_q = \tfrac12\left(\sqrt{f_q^4 + 4 f_q^2} - f_q^2\right),

    with ``f`` reduced by ``t*_{α, dof-1} / sqrt(dof)`` for the significance version.

    Cinelli & Hazlett's Darfur example (t = 4.18 with 783 degrees of freedom) has RV = 13.9% and
    RV at 5% = 7.6%:

    >>> round(robustness_value(4.18, 783), 3), round(robustness_value(4.18, 783, alpha=0.05), 3)
    (0.139, 0.076)
    """
    f = q * abs(t_stat) / math.sqrt(dof)
    if alpha is not None:
        f -= float(stats.t.ppf(1 - alpha / 2, dof - 1)) / math.sqrt(dof - 1)
        if f <= 0:
            return 0.0
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


def _sensitivity(data: FitData, effect: Effect) -> Refutation:
    X, y = data.X, data.y
    t = (data.t > 0).astype(float)  # treated (any arm but control) against control
    ones = np.ones((X.shape[0], 1))
    design = np.column_stack([t, X, ones])
    _, t_stat, dof = _ols_t(design, y, 0)
    rv = robustness_value(t_stat, dof)
    rv_alpha = robustness_value(t_stat, dof, alpha=0.05)
    # benchmark: each observed covariate's partial R² with the treatment and with the outcome
    strongest, name = 0.0, "none"
    names = data.feature_names or tuple(f"column {j}" for j in range(X.shape[1]))
    for j in range(X.shape[1]):
        others = np.column_stack([np.delete(X, j, axis=1), ones])
        _, tj_d, dof_d = _ols_t(np.column_stack([X[:, j], others]), t, 0)
        _, tj_y, dof_y = _ols_t(np.column_stack([X[:, j], t, others]), y, 0)
        both = min(_partial_r2(tj_d, dof_d), _partial_r2(tj_y, dof_y))
        if both > strongest:
            strongest, name = both, names[j]
    passed = rv > strongest
    sentence = (
        f"an unobserved confounder would have to explain {rv:.1%} of the residual variance of both "
        f"treatment and outcome to bring the (linear) estimate to zero, {rv_alpha:.1%} to make it "
        f"not significant at 5% (robustness values, Cinelli & Hazlett 2020); the strongest "
        f"observed covariate, {name}, explains {strongest:.1%} of both, so "
        + ("a confounder as strong as it would not explain the effect away" if passed else
           "a confounder as strong as it could explain the effect away")
    )  # fmt: skip
    if bool(np.isin(y, (0.0, 1.0)).all()):
        p1, p0 = float(y[t == 1].mean()), float(y[t == 0].mean())
        if p0 > 0 and p1 > 0:
            rr = max(p1 / p0, p0 / p1)
            e_value = rr + math.sqrt(rr * (rr - 1))
            sentence += (
                f"; E-value {e_value:.2f}: a confounder associated with treatment and outcome by "
                f"a risk ratio of {e_value:.2f} each could explain the crude risk ratio "
                f"{rr:.2f} away (VanderWeele & Ding 2017)"
            )
    del effect
    return Refutation("sensitivity", passed, rv, strongest, sentence)


# ------------------------------------------------------------------------------------- graph
def _graph(estimate: EffectEstimate, alpha: float = 0.01) -> Refutation:
    from deepcausal.discovery.ci import FisherZ

    graph, frame = estimate.graph, estimate.data
    if graph is None or frame is None:
        return Refutation("graph", True, 1.0, alpha, "no graph to check")
    if not graph.is_dag:
        return Refutation("graph", True, 1.0, alpha, "the local Markov check covers DAGs only; "
                          "this graph has latent confounders")  # fmt: skip
    numeric = [
        c for c in graph.nodes
        if c in frame.columns and pd.api.types.is_numeric_dtype(frame[c])
        and frame[c].notna().all()
    ]  # fmt: skip
    tests: list[tuple[str, str, list[str]]] = []
    for node in (estimate.treatment, estimate.outcome):
        if node not in numeric:
            continue
        parents = list(graph.parents(node))
        if not set(parents) <= set(numeric):
            continue
        others = set(numeric) - graph.descendants(node, inclusive=True) - set(parents)
        tests += [(node, other, parents) for other in sorted(others)]
    if not tests:
        return Refutation("graph", True, 1.0, alpha, "the graph implies no testable independence "
                          "for the treatment or the outcome among the numeric columns")  # fmt: skip
    test = FisherZ()
    sub = frame[numeric].astype(float)
    pvalues = [test(a, b, given, sub) for a, b, given in tests]
    k = int(np.argmin(pvalues))
    smallest = float(pvalues[k]) * len(tests)
    passed = smallest >= alpha
    a, b, given = tests[k]
    cond = f" given {{{', '.join(given)}}}" if given else ""
    return Refutation(
        "graph",
        passed,
        min(smallest, 1.0),
        alpha,
        f"the graph implies {len(tests)} independence(s) for {estimate.treatment} and "
        f"{estimate.outcome} (each given its parents); the least supported, {a} ⊥ {b}{cond}, "
        f"has Bonferroni p = {min(smallest, 1.0):.3g}: "
        + ("the data agree with the graph" if passed else "the data contradict the graph: an "
           "edge (a confounder's edge into the treatment, say) is missing, and the adjustment "
           "set may be wrong"),
    )  # fmt: skip
