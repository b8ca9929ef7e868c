"""Everyday use of the command line: table options, standard output, logs and warnings."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli._common import read_table
from deepcausal.cli.main import main
from deepcausal.errors import DataError

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, -1.0, 2.0]})


def test_separator_header_and_names(tmp_path: Path) -> None:
    semi = tmp_path / "t.csv"
    semi.write_text("a;b\n1;0.5\n2;-1\n3;2\n")
    pd.testing.assert_frame_equal(read_table(str(semi), sep=";"), FRAME, check_dtype=False)
    bare = tmp_path / "bare.csv"
    bare.write_text("1,0.5\n2,-1\n3,2\n")
    named = read_table(str(bare), header=False, names=["a", "b"])
    pd.testing.assert_frame_equal(named, FRAME, check_dtype=False)
    assert list(read_table(str(bare), header=False).columns) == ["x0", "x1"]
    tab = tmp_path / "t.dat"
    tab.write_text("a\tb\n1\t0.5\n2\t-1\n3\t2\n")
    assert list(read_table(str(tab), sep="\\t").columns) == ["a", "b"]
    with pytest.raises(DataError, match=r"--names gives 3 name\(s\) for the 2 column\(s\)"):
        read_table(str(bare), header=False, names=["a", "b", "c"])
    with pytest.raises(DataError, match="--sep must be one character"):
        read_table(str(bare), sep=";;")


@pytest.mark.parametrize("suffix", [".parquet", ".feather"])
def test_binary_tables(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("pyarrow", reason="Parquet and Feather need pyarrow (a dev extra)")
    file = tmp_path / f"t{suffix}"
    (FRAME.to_parquet if suffix == ".parquet" else FRAME.to_feather)(file)
    pd.testing.assert_frame_equal(read_table(str(file)), FRAME)
    broken = tmp_path / f"broken{suffix}"
    broken.write_bytes(b"not a table at all")
    with pytest.raises(DataError, match=f"cannot read .*broken{suffix}"):
        read_table(str(broken))


def _fit(tmp_path: Path, *extra: str) -> list[str]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "y": x + rng.normal(size=300), "note": 1.0}).to_csv(data, index=False)
    return ["fit", str(data), "--graph", "x -> y", "--mechanisms", "flow", "--epochs", "3", "--out", str(tmp_path / "m"),
            *extra]  # fmt: skip


def test_fit_logs_one_line_per_fit_warns_on_left_out_columns_and_draws_no_bars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _no_raise():
        assert main(_fit(tmp_path)) == 0
    err = capsys.readouterr().err
    assert "warning: column(s) ['note'] are not nodes of the graph" in err
    assert "mechanism y (" in err and "epochs" in err and "stopped by max_epochs=3" in err
    assert "\r" not in err and "%|" not in err  # no bar redraws where stderr is not a terminal


def test_quiet_keeps_results_and_errors_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _no_raise():
        assert main(_fit(tmp_path, "--quiet")) == 0
    captured = capsys.readouterr()
    assert "epochs" not in captured.err
    assert "saved to" in captured.out


def test_out_dash_writes_the_table_to_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _no_raise():
        assert main(_fit(tmp_path, "--quiet")) == 0
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "m"), "-n", "5", "--out", "-", "--quiet"]) == 0
    captured = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(captured.out))
    assert list(rows.columns) == ["x", "y"] and len(rows) == 5
    assert "wrote 5 rows to -" in captured.err
    assert not Path("-").exists()


class _no_raise:
    """Let the CLI report warnings its own way (the test suite turns warnings into errors)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("default")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def test_effect_writes_json_to_stdout_and_per_unit_effects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    rng = np.random.default_rng(1)
    n = 1500
    z = rng.normal(size=n)
    t = (0.5 * z + rng.normal(size=n) > 0).astype(float)
    y = (1.0 + z) * t + z + rng.normal(size=n)  # the effect grows with z
    data = tmp_path / "d.csv"
    pd.DataFrame({"z": z, "t": t, "y": y}).to_csv(data, index=False)
    units = tmp_path / "units.csv"
    args = ["effect", str(data), "--graph", "z -> t; z -> y; t -> y", "--treatment", "t",
            "--outcome", "y", "--method", "dml", "--out", "-", "--units", str(units)]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    content = json.loads(captured.out)
    assert content["adjustment_set"] == ["z"] and content["strategy"] == "back-door"
    assert content["effect"]["n"] == n and content["effect"]["p_value"] < 1e-6
    assert content["effect"]["ci_low"] < 1.0 < content["effect"]["ci_high"]
    assert content["command"].startswith("deepcausal ") and content["seed"] == 0
    assert "Adjustment set: {z}" in captured.err
    per_unit = pd.read_csv(units, index_col=0)
    assert len(per_unit) == n
    assert np.corrcoef(per_unit["effect"], z)[0, 1] > 0.8  # heterogeneity is recovered


def test_per_unit_effects_need_a_back_door_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    n = 1000
    zz = rng.normal(size=n)
    u = rng.normal(size=n)
    t = zz + u + rng.normal(size=n)
    data = tmp_path / "d.csv"
    pd.DataFrame({"zz": zz, "t": t, "y": 2 * t + u + rng.normal(size=n)}).to_csv(data, index=False)
    args = ["effect", str(data), "--graph", "zz -> t; t -> y; t <-> y", "--treatment", "t",
            "--outcome", "y", "--method", "2sls", "--instrument", "zz", "--units",
            str(tmp_path / "u.csv")]  # fmt: skip
    assert main(args) == 1
    assert "gives the average effect only" in capsys.readouterr().err
    assert not (tmp_path / "u.csv").exists()


def test_shift_interventions_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from deepcausal.cli._common import Shift, parse_assignments

    assert parse_assignments(["x+=1", "z*=2"]) == {"x": Shift("+", 1.0), "z": Shift("*", 2.0)}
    for bad in (["x+=a"], ["+=1"], ["x/=0"]):
        with pytest.raises(DataError, match="shift"):
            parse_assignments(bad)
    with _no_raise():
        assert main(_fit(tmp_path, "--quiet")) == 0
    factual = pd.read_csv(tmp_path / "d.csv").head(20)
    factual.to_csv(tmp_path / "f.csv", index=False)
    args = ["counterfactual", str(tmp_path / "m"), "--data", str(tmp_path / "f.csv"),
            "--do", "x+=1", "--out", str(tmp_path / "cf.csv"), "--quiet"]  # fmt: skip
    with _no_raise():
        assert main(args) == 0
    cf = pd.read_csv(tmp_path / "cf.csv")
    np.testing.assert_allclose(cf["x"], factual["x"] + 1.0, rtol=1e-5, atol=1e-5)
