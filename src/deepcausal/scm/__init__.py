"""Deep structural causal models (Pawlowski, Castro & Glocker 2020)."""

from deepcausal.scm._scm import DeepSCM

__all__ = ["DeepSCM"]
