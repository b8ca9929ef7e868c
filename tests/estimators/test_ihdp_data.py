"""The IHDP benchmark loader (benchmarks/_ihdp_data.py): the standard split, and a sanity fit.

Skipped when ../shared/data/ihdp (or $DEEPCAUSAL_DATA/ihdp) is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from deepcausal.estimators import RegressionAdjustment
from deepcausal.metrics._effects import sqrt_pehe

_LOADER = Path(__file__).resolve().parents[2] / "benchmarks" / "_ihdp_data.py"


def _load_module():  # the benchmarks folder is not a package
    spec = importlib.util.spec_from_file_location("_ihdp_data", _LOADER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_ihdp_data", module)
    spec.loader.exec_module(module)
    return module


ihdp = _load_module()
pytestmark = pytest.mark.skipif(
    not ihdp.available(), reason=f"IHDP data not found in {ihdp.data_dir()} (set DEEPCAUSAL_DATA)"
)


def test_standard_split_of_every_replication() -> None:
    for i in range(1, ihdp.N_REPLICATIONS + 1):
        rep = ihdp.load_replication(i)
        assert rep.X_train.shape == (672, 25) and rep.X_test.shape == (75, 25)
        assert set(np.unique(rep.t_train)) == {0, 1}
    with pytest.raises(ValueError, match=r"must be in 1\.\.50"):
        ihdp.load_replication(51)


def test_regression_adjustment_fits_replication_one() -> None:
    rep = ihdp.load_replication(1)
    est = RegressionAdjustment(n_bootstrap=2, random_state=0).fit(
        rep.X_train, rep.t_train, rep.y_train
    )
    # a linear model per arm beats the best constant guess of the per-unit effects
    assert sqrt_pehe(rep.cate_test, est.effect(rep.X_test)) < rep.cate_test.std()
    assert abs(est.effect(rep.X_train).mean() - rep.cate_train.mean()) < 0.3
