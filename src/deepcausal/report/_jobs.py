"""The HTML reports of the discover, fit, sample and counterfactual commands.

Each states the question asked, what the answer rests on, the method, the results (with their
uncertainty where the job has one), diagnostics as plots with labelled axes, and how it was made:
version, seed and command line. The effect and synthesize reports live in their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepcausal._version import __version__
from deepcausal.report._cost import cost_appendix
from deepcausal.report._html import Report

if TYPE_CHECKING:
    from deepcausal.discovery import DiscoveryResult
    from deepcausal.scm import DeepSCM

__all__ = [
    "counterfactual_report",
    "discovery_report",
    "edge_stability",
    "fit_report",
    "provenance",
    "sample_report",
]

#: What each family of discovery method assumes, in one sentence.
_DISCOVERY_ASSUMPTIONS = {
    "pc": "causal sufficiency (no hidden common cause), faithfulness, and the independence test's "
    "model of the data; the answer is an equivalence class (CPDAG): edges the data cannot orient "
    "stay undirected",
    "fci": "faithfulness and the independence test's model; hidden common causes are allowed, and "
    "the answer is a PAG whose circle marks are undecided",
}
_CONTINUOUS = (
    "causal sufficiency and the method's model of each variable given its parents; the DAG is "
    "identified only under extra assumptions such as equal noise variances, which the data's "
    "scales can fake (see the sortability numbers)"
)


def provenance(report: Report, seed: int | None, extra: str = "") -> None:
    """The closing section: version, seed and the command line that made the report."""
    from deepcausal._invocation import command_line

    command = command_line()
    report.heading("How this was made")
    text = f"deepcausal {__version__}; seed {seed}\ncommand: {command}"
    report.code(text + (f"\n{extra}" if extra else ""))


def edge_stability(
    data: pd.DataFrame, n_resamples: int, seed: int | None, **discover_args: Any
) -> dict[tuple[str, str, str, str], float]:
    """The share of ``n_resamples`` bootstrap reruns of :func:`~deepcausal.discovery.discover`
    that found each marked edge (edges written in column order)."""
    from deepcausal.parallel import parallel_map

    order = list(data.columns)
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, len(data), size=len(data)) for _ in range(n_resamples)]
    rerun = partial(_rediscover, data, discover_args)
    counts: dict[tuple[str, str, str, str], int] = {}
    for edges in parallel_map(rerun, resamples, description="edge stability", progress=True):
        for edge in edges:
            e = edge.canonical(order)
            key = (e.a, e.b, e.mark_a, e.mark_b)
            counts[key] = counts.get(key, 0) + 1
    return {key: count / n_resamples for key, count in counts.items()}


def _rediscover(data: pd.DataFrame, discover_args: Mapping[str, Any], rows: np.ndarray) -> Any:
    """The edges :func:`~deepcausal.discovery.discover` finds on the resampled ``rows``."""
    import warnings

    from deepcausal.discovery import discover

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return discover(data.iloc[rows].reset_index(drop=True), **discover_args).edges


def discovery_report(
    result: DiscoveryResult,
    data: pd.DataFrame,
    out: str | Path,
    *,
    knowledge: Any = None,
    standardize: bool = False,
    stability: Mapping[tuple[str, str, str, str], float] | None = None,
    n_resamples: int = 0,
    seed: int | None = None,
) -> Path:
    """The report of a discovery run; ``stability`` maps each marked edge to the share of
    ``n_resamples`` bootstrap reruns that found it."""
    from deepcausal.report._graph_plot import plot_graph

    report = Report(f"Causal discovery: {result.method}")
    report.heading("The question")
    report.text(
        f"Which causal graph over the {data.shape[1]} columns could have generated these "
        f"{data.shape[0]} rows?"
    )
    report.heading("What the answer rests on")
    report.text(_DISCOVERY_ASSUMPTIONS.get(result.method, _CONTINUOUS) + ".")
    report.text(
        "Prior knowledge (hard constraints): "
        + (repr(knowledge) if knowledge is not None else "none")
        + f". Columns {'standardised to unit variance' if standardize else 'on their raw scales'}."
    )
    report.heading("The answer")
    report.figure(plot_graph(result, title=f"{result.method}: {len(result.edges)} edges"), "graph")
    rows = [
        {
            "from": e.a,
            "to": e.b,
            "edge": str(e),
            "bootstrap share": _share(stability, e, list(data.columns))
            if stability is not None
            else np.nan,
        }
        for e in result.edges
    ]
    report.table(pd.DataFrame(rows, columns=["from", "to", "edge", "bootstrap share"]))
    report.heading("Diagnostics")
    diagnostics = {"wall time (s)": round(result.wall_time, 3), **result.diagnostics}
    report.table(
        pd.DataFrame({"diagnostic": list(diagnostics), "value": list(diagnostics.values())})
    )
    if "varsortability" in result.diagnostics:
        report.text(
            "varsortability: the share of directed paths found that run from lower to higher "
            "marginal variance (Reisach et al. 2021); near 1, a least-squares method may have read "
            "the order off the scales. r2_sortability: the same for each variable's R² given the "
            "others (Reisach et al. 2023), which rescaling leaves unchanged."
        )
    if stability is not None:
        report.text(
            f"Edge stability: the share of {n_resamples} bootstrap resamples (rows drawn with "
            "replacement) on which the same method found the same edge with the same marks."
        )
        report.figure(_stability_plot(result, stability), "stability")
    else:
        report.text("Edge stability was not computed (discover --stability N reruns N resamples).")
    if result.method == "dagma":  # the method of the reference cost curve
        cost_appendix(report, "discovery", data.shape[1], result.wall_time, "linear DAGMA")
    provenance(report, seed)
    return report.write(out)


def _share(
    stability: Mapping[tuple[str, str, str, str], float], edge: Any, order: list[str]
) -> float:
    e = edge.canonical(order)
    return float(stability.get((e.a, e.b, e.mark_a, e.mark_b), 0.0))


def _stability_plot(
    result: DiscoveryResult, stability: Mapping[tuple[str, str, str, str], float]
) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = [str(e) for e in result.edges] or ["(no edge)"]
    order = list(result.nodes)
    shares = [_share(stability, e, order) for e in result.edges] or [0.0]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(labels) + 1.2))
    ax.barh(np.arange(len(labels)), shares, color="#4a7ab5")
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of bootstrap resamples that found the edge")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def fit_report(scm: DeepSCM, data: pd.DataFrame, out: str | Path, *, seed: int | None) -> Path:
    """The report of a fitted DeepSCM: graph, families chosen, held-out scores, loss curves, and
    the model's samples against the data."""
    from deepcausal.data import stack_columns
    from deepcausal.report._graph_plot import plot_graph
    from deepcausal.report._plots import plot_image_grid, plot_marginals

    report = Report("A deep structural causal model")
    report.heading("The question")
    report.text(
        f"Learn one neural mechanism per node of the graph from {len(data)} rows, so that the model "
        "answers observational, interventional and counterfactual queries."
    )
    report.heading("What it rests on")
    report.text(
        "The graph is taken as given: no hidden common cause, and every edge as drawn. Each node's "
        "mechanism is chosen on held-out rows; counterfactuals are exact only where abduction is "
        "exact."
    )
    report.figure(plot_graph(scm.graph, title="the causal graph"), "graph")
    report.heading("The mechanisms")
    chosen = scm.selection_[scm.selection_["chosen"]].reset_index()
    chosen["abduction"] = [scm.mechanisms_[node].abduction for node in chosen["node"]]
    report.table(chosen.drop(columns=["chosen"], errors="ignore"))
    report.heading("Diagnostics")
    trained = {node: h for node, h in scm.history_.items() if len(h.train_loss) > 1}
    if trained:
        report.figure(_loss_curves(trained), "losses", "Loss per epoch of each trained mechanism.")
    images = [v for v in scm.schema_.values() if len(v.shape) == 3]
    scalars = [n for n in scm.graph.nodes if n not in {v.name for v in images}]
    model = scm.sample(min(len(data), 5000), random_state=seed)
    if scalars:
        report.figure(
            plot_marginals(data, model, scalars, labels=("data", "model")),
            "marginals",
            "Each column's distribution in the data and in samples from the fitted model.",
        )
    for var in images:
        k = min(8, len(data))
        grid = {
            "data": stack_columns(data.iloc[:k], var.name, var.shape),
            "model": stack_columns(model.iloc[:k], var.name, var.shape),
        }
        report.figure(
            plot_image_grid(grid),
            f"images-{var.name}",
            f"Node {var.name!r}: the first {k} images of the data beside {k} sampled from the "
            "model (one grey scale for all).",
        )
    seconds = float(scm.selection_["seconds"].sum())
    cost_appendix(report, "deepscm", len(data), seconds, "fitting the mechanisms")
    provenance(report, seed)
    return report.write(out)


