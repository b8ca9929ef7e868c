"""The HTML report of a synthetic table: the graph, the edges removed, real against synthetic
marginals, and quality and fairness metrics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepcausal.report._html import Report
from deepcausal.report._jobs import provenance

if TYPE_CHECKING:
    from deepcausal.synthetic import FairSynthesizer

__all__ = ["synthesis_report"]


def synthesis_metrics(
    synth: FairSynthesizer, real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0
) -> pd.DataFrame:
    """Quality and fairness of ``synthetic`` next to the real table's own.

    The real baseline trains its classifier on a random 70% of ``real`` and tests on the rest; the
    synthetic row trains on the synthetic table and tests on the same 30% of real rows (rows the
    generator saw, but the classifier did not).
    """
    from deepcausal.metrics import downstream_fairness, precision_recall

    rows = np.random.default_rng(seed).permutation(len(real))
    cut = int(0.7 * len(real))
    train, test = real.iloc[rows[:cut]], real.iloc[rows[cut:]]
    protected, target = synth.protected_[0], synth.target
    out = []
    for name, table in (("real (70/30 split)", train), ("synthetic", synthetic)):
        metrics = downstream_fairness(table, test, target, protected)
        precision, recall = precision_recall(test, table, random_state=seed)
        out.append({"data": name, "precision": precision, "recall": recall, **metrics})
    return pd.DataFrame(out)


def synthesis_report(
    synth: FairSynthesizer,
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    out: str | Path,
    *,
    seed: int | None = None,
) -> Path:
    """Write the report of ``synthetic`` (drawn from ``synth``, fitted to ``real``) to ``out``."""
    from deepcausal.report._graph_plot import plot_graph
    from deepcausal.report._plots import plot_marginals

    fairness = synthetic.attrs.get("fairness")
    removed = synthetic.attrs.get("removed_edges", [])
    report = Report("Synthetic data" + (f" under {fairness}" if fairness else ""))
    report.heading("The question")
    report.text(
        f"A synthetic table like the {len(real)} real rows, with the influence of "
        f"{', '.join(synth.protected_)} on {synth.target} removed as the criterion "
        f"{fairness!r} requires (DECAF: van Breugel et al. 2021)"
        if fairness
        else f"A synthetic table like the {len(real)} real rows; no edge removed."
    )
    report.heading("The causal graph")
    report.code(synth.graph_.to_string())
    report.figure(plot_graph(synth.graph_), "graph", "The graph the generators follow.")
    report.text(
        "Edges removed at generation: "
        + (", ".join(f"{a} -> {b}" for a, b in removed) if removed else "none")
        + ". A removed edge feeds the child an independent unit's value of the parent."
    )
    if getattr(synth, "missing_", {}).get("by_column"):
        report.text(f"Missing values in the input: {synth.missing_}")
    report.heading("Real and synthetic marginals")
    columns = list(synth.columns_)
    report.figure(
        plot_marginals(real, synthetic, columns, labels=("real", "synthetic")),
        "marginals",
        "Each column: the real distribution and the synthetic one.",
    )
    report.heading("Quality and fairness")
    report.text(
        "precision and recall: the share of synthetic rows inside the real data's manifold and of "
        "real rows inside the synthetic one (Kynkäänniemi et al. 2019); auroc: a classifier of the "
        "target trained on each table, tested on held-out real rows; ftu and dp: how much its "
        "predictions change with the protected attribute, set (ftu) or observed (dp)."
    )
    report.table(synthesis_metrics(synth, real, synthetic, seed or 0))
    provenance(report, seed)
    return report.write(out)
