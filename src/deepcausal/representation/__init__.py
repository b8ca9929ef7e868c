"""Causal representation learning: concepts of an image with a causal graph between them.

``CausalVAE`` (Yang et al. 2021) learns one latent per labelled concept, a DAG over them, and
answers interventions on concepts with images.
"""

from deepcausal.representation._causalvae import CausalVAE

__all__ = ["CausalVAE"]
