"""deepcausal: causal inference with deep learning and generative models.

The three rungs of Pearl's ladder — association, intervention, counterfactual — over causal graphs
(DAGs and ADMGs), with identification by the do-calculus, causal discovery, treatment-effect
estimators and deep structural causal models.

Importing the package is cheap and does not import torch: the graph and identification layers are
pure Python, and the neural parts load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from deepcausal._version import __version__
from deepcausal.errors import (
    ConvergenceWarning,
    DataError,
    DeepCausalError,
    GraphError,
    KnowledgeError,
    ModelFileError,
    NotFittedError,
    NotIdentifiable,
    OverlapWarning,
    SchemaError,
    TrainingError,
)
from deepcausal.graph import CausalGraph

# Imported eagerly: the function ``identify`` must shadow the subpackage of the same name.
from deepcausal.identify import Estimand, identify

if TYPE_CHECKING:
    from deepcausal.discovery import Knowledge, discover
    from deepcausal.estimators import estimate_effect
    from deepcausal.ncm import Bounds, bounds, neural_identify
    from deepcausal.scm import DeepSCM

# Public names that live in heavier (torch) modules, imported on first access.
_LAZY: dict[str, str] = {
    "Bounds": "deepcausal.ncm",
    "DeepSCM": "deepcausal.scm",
    "Knowledge": "deepcausal.discovery",
    "discover": "deepcausal.discovery",
    "bounds": "deepcausal.ncm",
    "estimate_effect": "deepcausal.estimators",
    "neural_identify": "deepcausal.ncm",
}

__all__ = [
    "Bounds",
    "CausalGraph",
    "ConvergenceWarning",
    "DataError",
    "DeepCausalError",
    "DeepSCM",
    "Estimand",
    "GraphError",
    "Knowledge",
    "KnowledgeError",
    "ModelFileError",
    "NotFittedError",
    "NotIdentifiable",
    "OverlapWarning",
    "SchemaError",
    "TrainingError",
    "__version__",
    "bounds",
    "discover",
    "estimate_effect",
    "identify",
    "neural_identify",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'deepcausal' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
