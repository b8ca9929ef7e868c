"""Identification of causal queries: the ID / IDC algorithms and the Estimand expression tree.

Pure Python (no torch). ``identify(graph, treatment, outcome, given=None)`` returns an
:class:`Estimand` (a formula over observational probabilities that prints as text or LaTeX and can be
evaluated on discrete data) or raises :class:`~deepcausal.errors.NotIdentifiable` with the hedge that
proves the query cannot be answered from observational data.
"""

from deepcausal.identify._algorithm import identify
from deepcausal.identify._estimand import Estimand
from deepcausal.identify._expression import (
    ONE,
    Expression,
    Fraction,
    One,
    Probability,
    Product,
    Sum,
)
from deepcausal.identify._simplify import simplify

__all__ = [
    "ONE",
    "Estimand",
    "Expression",
    "Fraction",
    "One",
    "Probability",
    "Product",
    "Sum",
    "identify",
    "simplify",
]
