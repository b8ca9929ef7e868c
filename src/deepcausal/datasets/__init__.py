"""Simulated structural causal models with exact ground truth (NumPy only).

``load_scm(name)`` builds one of the named SCMs of the causal normalizing flows paper (Javaloy et
al. 2023), the diffusion-based causal models paper (Chao et al. 2023) and a few of deepcausal's own
(non-additive noise, mixed variable types); ``available_scms()`` lists them. Each is a
:class:`SimulatedSCM`: sample, intervene, compute effects and exact counterfactuals.
``random_discrete_scm(graph)`` draws a discrete SCM of an ADMG with exact interventional and
counterfactual truth. ``load_adult(path)`` reads a local copy of the UCI Adult table.
"""

from deepcausal.datasets._adult import ADULT_COLUMNS, load_adult
from deepcausal.datasets._catalog import available_scms, load_scm
from deepcausal.datasets._discrete import DiscreteSCM, random_discrete_scm
from deepcausal.datasets._hidden import (
    HiddenConfounding,
    demand_h,
    simulate_demand,
    simulate_frontdoor,
    simulate_image_exposure,
    simulate_latent_proxies,
    simulate_mismeasured,
    simulate_noisy_proxy,
    simulate_nonlinear_proxies,
    simulate_proxies,
)
from deepcausal.datasets._scm import SimulatedSCM
from deepcausal.datasets._structural import NoiseKind, StructuralEquation

__all__ = [
    "ADULT_COLUMNS",
    "DiscreteSCM",
    "HiddenConfounding",
    "NoiseKind",
    "SimulatedSCM",
    "StructuralEquation",
    "available_scms",
    "demand_h",
    "load_adult",
    "load_scm",
    "random_discrete_scm",
    "simulate_demand",
    "simulate_frontdoor",
    "simulate_image_exposure",
    "simulate_latent_proxies",
    "simulate_mismeasured",
    "simulate_noisy_proxy",
    "simulate_nonlinear_proxies",
    "simulate_proxies",
]
