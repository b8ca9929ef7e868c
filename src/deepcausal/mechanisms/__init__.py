"""Neural mechanisms: one conditional generative model per causal node.

Each family is a :class:`Mechanism`, an ``nn.Module`` that scores (``log_prob``, ``loss``), generates
(``noise``, ``sample``) and abducts (``abduct``) the value of one node given its parents. Families:

* ``"flow"`` — :class:`FlowMechanism`, conditional normalising flow (exact abduction);
* ``"additive"`` — :class:`AdditiveNoiseMechanism`, ``x = f(pa) + u`` with a learned noise flow;
* ``"location_scale"`` — :class:`LocationScaleMechanism`, ``x = mu(pa) + sigma(pa) * u``;
* ``"gumbel"`` — :class:`GumbelMaxMechanism`, Gumbel-max SCM for binary/categorical nodes
  (posterior abduction).

Build one with :func:`make_mechanism` (``"auto"`` picks ``flow`` or ``gumbel`` by kind) and rebuild it
from :meth:`Mechanism.config` with :func:`mechanism_from_config`.
"""

from deepcausal.mechanisms._base import (
    KINDS,
    MECHANISMS,
    Mechanism,
    make_mechanism,
    mechanism_from_config,
    register_mechanism,
    resolve_mechanism,
)
from deepcausal.mechanisms.additive import AdditiveNoiseMechanism
from deepcausal.mechanisms.flow import FlowMechanism
from deepcausal.mechanisms.gumbel import GumbelMaxMechanism
from deepcausal.mechanisms.location_scale import LocationScaleMechanism

__all__ = [
    "KINDS",
    "MECHANISMS",
    "AdditiveNoiseMechanism",
    "FlowMechanism",
    "GumbelMaxMechanism",
    "LocationScaleMechanism",
    "Mechanism",
    "make_mechanism",
    "mechanism_from_config",
    "register_mechanism",
    "resolve_mechanism",
]
