"""The project's exceptions and warnings: one set, shared by every layer.

Every error names the culprit (the node, column, file or value at fault) and, where it can, says what
to do about it.
"""

from __future__ import annotations

__all__ = [
    "AbductionError",
    "CapabilityError",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "DeepCausalError",
    "GraphError",
    "KnowledgeError",
    "MemoryLimitError",
    "ModelFileError",
    "NotFittedError",
    "NotIdentifiable",
    "OutputError",
    "OverlapWarning",
    "ScaleWarning",
    "SchemaError",
    "TrainingError",
]


class DeepCausalError(Exception):
    """Base class of every error raised by deepcausal."""


class GraphError(DeepCausalError, ValueError):
    """An invalid causal graph: a directed cycle, a self loop, an unknown node, a malformed string."""


class DataError(DeepCausalError, ValueError):
    """Invalid data: NaN or infinite values, mismatched lengths, wrong types, a single treatment arm."""


class SchemaError(DataError):
    """Data that does not fit the declared or inferred schema (a missing column, an unseen category)."""


class NotIdentifiable(DeepCausalError):
    """The causal query cannot be computed from the observational distribution in this graph.

    The message carries the reason (the hedge or the offending district).
    """


class NotFittedError(DeepCausalError, ValueError, AttributeError):
    """A model or estimator was used before ``fit``."""


class TrainingError(DeepCausalError, RuntimeError):
    """Training failed, for instance because the loss became NaN or infinite."""


class CapabilityError(DeepCausalError, NotImplementedError):
    """A model was asked for something its family cannot do, e.g. the log-density of a GAN."""


class AbductionError(CapabilityError):
    """A unit-level counterfactual needs a node's noise, and its mechanism cannot abduct it."""


class ModelFileError(DeepCausalError, OSError):
    """A saved model is missing, corrupt, truncated, edited or from an incompatible version."""


class OutputError(DeepCausalError, OSError):
    """A destination that cannot be written, or whose writing would overwrite an input."""


class KnowledgeError(DeepCausalError, ValueError):
    """Contradictory or malformed prior knowledge for causal discovery."""


class MemoryLimitError(DeepCausalError, MemoryError):
    """A computation needs more device memory than there is; the message says how much."""


class ConvergenceWarning(UserWarning):
    """An optimiser stopped before it converged."""


class DataWarning(UserWarning):
    """The data are too few or too extreme for a reliable answer; the answer comes with this."""


class ScaleWarning(DataWarning):
    """A continuous discovery method's causal order follows the raw variances (varsortability)."""


class OverlapWarning(UserWarning):
    """Propensity scores near 0 or 1: treated and control groups barely overlap."""
