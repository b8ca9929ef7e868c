"""The HTML report of ``deepcausal bounds`` and ``deepcausal identify --neural``: the question, the
identification decision, the interval, and each seed's minimum and maximum."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deepcausal.report._html import Report
from deepcausal.report._jobs import provenance

if TYPE_CHECKING:
    from deepcausal.graph import CausalGraph
    from deepcausal.ncm import Bounds, NeuralIdentification

__all__ = ["bounds_report"]


def bounds_report(
    result: Bounds | NeuralIdentification,
    graph: CausalGraph,
    symbolic: str,
    out: str | Path,
    *,
    seed: int | None,
) -> Path:
    """Write the report of a bounds or neural-identification result to the folder ``out``.

    Args:
        result: what :func:`~deepcausal.bounds` or :func:`~deepcausal.neural_identify` returned.
        graph: the graph the answer rests on.
        symbolic: the ID algorithm's answer, as text (the estimand, or why not).
        out: the report folder.
        seed: the seed, for the provenance section.
    """
    import matplotlib.pyplot as plt

    from deepcausal.ncm import Bounds

    query = (
        f"E[{result.outcome} | do({result.treatment}={result.treated})] - "
        f"E[{result.outcome} | do({result.treatment}={result.control})]"
    )
    is_bounds = isinstance(result, Bounds)
    report = Report("Bounds on an effect" if is_bounds else "Neural identification")
    report.heading("The question")
    report.text(f"The average effect {query}, in the graph {graph.to_string()}.")
    report.heading("Identification")
    report.code(f"ID algorithm (Shpitser & Pearl 2006): {symbolic}")
    if not is_bounds:
        report.code(result.summary())
    report.heading("The interval")
    report.text(
        f"[{result.lower:.4f}, {result.upper:.4f}]"
        + (
            f": {result.summary()}"
            if is_bounds
            else " over the neural causal models that fit the data"
        )
    )
    if result.per_seed:
        fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(result.per_seed)))
        for i, (lo, hi) in enumerate(result.per_seed):
            ax.plot([lo, hi], [i, i], marker="|", markersize=12, color="C0")
        ax.axvspan(result.lower, result.upper, color="C1", alpha=0.15, label="reported interval")
        ax.set_yticks(
            range(len(result.per_seed)), [f"seed {i}" for i in range(len(result.per_seed))]
        )
        ax.set_xlabel(f"effect of {result.treatment} on {result.outcome}")
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        report.figure(fig, "seeds", "Each seed's smallest and largest effect among fitted models.")
        plt.close(fig)
    report.heading("What the answer rests on")
    report.text(
        "The graph, hidden confounders (bidirected edges) included; discrete data for LP bounds "
        "and neural identification; for neural bounds, how well the fitted models match the data."
    )
    provenance(report, seed)
    return report.write(out)
