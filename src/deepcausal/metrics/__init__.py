"""Metrics: distances between samples, errors against ground truth, graph comparison."""

from deepcausal.metrics._distributions import mmd, rmse

__all__ = ["mmd", "rmse"]
