"""Synthetic data with a causal guarantee: DECAF's fair generation on DeepSCM.

:class:`FairSynthesizer` fits one conditional generator per column of a table on a causal graph and
generates rows with the edges a fairness criterion marks as biased removed
(:func:`biased_edges`: fairness through unawareness, counterfactual fairness, demographic parity).
"""

from deepcausal.synthetic._fairness import FAIRNESS, Fairness, biased_edges
from deepcausal.synthetic._synthesizer import (
    MISSING_LEVEL,
    SYNTHESIS_TRAINING,
    FairSynthesizer,
    learn_graph,
    synthesis_training,
)

__all__ = [
    "FAIRNESS",
    "MISSING_LEVEL",
    "SYNTHESIS_TRAINING",
    "FairSynthesizer",
    "Fairness",
    "biased_edges",
    "learn_graph",
    "synthesis_training",
]
