"""The kernel proxy variable estimator (Mastouri et al. 2021)."""

from __future__ import annotations

import numpy as np
import pytest

from deepcausal.datasets import simulate_nonlinear_proxies, simulate_proxies
from deepcausal.errors import DataError, NotFittedError
from deepcausal.estimators import KernelProxy, estimate_effect


def _fit(sim, **kw):  # type: ignore[no-untyped-def]
    d = sim.data
    return KernelProxy(**kw).fit(d[["x"]], d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w)


@pytest.mark.parametrize("design", [simulate_proxies, simulate_nonlinear_proxies])
def test_recovers_the_effect_on_both_proxy_designs(design) -> None:  # type: ignore[no-untyped-def]
    sim = design(3000, random_state=11)
    effect = _fit(sim, random_state=0, n_bootstrap=30).ate()
    assert abs(effect.value - sim.ate) < 4 * effect.std_error
    assert effect.std_error < 0.8 and effect.n == 3000
    assert effect.contrast == "t=1 vs t=0"


def test_naive_adjustment_is_far_off_where_the_bridge_is_not() -> None:
    sim = simulate_nonlinear_proxies(3000, random_state=3)
    d = sim.data
    design = np.column_stack([np.ones(len(d)), d.t, d.x, d.z, d.w])
    naive = np.linalg.lstsq(design, d.y.to_numpy(), rcond=None)[0][1]
    assert abs(naive - sim.ate) > 0.3 * sim.ate  # the proxies as if they were the confounder


def test_deterministic_and_routed_by_estimate_effect() -> None:
    sim = simulate_nonlinear_proxies(800, random_state=1)
    a = _fit(sim, random_state=5, n_bootstrap=5).ate()
    b = _fit(sim, random_state=5, n_bootstrap=5).ate()
    assert a == b
    graph = "x -> t; x -> y; x -> z; x -> w; t -> y; u -> t; u -> y; u -> z; u -> w"
    d = sim.data
    result = estimate_effect(d, graph, "t", "y", method="kernel-proxy", treatment_proxy="z",
                             outcome_proxy="w", random_state=5, n_bootstrap=5)  # fmt: skip
    assert isinstance(result.estimator, KernelProxy)
    assert "Mastouri" in result.assumption and result.strategy == "proxies"


def test_bad_input_is_named() -> None:
    sim = simulate_proxies(300, random_state=0)
    d = sim.data
    with pytest.raises(DataError, match="needs a binary treatment"):
        KernelProxy().fit(None, d.y, d.y, treatment_proxy=d.z, outcome_proxy=d.w)
    with pytest.raises(DataError, match="outcome_proxy has 10 rows"):
        KernelProxy().fit(None, d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w[:10])
    few = d.t.copy()
    few[:] = 0
    few.iloc[:10] = 1
    with pytest.raises(DataError, match="at least 20 units"):
        KernelProxy().fit(None, few, d.y, treatment_proxy=d.z, outcome_proxy=d.w)
    with pytest.raises(NotFittedError):
        KernelProxy().ate()
    with pytest.raises(ValueError, match="lambdas must be positive"):
        KernelProxy(lambdas=(0.0,)).fit(None, d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w)
