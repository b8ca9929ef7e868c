"""The HTML report of an estimated effect: the question, the answer with its interval, what it
rests on (estimand, adjustment set, overlap), and the refutation checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from deepcausal.report._html import Report
from deepcausal.report._jobs import provenance

if TYPE_CHECKING:
    from deepcausal.estimators import EffectEstimate, RefutationReport

__all__ = ["effect_report"]


def effect_report(
    result: EffectEstimate,
    refutation: RefutationReport | None,
    out: str | Path,
    *,
    seed: int | None = None,
) -> Path:
    """Write the report of ``result`` (and its refutation) to ``out``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg")
    from deepcausal.estimators import overlap_summary, plot_overlap

    est = result.estimator
    report = Report(f"Effect of {result.treatment} on {result.outcome}")
    report.heading("The question")
    report.text(
        f"What is the average effect on {result.outcome} of setting {result.treatment}, "
        f"{result.effect.contrast or 'treated against control'}? The causal graph:"
    )
    report.code(result.graph.to_string() if result.graph is not None else "(none)")
    report.heading("The answer")
    row = result.effect.to_dict()
    row["units"] = len(result.data) if result.data is not None else None
    report.table(pd.DataFrame([row]))
    report.text(str(result.effect))
    report.heading("What it rests on")
    if result.estimand is not None:
        report.text(f"Estimand (identified by the do-calculus): {result.estimand}")
    roles = {
        "back-door": "Adjustment set (back-door criterion, minimal)",
        "front-door": "Front-door set (the mediators)",
        "instrument": "Instruments",
        "proxies": "Proxies of the hidden confounder",
    }
    report.text(f"{roles[result.strategy]}: {{{', '.join(result.adjustment_set)}}}.")
    if result.assumption:
        report.text(
            f"The effect is causal only if {result.assumption}. The data cannot prove this; the "
            "checks below probe what they can."
        )
    propensity = getattr(est, "propensity_", None)
    if propensity is not None and len(est.classes_) == 2:
        t = est.fit_data_.t
        report.code(str(overlap_summary(np.asarray(propensity), t)))
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        plot_overlap(np.asarray(propensity), t, ax=ax)
        ax.set_title("Overlap: propensity score by arm")
        report.figure(fig, "overlap", "Propensity scores of treated (up) and control (down).")
    if refutation is not None:
        report.heading("Refutation and sensitivity")
        report.text(
            "every check passed" if refutation.passed else "at least one check FAILED; read why"
        )
        report.table(refutation.to_frame())
    provenance(report, seed, extra=f"estimator: {est!r}")
    return report.write(out)
