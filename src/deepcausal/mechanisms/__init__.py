"""Neural mechanisms: one conditional generative model per causal node.

Each family is a :class:`Mechanism`, an ``nn.Module`` that generates (``noise``, ``sample``), hands
its training objective to the one training loop (``objective``), and declares what else it can do:
how it abducts a unit's noise (``abduction``) and whether it has a log-density (``has_log_prob``).

======================  ============  ===========  ==========================================
family                  abduction     log-density  what it is
======================  ============  ===========  ==========================================
``"flow"``              exact         yes          conditional normalising flow (zuko NSF/MAF)
``"additive"``          exact         yes          ``x = f(pa) + u``, learned noise density
``"location_scale"``    exact         yes          ``x = mu(pa) + sigma(pa) u``
``"gumbel"``            posterior     yes          Gumbel-max SCM for binary/categorical nodes
``"vae"``               posterior     no (ELBO)    conditional VAE, amortised posterior
``"conv-vae"``          posterior     no (ELBO)    convolutional conditional VAE, image nodes
``"hvae"``              posterior     no (ELBO)    hierarchical conditional VAE, image nodes
``"diffusion"``         approximate   no           DDPM denoiser, DDIM decode / encode (DCM)
``"gan"``               none*         no           conditional WGAN-GP (*latent inversion opt-in)
======================  ============  ===========  ==========================================

Build one with :func:`make_mechanism` (``"auto"`` picks ``flow`` or ``gumbel`` by kind) and rebuild it
from :meth:`Mechanism.config` with :func:`mechanism_from_config`. A new family is one file and one
import line here.
"""

from deepcausal.mechanisms._base import ABDUCTIONS, KINDS, Abduction, Mechanism
from deepcausal.mechanisms._registry import (
    MECHANISMS,
    families_for,
    make_mechanism,
    mechanism_from_config,
    register_mechanism,
    resolve_mechanism,
)
from deepcausal.mechanisms.additive import AdditiveNoiseMechanism
from deepcausal.mechanisms.conv_vae import ConvVAEMechanism
from deepcausal.mechanisms.diffusion import DiffusionMechanism
from deepcausal.mechanisms.flow import FlowMechanism
from deepcausal.mechanisms.gan import GANMechanism
from deepcausal.mechanisms.gumbel import GumbelMaxMechanism
from deepcausal.mechanisms.hvae import HVAEMechanism
from deepcausal.mechanisms.location_scale import LocationScaleMechanism
from deepcausal.mechanisms.vae import VAEMechanism

__all__ = [
    "ABDUCTIONS",
    "KINDS",
    "MECHANISMS",
    "Abduction",
    "AdditiveNoiseMechanism",
    "ConvVAEMechanism",
    "DiffusionMechanism",
    "FlowMechanism",
    "GANMechanism",
    "GumbelMaxMechanism",
    "HVAEMechanism",
    "LocationScaleMechanism",
    "Mechanism",
    "VAEMechanism",
    "families_for",
    "make_mechanism",
    "mechanism_from_config",
    "register_mechanism",
    "resolve_mechanism",
]
