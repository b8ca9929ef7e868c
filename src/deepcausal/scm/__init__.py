"""Deep structural causal models (Pawlowski, Castro & Glocker 2020)."""

from deepcausal.scm._fit import DEFAULT_TRAINING, Candidate
from deepcausal.scm._latent import EffectPush
from deepcausal.scm._scm import DeepSCM

__all__ = ["DEFAULT_TRAINING", "Candidate", "DeepSCM", "EffectPush"]
