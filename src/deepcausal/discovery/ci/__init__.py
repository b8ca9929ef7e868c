"""Conditional-independence tests for constraint-based discovery (PC, FCI).

``ci_test`` in :func:`deepcausal.discovery.discover` is a name or any callable
``(x, y, given, data) -> p_value`` (``x``, ``y`` column names, ``given`` a list of names, ``data`` the
DataFrame). Built in: ``"fisherz"`` (:class:`FisherZ`, partial correlation), ``"gsq"`` (:class:`GTest`)
and ``"chisq"`` (:class:`ChiSquare`) for discrete data, and ``"gcm"`` (:class:`GCM`, the generalised
covariance measure of Shah & Peters 2020) for nonlinear continuous data. :class:`DSeparation` is the
oracle of a known graph. Within one discovery run every test result is cached.
"""

from deepcausal.discovery.ci._base import (
    BoundCITest,
    CachedTest,
    CITest,
    CITestLike,
)
from deepcausal.discovery.ci._discrete import ChiSquare, GTest
from deepcausal.discovery.ci._fisher import FisherZ
from deepcausal.discovery.ci._gcm import GCM
from deepcausal.discovery.ci._oracle import DSeparation
from deepcausal.discovery.ci._resolve import resolve_ci_test

__all__ = [
    "GCM",
    "BoundCITest",
    "CITest",
    "CITestLike",
    "CachedTest",
    "ChiSquare",
    "DSeparation",
    "FisherZ",
    "GTest",
    "resolve_ci_test",
]
