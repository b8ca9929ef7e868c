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
from deepcausal.metrics._effects import ate_error, interval_covers, pehe, sqrt_pehe
from deepcausal.metrics._synthetic import downstream_fairness, precision_recall, table_design

__all__ = [
    "ate_error",
    "downstream_fairness",
    "edge_counts",
    "f1",
    "fdr",
    "interval_covers",
    "mmd",
    "pehe",
    "precision",
    "precision_recall",
    "recall",
    "rmse",
    "shd",
    "sid",
    "sqrt_pehe",
    "table_design",
    "to_cpdag",
    "tpr",
]
