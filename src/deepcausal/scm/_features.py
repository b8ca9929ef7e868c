"""A node's value as a mechanism sees it: its size, and its encoding as parent features."""

from __future__ import annotations

from torch import Tensor, nn

from deepcausal.data import Variable

__all__ = ["feature_dim", "features", "node_dim"]


def node_dim(var: Variable) -> int:
    return var.dim if var.kind == "continuous" else var.n_categories


def feature_dim(var: Variable) -> int:
    if var.kind == "continuous":
        return var.dim
    return 1 if var.kind == "binary" else var.n_categories


def features(var: Variable, value: Tensor) -> Tensor:
    """A node's value as parent features: floats as they are, a binary code as a 0/1 column,
    a categorical code one-hot."""
    if var.kind == "continuous":
        return value.float()
    if var.kind == "binary":
        return value.float().unsqueeze(1)
    return nn.functional.one_hot(value.long(), var.n_categories).float()
