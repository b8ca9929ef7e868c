"""Neural causal models and partial identification for graphs with hidden confounders.

``bounds`` (linear programs over response functions, Balke & Pearl 1997; or min/max over neural
causal models), ``neural_identify`` (NCM min/max, Xia, Lee, Bengio & Bareinboim 2021) and
``neural_counterfactual`` (effect on the treated, probabilities of necessity and sufficiency; Xia,
Pan & Bareinboim 2023).
"""

from deepcausal.ncm._api import BOUND_METHODS, bounds
from deepcausal.ncm._counterfactual import COUNTERFACTUAL_KINDS, neural_counterfactual
from deepcausal.ncm._fit import NCMConfig
from deepcausal.ncm._identify import N_SEEDS, TAU, neural_identify
from deepcausal.ncm._model import DiscreteNCM
from deepcausal.ncm._result import Bounds, NeuralIdentification

__all__ = [
    "BOUND_METHODS",
    "COUNTERFACTUAL_KINDS",
    "N_SEEDS",
    "TAU",
    "Bounds",
    "DiscreteNCM",
    "NCMConfig",
    "NeuralIdentification",
    "bounds",
    "neural_counterfactual",
    "neural_identify",
]
