"""The cost appendix of the HTML reports: this run's wall time on the reference cost curve.

The reference curves are what ``benchmarks/scaling.py`` measured (time against d for linear
discovery, against n for a DeepSCM fit, TARNet and DeepIV), shipped with the package as
``scaling_reference.json`` with the date and the machine. The appendix draws the curve on log-log
axes with its fitted slope, marks this run, and says what the slope implies for twice and ten times
the size, so a user can see how the cost of the same job grows before running it on more data.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from deepcausal.report._html import Report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["cost_appendix", "reference_curves"]

_AXIS = {"discovery": "d (variables)", "deepscm": "n (rows)", "tarnet": "n (rows)"}


def reference_curves() -> dict[str, Any]:
    """The shipped reference: ``{"source", "measured", "machine", "curves": {task: [[size,
    seconds, memory_mb], ...]}}``."""
    text = resources.files("deepcausal.report").joinpath("scaling_reference.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def _slope(sizes: np.ndarray, seconds: np.ndarray) -> float:
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def cost_appendix(report: Report, task: str, size: int, seconds: float, what: str) -> None:
    """Append the cost section for ``task`` (``"discovery"``, ``"deepscm"`` or ``"tarnet"``) at
    ``size`` (d or n) that took ``seconds``; ``what`` names the job in the text."""
    reference = reference_curves()
    points = np.asarray(reference["curves"][task], dtype=float)
    sizes, times = points[:, 0], points[:, 1]
    slope = _slope(sizes, times)
    report.heading("Appendix: cost")
    report.text(
        f"This run: {what} at {_AXIS[task].split()[0]} = {size:,} took {seconds:.2f} s. The curve is "
        f"the reference measured by {reference['source']} on {reference['machine']} "
        f"({reference['measured']}), where the time grows with slope {slope:.2f} on log-log axes; "
        "the table extrapolates this run by that slope (a rough guide: the slope steepens at the "
        "top of the measured range for discovery, whose steps cost O(d³))."
    )
    report.figure(_plot(task, sizes, times, slope, size, seconds), f"cost-{task}")
    rows = [
        {"size": f"{int(size * k):,}", "expected seconds": seconds * k**slope} for k in (1, 2, 10)
    ]
    report.table(pd.DataFrame(rows))


def _plot(
    task: str, sizes: np.ndarray, times: np.ndarray, slope: float, size: int, seconds: float
) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.loglog(sizes, times, "o-", color="#4a7ab5", label=f"reference (slope {slope:.2f})")
    ax.loglog([size], [max(seconds, 1e-3)], "*", color="#c0392b", ms=14, label="this run")
    ax.set_xlabel(_AXIS[task])
    ax.set_ylabel("wall time (s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
