"""DeepSCM.fit on a Parquet table, streamed in row groups: the same model as in memory, known
effects recovered, and named errors for a table that does not fit the graph."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import ParquetSource
from deepcausal.datasets import load_scm
from deepcausal.errors import GraphError, SchemaError
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM, fit_streamed

pytest.importorskip("pyarrow", reason="Parquet streaming needs pyarrow (the parquet extra)")

FAST = TrainConfig(max_epochs=30, patience=5, lr=5e-3, batch_size=512)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, DeepSCM]:
    sim = load_scm("mixed")
    data = cast(pd.DataFrame, sim.sample(6000, random_state=0))
    path = tmp_path_factory.mktemp("rows") / "mixed.parquet"
    data.to_parquet(path, row_group_size=1000)
    scm = DeepSCM(sim.graph, random_state=0, progress=False, training=FAST).fit(path)
    return sim, path, scm


def test_a_streamed_fit_recovers_the_known_effect(mixed: tuple) -> None:
    sim, _, scm = mixed
    truth = sim.ate("t", "y", 1, 0, n=50_000, random_state=0)
    est = scm.ate("t", "y", treated=1, control=0, n=20_000, random_state=1)
    assert abs(est.value - truth) < 0.1 * abs(truth), (est.value, truth)
    assert scm.schema_["c"].kind == "categorical" and scm.schema_["t"].kind == "binary"


def test_the_stream_stage_sees_every_row_and_records_it(mixed: tuple) -> None:
    scm = mixed[2]
    info = scm.training_info_
    assert info["streamed_rows"] == 6000
    assert 1000 < info["held_out_rows"] < 1400  # 20% of the rows, by hash
    result = scm.stream_history_
    assert result is not None and result.epochs >= 1
    assert len(result.val_loss) == result.epochs  # every epoch scored on the held-out rows


def test_the_saved_streamed_model_answers_as_before(mixed: tuple, tmp_path: Path) -> None:
    _, _, scm = mixed
    scm.save(tmp_path / "model")
    loaded = DeepSCM.load(tmp_path / "model", device="cpu")
    a = scm.sample(200, random_state=3)
    b = loaded.sample(200, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert loaded.training_info_["streamed_rows"] == 6000


def test_row_groups_larger_than_the_batch_and_a_directory(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    df = pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=4000)})
    (tmp_path / "parts").mkdir()
    df.iloc[:2500].to_parquet(tmp_path / "parts" / "0.parquet", row_group_size=2500)
    df.iloc[2500:].to_parquet(tmp_path / "parts" / "1.parquet")
    scm = DeepSCM("x -> y", random_state=0, progress=False, training=FAST)
    scm.fit(ParquetSource(tmp_path / "parts"))
    effect = scm.ate("x", "y", treated=1.0, control=0.0, n=5000, random_state=0)
    assert abs(effect.value - 2.0) < 0.1


def test_a_table_without_a_node_is_refused_before_any_training(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": np.arange(10.0), "w": np.arange(10.0)})
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(SchemaError, match=r"no column\(s\) \['y'\] needed by the graph"):
        DeepSCM("x -> y", progress=False).fit(tmp_path / "t.parquet")


def test_hidden_confounders_are_refused_for_streaming(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0) ** 2})
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(GraphError, match="in memory only"):
        DeepSCM("x -> y; x <-> y", progress=False).fit(str(tmp_path / "t.parquet"))


def test_the_held_out_share_shrinks_to_fit_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=3000)
    pd.DataFrame({"x": x, "y": x + rng.normal(size=3000)}).to_parquet(tmp_path / "t.parquet")
    scm = DeepSCM("x -> y", random_state=0, progress=False, training=FAST)
    fit_streamed(scm, tmp_path / "t.parquet", sample_rows=300, validation_rows=100)
    info = scm.training_info_
    assert 60 < info["held_out_rows"] < 140
    assert 200 < info["warm_start_rows"] < 400


def test_the_cli_streams_with_fit_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from deepcausal.cli.main import main

    rng = np.random.default_rng(2)
    x = rng.normal(size=3000)
    pd.DataFrame({"x": x, "y": x + rng.normal(size=3000)}).to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "model"
    base = ["fit", "--graph", "x -> y", "--out", str(out), "--epochs", "3", "--no-progress"]
    assert main([*base[:1], str(tmp_path / "t.parquet"), *base[1:], "--stream"]) == 0
    assert "on 3000 rows" in capsys.readouterr().out
    assert DeepSCM.load(out, device="cpu").training_info_["streamed_rows"] == 3000
    (tmp_path / "t.csv").write_text("x,y\n1,2\n3,4\n")
    code = main([*base[:1], str(tmp_path / "t.csv"), *base[1:], "--stream", "--overwrite"])
    assert code != 0 and "--stream reads Parquet" in capsys.readouterr().err
