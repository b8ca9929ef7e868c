"""Causal discovery: learn a causal graph (DAG, CPDAG or PAG) from data, with prior knowledge.

``discover(data, method=...)`` runs one method from a registry: constraint-based PC-stable (a CPDAG)
and FCI (a PAG, allowing latent confounders), and continuous-optimisation methods (NOTEARS, DAGMA,
GraN-DAG, DAG-GNN; a DAG). Independence tests for the constraint-based methods live in
:mod:`deepcausal.discovery.ci`.
"""

from typing import TYPE_CHECKING

from deepcausal.discovery._base import available_methods, discover
from deepcausal.discovery._edges import Edge, Mark
from deepcausal.discovery._knowledge import Knowledge
from deepcausal.discovery._pdag import cpdag_of_dag
from deepcausal.discovery._result import DiscoveryResult
from deepcausal.discovery._sortability import r2_sortability, varsortability

__all__ = [
    "DiscoveryResult",
    "Edge",
    "Knowledge",
    "Mark",
    "available_methods",
    "cpdag_of_dag",
    "discover",
    "expm_acyclicity",
    "r2_sortability",
    "varsortability",
]

if TYPE_CHECKING:
    from deepcausal.discovery._acyclicity import expm_acyclicity


def __getattr__(name: str) -> object:
    # the acyclicity function needs torch; constraint-based discovery must not import it
    if name == "expm_acyclicity":
        from deepcausal.discovery._acyclicity import expm_acyclicity

        return expm_acyclicity
    raise AttributeError(f"module 'deepcausal.discovery' has no attribute {name!r}")
