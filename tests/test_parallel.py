"""Independent fits in parallel (loky processes, a Ray cluster) give what a sequential run gives."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import CapabilityError
from deepcausal.nn import TrainConfig
from deepcausal.parallel import ParallelConfig, connect_ray, parallel, parallel_map
from deepcausal.scm import DeepSCM


def _chain(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.normal(size=n)
    b = np.tanh(a) + 0.3 * rng.normal(size=n)
    c = 0.5 * b + 0.3 * rng.normal(size=n)
    return pd.DataFrame({"A": a, "B": b, "C": c})


def _scm_draws(**parallel_args: object) -> np.ndarray:
    scm = DeepSCM("A -> B; B -> C; A -> C", random_state=0, progress=False,
                  training=TrainConfig(max_epochs=8), **parallel_args)  # type: ignore[arg-type]  # fmt: skip
    return scm.fit(_chain()).sample(300, random_state=1).to_numpy()


def test_parallel_map_keeps_the_order_and_the_results() -> None:
    items = list(range(7))  # a function the workers can import (not one of this test module)
    assert parallel_map(math.factorial, items, n_jobs=2) == [math.factorial(x) for x in items]
    with parallel(n_jobs=2):
        assert parallel_map(math.factorial, items) == [math.factorial(x) for x in items]
    assert parallel_map(math.factorial, [], n_jobs=2) == []


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        ParallelConfig(n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs"):
        ParallelConfig(n_jobs=-3)
    with pytest.raises(ValueError, match="backend must be one of"):
        ParallelConfig(backend="threads")


def test_missing_ray_gets_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(CapabilityError, match=r"deepcausal\[ray\]"):
        connect_ray()


def test_deepscm_nodes_fitted_in_worker_processes_equal_a_sequential_fit() -> None:
    np.testing.assert_array_equal(_scm_draws(n_jobs=2), _scm_draws())


def test_bootstrap_and_search_in_a_parallel_block_equal_sequential() -> None:
    from sklearn.linear_model import Ridge

    from deepcausal.estimators import EffectSearch, RegressionAdjustment

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    t = rng.binomial(1, 0.5, size=300)
    y = X[:, 0] + 2.0 * t + 0.3 * rng.normal(size=300)

    def run() -> tuple[float, float, dict[str, object]]:
        est = RegressionAdjustment(Ridge(), n_bootstrap=6, random_state=0)
        effect = est.fit(X, t, y).ate()
        grid = {"outcome_model__alpha": [0.1, 10.0, 1e3]}
        search = EffectSearch(RegressionAdjustment(Ridge()), grid, random_state=0).fit(X, t, y)
        return effect.std_error, effect.value, search.best_params_

    sequential = run()
    with parallel(n_jobs=2):
        spread = run()
    assert spread == sequential
    assert sequential[0] > 0


def test_edge_stability_in_parallel_equals_sequential() -> None:
    from deepcausal.report._jobs import edge_stability

    df = _chain(300)
    one = edge_stability(df, 4, 0, method="pc")
    with parallel(n_jobs=2):
        two = edge_stability(df, 4, 0, method="pc")
    assert one == two and one


def test_unreachable_ray_address_is_named_not_waited_on() -> None:
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'deepcausal[ray]'")
    with pytest.raises(CapabilityError, match=r"cannot reach a Ray cluster at '127.0.0.1:1'"):
        connect_ray("127.0.0.1:1")
    with pytest.raises(CapabilityError, match="not host:port"):
        connect_ray("nonsense")


def test_ray_backend_equals_sequential() -> None:
    ray = pytest.importorskip(
        "ray", reason="Ray is an optional extra: pip install 'deepcausal[ray]'"
    )
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        np.testing.assert_array_equal(_scm_draws(n_jobs=2, backend="ray"), _scm_draws())
        with parallel(n_jobs=2, backend="ray"):
            assert parallel_map(math.factorial, [3, 1, 2]) == [6, 1, 2]
    finally:
        ray.shutdown()
