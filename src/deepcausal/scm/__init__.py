"""Deep structural causal models (Pawlowski, Castro & Glocker 2020)."""

from deepcausal.scm._fit import DEFAULT_TRAINING, Candidate
from deepcausal.scm._latent import EffectPush
from deepcausal.scm._scm import DeepSCM
from deepcausal.scm._stream import SAMPLE_ROWS, VALIDATION_ROWS, NodeStream, fit_streamed

__all__ = [
    "DEFAULT_TRAINING",
    "SAMPLE_ROWS",
    "VALIDATION_ROWS",
    "Candidate",
    "DeepSCM",
    "EffectPush",
    "NodeStream",
    "fit_streamed",
]
