"""HTML reports and plots: the report of each command-line job, and the figures they share."""

from deepcausal.report._bounds import bounds_report
from deepcausal.report._cost import cost_appendix, reference_curves
from deepcausal.report._effect import effect_report
from deepcausal.report._graph_plot import graph_png, plot_graph
from deepcausal.report._html import Report
from deepcausal.report._jobs import (
    counterfactual_report,
    discovery_report,
    edge_stability,
    fit_report,
    provenance,
    sample_report,
)
from deepcausal.report._plots import (
    plot_counterfactuals,
    plot_image_grid,
    plot_interventional,
    plot_marginals,
)
from deepcausal.report._synthetic import synthesis_report

__all__ = [
    "Report",
    "bounds_report",
    "cost_appendix",
    "counterfactual_report",
    "discovery_report",
    "edge_stability",
    "effect_report",
    "fit_report",
    "graph_png",
    "plot_counterfactuals",
    "plot_graph",
    "plot_image_grid",
    "plot_interventional",
    "plot_marginals",
    "provenance",
    "reference_curves",
    "sample_report",
    "synthesis_report",
]
