"""Metrics: distances between samples, errors against ground truth, graph comparison."""

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

__all__ = [
    "edge_counts",
    "f1",
    "fdr",
    "mmd",
    "precision",
    "recall",
    "rmse",
    "shd",
    "sid",
    "to_cpdag",
    "tpr",
]
