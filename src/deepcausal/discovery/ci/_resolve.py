"""Turning the ``ci_test`` argument (a name, a :class:`CITest` or a callable) into a cached test
bound to the data."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from deepcausal.discovery.ci._base import CachedTest, CallableTest, CITest
from deepcausal.discovery.ci._discrete import ChiSquare, GTest
from deepcausal.discovery.ci._fisher import FisherZ
from deepcausal.discovery.ci._gcm import GCM

__all__ = ["resolve_ci_test"]


def _registry() -> dict[str, Callable[[], CITest]]:
    return {
        "fisherz": FisherZ,
        "gsq": GTest,
        "chisq": ChiSquare,
        "gcm": GCM,
    }


_ALIASES = {
    "fisher_z": "fisherz",
    "fisher-z": "fisherz",
    "g_test": "gsq",
    "g-test": "gsq",
    "gtest": "gsq",
    "chi_square": "chisq",
    "chi2": "chisq",
}


def resolve_ci_test(ci_test: object, data: pd.DataFrame) -> CachedTest:
    """Bind ``ci_test`` (a name, a :class:`CITest` or a callable) to ``data``, wrapped in a cache.

    Names: ``"fisherz"`` (partial correlation), ``"gsq"`` (G-test), ``"chisq"`` (Pearson chi-square)
    and ``"gcm"`` (generalised covariance measure).

    Raises:
        ValueError: For an unknown name.
        TypeError: For something that is neither a name nor callable.
    """
    if isinstance(ci_test, str):
        registry = _registry()
        name = _ALIASES.get(ci_test.lower(), ci_test.lower())
        if name not in registry:
            raise ValueError(
                f"unknown ci_test {ci_test!r}; available: {', '.join(registry)}, "
                f"or a callable (x, y, given, data) -> p_value"
            )
        return CachedTest(registry[name]().bind(data))
    if isinstance(ci_test, CITest):
        return CachedTest(ci_test.bind(data))
    if callable(ci_test):
        return CachedTest(CallableTest(ci_test, data))
    raise TypeError(
        f"ci_test must be a test name, a CITest or a callable (x, y, given, data) -> p_value; "
        f"got {type(ci_test).__name__}"
    )