def _loss_curves(history: Mapping[str, Any]) -> Any:
    from deepcausal.report._plots import _figure

    fig, axes = _figure(len(history), ncols=4)
    for ax, (node, h) in zip(axes, history.items(), strict=True):
        epochs = np.arange(1, len(h.train_loss) + 1)
        ax.plot(epochs, h.train_loss, label="training")
        if h.val_loss:
            ax.plot(epochs[: len(h.val_loss)], h.val_loss, label="held-out")
        ax.axvline(h.best_epoch + 1, color="grey", ls=":", lw=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (nats per row)")
        ax.set_title(node, fontsize=10)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def sample_report(
    rows: pd.DataFrame,
    interventions: Mapping[str, Any],
    model_dir: str,
    out: str | Path,
    *,
    seed: int | None,
) -> Path:
    """The report of drawn samples: the query, and each column's distribution."""
    from deepcausal.report._plots import _compare, _figure

    query = _query(interventions)
    report = Report("Samples from a deep SCM" + (f" under do({query})" if query else ""))
    report.heading("The question")
    report.text(
        f"Draw {len(rows)} rows from P(V | do({query}))"
        if query
        else f"Draw {len(rows)} rows from the model's observational distribution P(V)"
    )
    report.text(f"Model: {model_dir}. The answer rests on the model's graph and mechanisms.")
    report.heading("The answer")
    report.table(rows.describe(include="all").T.reset_index().rename(columns={"index": "column"}))
    columns = list(rows.columns)
    fig, axes = _figure(len(columns), ncols=4)
    for ax, col in zip(axes, columns, strict=True):
        _compare(ax, {"samples": rows[col]}, col)
    fig.tight_layout()
    report.figure(fig, "samples", "Each column's distribution in the samples.")
    provenance(report, seed)
    return report.write(out)


def counterfactual_report(
    factual: pd.DataFrame,
    counterfactual: pd.DataFrame,
    interventions: Mapping[str, Any],
    abduction: Mapping[str, str],
    out: str | Path,
    *,
    seed: int | None,
) -> Path:
    """The report of counterfactual rows: each changed column, factual against counterfactual."""
    query = _query(interventions)
    report = Report(f"Counterfactuals under do({query})")
    report.heading("The question")
    report.text(
        f"For each of the {len(factual)} units given: what would its values have been had "
        f"{query} held, everything else about the unit (its exogenous noise) unchanged?"
    )
    report.heading("What it rests on")
    report.text(
        "Abduction per node: " + ", ".join(f"{k}: {v}" for k, v in abduction.items()) + ". "
        "'exact' inverts the mechanism; 'posterior' draws the noise from its posterior; "
        "'approximate' uses an encoder or an optimisation, and the answer is approximate."
    )
    report.heading("The answer")
    numeric = [
        c
        for c in counterfactual.columns
        if c in factual.columns
        and pd.api.types.is_numeric_dtype(counterfactual[c])
        and pd.api.types.is_numeric_dtype(factual[c])
    ]
    shift = _shifts(factual, counterfactual, numeric)
    report.table(shift)
    if numeric:
        report.figure(
            _factual_vs_counterfactual(factual, counterfactual, numeric),
            "counterfactuals",
            "Each unit's factual value (x) against its counterfactual value (y); the dashed line "
            "is 'no change'.",
        )
    provenance(report, seed)
    return report.write(out)


def _query(interventions: Mapping[str, Any]) -> str:
    """``x=1, z+=0.5``: a set value as ``=``, a shift by its own operator."""
    parts = []
    for node, value in interventions.items():
        text = str(value)
        parts.append(
            f"{node}{text}" if text[1:2] == "=" and text[:1] in "+-*/" else f"{node}={text}"
        )
    return ", ".join(parts)


def _paired(factual: pd.DataFrame, cf: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's factual value for each counterfactual row (several draws may share a unit), and
    its counterfactual value."""
    f = factual[column].reindex(cf.index.get_level_values(0))
    return np.asarray(f, dtype=float), np.asarray(cf[column], dtype=float)


def _shifts(factual: pd.DataFrame, cf: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    rows = []
    for c in columns:
        f, v = _paired(factual, cf, c)
        change = v - f
        rows.append(
            {
                "column": c,
                "mean factual": float(np.mean(f)),
                "mean counterfactual": float(np.mean(v)),
                "mean change": float(np.mean(change)),
                "sd of change": float(np.std(change)),
            }
        )
    return pd.DataFrame(rows)


def _factual_vs_counterfactual(
    factual: pd.DataFrame, cf: pd.DataFrame, columns: Sequence[str]
) -> Any:
    from deepcausal.report._plots import _figure

    fig, axes = _figure(len(columns), ncols=4)
    for ax, c in zip(axes, columns, strict=True):
        f, v = _paired(factual, cf, c)
        ax.scatter(f, v, s=6, alpha=0.5)
        lo, hi = float(min(f.min(), v.min())), float(max(f.max(), v.max()))
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--")
        ax.set_xlabel(f"factual {c}", fontsize=9)
        ax.set_ylabel(f"counterfactual {c}", fontsize=9)
    fig.tight_layout()
    return fig
