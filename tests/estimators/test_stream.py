"""Neural effect estimators fitted to a Parquet table streamed in row groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import CapabilityError, DataError, SchemaError
from deepcausal.estimators import AIPW, DragonNet, TARNet, fit_streamed
from deepcausal.nn import TrainConfig

pytest.importorskip("pyarrow", reason="Parquet streaming needs pyarrow (the parquet extra)")

FAST = TrainConfig(max_epochs=15, batch_size=256, lr=2e-3, patience=4, progress=False)
N = 8000


def _table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=N), rng.normal(size=N)
    t = rng.binomial(1, 1 / (1 + np.exp(-(0.8 * x1 - 0.5 * x2))))
    y = 2.0 * t + x1 + 0.5 * x2**2 + 0.5 * rng.normal(size=N)  # ATE 2
    return pd.DataFrame({"x1": x1, "x2": x2, "treated": t, "y": y})


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    df = _table()
    path = tmp_path_factory.mktemp("effect") / "rows.parquet"
    df.to_parquet(path, row_group_size=2000)
    return df, path


def test_a_streamed_dragonnet_recovers_the_effect_with_its_interval(table: tuple) -> None:
    df, path = table
    est = fit_streamed(
        DragonNet(train_config=FAST, random_state=0), path, treatment="treated", outcome="y"
    )
    effect = est.ate()
    naive = df.y[df.treated == 1].mean() - df.y[df.treated == 0].mean()
    assert abs(naive - 2.0) > 0.5  # confounded: the difference in means is far off
    assert abs(effect.value - 2.0) < max(0.1, 4 * effect.std_error), effect
    assert effect.ci_low < effect.value < effect.ci_high and effect.n == N
    assert "streamed" in effect.method and effect.contrast.startswith("treated=1 vs treated=0")
    # the interval is AIPW's over every row: about as wide as the in-memory AIPW's
    reference = AIPW(random_state=0).fit(df[["x1", "x2"]], df.treated, df.y).ate()
    assert 0.5 < effect.std_error / reference.std_error < 2.0
    fit = est.streamed_
    assert fit.covariates == ("x1", "x2") and fit.n_rows == N and 1000 < fit.held_out_rows < 2200
    assert est.effect(df[["x1", "x2"]].iloc[:5]).shape == (5,)


def test_a_streamed_tarnet_predicts_but_has_no_interval(table: tuple) -> None:
    df, path = table
    est = fit_streamed(TARNet(train_config=FAST, random_state=0), path, treatment="treated",
                       outcome="y", covariates=["x1", "x2"])  # fmt: skip
    assert abs(est.effect(df[["x1", "x2"]]).mean() - 2.0) < 0.2
    with pytest.raises(CapabilityError, match="no interval"):
        est.ate()


def test_bad_tables_get_named_errors(tmp_path: Path) -> None:
    df = _table(1)
    df.loc[5000, "x2"] = np.nan
    df.to_parquet(tmp_path / "nan.parquet", row_group_size=2000)
    with pytest.raises(DataError, match=r"'x2' .* row group starting at row 4000 .*\[5000\]"):
        fit_streamed(DragonNet(train_config=FAST), tmp_path / "nan.parquet",
                     treatment="treated", outcome="y")  # fmt: skip
    three = _table(2).assign(treated=lambda d: d.treated + (d.x1 > 1.5))
    three.to_parquet(tmp_path / "three.parquet")
    with pytest.raises(DataError, match="takes 3 value"):
        fit_streamed(DragonNet(), tmp_path / "three.parquet", treatment="treated", outcome="y")
    with pytest.raises(SchemaError, match=r"no column\(s\) \['dose'\]"):
        fit_streamed(DragonNet(), tmp_path / "three.parquet", treatment="dose", outcome="y")
    with pytest.raises(CapabilityError, match="not AIPW"):
        fit_streamed(AIPW(), tmp_path / "three.parquet", treatment="treated", outcome="y")  # type: ignore[arg-type]
