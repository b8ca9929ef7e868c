"""Simulated structural causal models with exact ground truth (NumPy only).

``load_scm(name)`` builds one of the named SCMs of the causal normalizing flows paper (Javaloy et
al. 2023), the diffusion-based causal models paper (Chao et al. 2023) and a few of deepcausal's own
(non-additive noise, mixed variable types); ``available_scms()`` lists them. Each is a
:class:`SimulatedSCM`: sample, intervene, compute effects and exact counterfactuals.
``random_discrete_scm(graph)`` draws a discrete SCM of an ADMG with exact interventional and
counterfactual truth. ``load_adult(path)`` reads a local copy of the UCI Adult table,
``load_morphomnist(folder)`` one of Morpho-MNIST, whose thickness and intensity
``morphometrics(images)`` measures; ``simulate_pendulum(n)`` renders CausalVAE's pendulum scene.
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
from deepcausal.datasets._morphomnist import (
    MorphoMNIST,
    load_morphomnist,
    measure_intensity,
    measure_thickness,
    morphometrics,
    read_idx,
)
from deepcausal.datasets._pendulum import (
    PENDULUM_GRAPH,
    Pendulum,
    measure_pendulum,
    measure_shadow,
    pendulum_factors,
    render_pendulum,
    simulate_pendulum,
)
from deepcausal.datasets._scm import SimulatedSCM
from deepcausal.datasets._structural import NoiseKind, StructuralEquation

__all__ = [
    "ADULT_COLUMNS",
    "PENDULUM_GRAPH",
    "DiscreteSCM",
    "HiddenConfounding",
    "MorphoMNIST",
    "NoiseKind",
    "Pendulum",
    "SimulatedSCM",
    "StructuralEquation",
    "available_scms",
    "demand_h",
    "load_adult",
    "load_morphomnist",
    "load_scm",
    "measure_intensity",
    "measure_pendulum",
    "measure_shadow",
    "measure_thickness",
    "morphometrics",
    "pendulum_factors",
    "random_discrete_scm",
    "read_idx",
    "render_pendulum",
    "simulate_demand",
    "simulate_frontdoor",
    "simulate_image_exposure",
    "simulate_latent_proxies",
    "simulate_mismeasured",
    "simulate_noisy_proxy",
    "simulate_nonlinear_proxies",
    "simulate_pendulum",
    "simulate_proxies",
]
