"""Neural causal models and partial identification for graphs with hidden confounders.

``bounds`` (linear programs over response functions, Balke & Pearl 1997; or min/max over neural
causal models) and ``neural_identify`` (NCM min/max, Xia, Lee, Bengio & Bareinboim 2021).
"""

from deepcausal.ncm._api import BOUND_METHODS, bounds
from deepcausal.ncm._fit import NCMConfig
from deepcausal.ncm._identify import N_SEEDS, TAU, neural_identify
from deepcausal.ncm._model import DiscreteNCM
from deepcausal.ncm._result import Bounds, NeuralIdentification

__all__ = [
    "BOUND_METHODS",
    "N_SEEDS",
    "TAU",
    "Bounds",
    "DiscreteNCM",
    "NCMConfig",
    "NeuralIdentification",
    "bounds",
    "neural_identify",
]
