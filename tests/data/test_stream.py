"""ParquetSource: schema and encoder statistics from whole-table passes, row-group by row-group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.data import ParquetSource, Schema, TabularEncoder, held_out
from deepcausal.errors import DataError, SchemaError

pytest.importorskip("pyarrow", reason="Parquet streaming needs pyarrow (the parquet extra)")


def _table(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colour = np.array(["red", "green"], dtype=object)[rng.integers(0, 2, n)]
    colour[-1] = "blue"  # a category that appears only in the last row group
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 2.0, n),
            "t": rng.integers(0, 2, n),
            "k": rng.integers(0, 5, n) * 1.0 + 1e6,  # large offset: stable moments needed
            "colour": colour,
        }
    )


def _write(df: pd.DataFrame, path: Path, groups: int = 128) -> Path:
    df.to_parquet(path, row_group_size=groups)
    return path


def test_schema_from_a_pass_equals_schema_of_the_whole_table(tmp_path: Path) -> None:
    df = _table()
    source = ParquetSource(_write(df, tmp_path / "t.parquet"))
    assert source.n_rows == len(df) and source.n_row_groups == 8
    assert source.infer_schema() == Schema.infer(df)
    assert source.infer_schema()["colour"].categories == ("blue", "green", "red")


def test_encoder_statistics_equal_the_in_memory_fit(tmp_path: Path) -> None:
    df = _table()
    schema = Schema.infer(df)
    streamed = ParquetSource(_write(df, tmp_path / "t.parquet")).fit_encoder(schema)
    whole = TabularEncoder(schema).fit(df)
    assert streamed.mean_ is not None and whole.mean_ is not None
    assert streamed.std_ is not None and whole.std_ is not None
    for name in ("x", "k"):
        np.testing.assert_allclose(streamed.mean_[name], whole.mean_[name], rtol=1e-12)
        np.testing.assert_allclose(streamed.std_[name], whole.std_[name], rtol=1e-9)


def test_a_directory_of_files_reads_as_one_table_in_sorted_order(tmp_path: Path) -> None:
    df = _table(300)
    (tmp_path / "d").mkdir()
    _write(df.iloc[:100], tmp_path / "d" / "a.parquet", 64)
    _write(df.iloc[100:], tmp_path / "d" / "b.parquet", 64)
    source = ParquetSource(tmp_path / "d")
    assert source.n_rows == 300
    starts = [first for first, _ in source.frames(["x"])]
    assert starts == [0, 64, 100, 164, 228, 292]
    read = pd.concat(f for _, f in source.frames(["x"]))
    np.testing.assert_array_equal(read["x"].to_numpy(), df["x"].to_numpy())


def test_held_out_rows_depend_on_position_and_seed_only() -> None:
    rows = np.arange(50_000)
    mask = held_out(rows, 0.25, seed=3)
    assert abs(mask.mean() - 0.25) < 0.01
    np.testing.assert_array_equal(held_out(rows[1000:2000], 0.25, 3), mask[1000:2000])
    assert (held_out(rows, 0.25, 4) != mask).mean() > 0.3


def test_a_nan_in_a_late_row_group_is_named_with_its_rows(tmp_path: Path) -> None:
    df = _table()
    df.loc[900, "x"] = np.nan
    source = ParquetSource(_write(df, tmp_path / "t.parquet"))
    schema = Schema.infer(df.drop(index=900))
    with pytest.raises(SchemaError, match=r"'x'.*900"):
        source.fit_encoder(schema)


def test_bad_paths_and_columns_get_named_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no Parquet file"):
        ParquetSource(tmp_path / "missing.parquet")
    text = tmp_path / "t.parquet"
    text.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match=r"cannot read .* as Parquet"):
        ParquetSource(text)
    source = ParquetSource(_write(_table(), tmp_path / "ok.parquet"))
    with pytest.raises(SchemaError, match=r"no column\(s\) \['age'\]"):
        source.check_columns(["x", "age"])
