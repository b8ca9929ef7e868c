"""Metrics: distances between samples, errors against ground truth, graph comparison, and the
soundness of counterfactual images."""

from typing import TYPE_CHECKING

from deepcausal.metrics._discovery import (
    edge_counts,
    f1,
    fdr,
    precision,
    recall,
    shd,
    sid,
    to_cpdag,
    tpr,
)
from deepcausal.metrics._distributions import mmd, rmse
from deepcausal.metrics._effects import ate_error, interval_covers, pehe, sqrt_pehe
from deepcausal.metrics._images import (
    composition,
    effectiveness,
    frechet_distance,
    minimality,
    null_intervention,
    reversibility,
)
from deepcausal.metrics._synthetic import downstream_fairness, precision_recall, table_design

if TYPE_CHECKING:
    from deepcausal.metrics._classifier import ImagePredictor


def __getattr__(name: str) -> object:
    # ImagePredictor needs torch; the rest of the metrics (used by constraint-based discovery)
    # must not import it
    if name == "ImagePredictor":
        from deepcausal.metrics._classifier import ImagePredictor

        return ImagePredictor
    raise AttributeError(f"module 'deepcausal.metrics' has no attribute {name!r}")


__all__ = [
    "ImagePredictor",
    "ate_error",
    "composition",
    "downstream_fairness",
    "edge_counts",
    "effectiveness",
    "f1",
    "fdr",
    "frechet_distance",
    "interval_covers",
    "minimality",
    "mmd",
    "null_intervention",
    "pehe",
    "precision",
    "precision_recall",
    "recall",
    "reversibility",
    "rmse",
    "shd",
    "sid",
    "sqrt_pehe",
    "table_design",
    "to_cpdag",
    "tpr",
]
