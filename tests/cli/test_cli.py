"""The command line: help, the demo's pieces, and fit -> sample -> counterfactual on a small table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from deepcausal.cli.main import COMMANDS, main
from deepcausal.datasets import load_scm
from deepcausal.pipelines.identification_tour import identification_tour
from deepcausal.pipelines.ladder_demo import run_ladder_demo


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_identification_tour_prints_estimand_and_refusal() -> None:
    lines: list[str] = []
    identification_tour(lines.append)
    text = "\n".join(lines)
    assert "c-components:" in text
    assert "LaTeX:" in text and "\\sum" in text
    assert "is refused" in text and "hedge" in text


def test_ladder_demo_writes_a_report(tmp_path: Path) -> None:
    result = run_ladder_demo(
        n_train=300,
        out=tmp_path / "report",
        max_epochs=2,
        progress=False,
        echo=lambda s: None,
        discovery="pc",
    )
    assert result.learned is not None and result.learned.method == "pc"
    assert set(result.table["rung"]) == {"1 association", "2 intervention", "3 counterfactual"}
    assert result.report_path is not None and result.report_path.is_file()
    html = result.report_path.read_text()
    assert html.count("data:image/png;base64") == 4
    assert {p.name for p in (tmp_path / "report").glob("*.png")} == {
        "graph.png",
        "marginals.png",
        "interventional.png",
        "counterfactuals.png",
    }


def test_fit_sample_counterfactual(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim = load_scm("chain-linear")
    data = sim.sample(400, random_state=0)
    csv = tmp_path / "data.csv"
    data.to_csv(csv, index=False)
    model = tmp_path / "model"
    graph = sim.graph.to_string()
    args = [
        "fit",
        str(csv),
        "--graph",
        graph,
        "--out",
        str(model),
        "--epochs",
        "2",
        "--no-progress",
    ]
    assert main(args) == 0
    assert (model / "config.json").is_file() and (model / "weights.safetensors").is_file()

    samples = tmp_path / "samples.csv"
    assert (
        main(
            [
                "sample",
                str(model),
                "-n",
                "50",
                "--do",
                "x1=1.5",
                "--seed",
                "0",
                "--out",
                str(samples),
            ]
        )
        == 0
    )
    drawn = pd.read_csv(samples)
    assert len(drawn) == 50 and (drawn["x1"] == 1.5).all()

    rows = tmp_path / "rows.csv"
    data.head(5).to_csv(rows, index=False)
    cf = tmp_path / "cf.csv"
    assert (
        main(["counterfactual", str(model), "--data", str(rows), "--do", "x1=0", "--out", str(cf)])
        == 0
    )
    out = pd.read_csv(cf, index_col=0)
    assert len(out) == 5 and (out["x1"] == 0).all()
    capsys.readouterr()


def test_cli_errors_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", str(tmp_path / "missing"), "--out", str(tmp_path / "x.csv")]) == 1
    assert "no saved DeepSCM" in capsys.readouterr().err
    csv = tmp_path / "d.csv"
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(csv, index=False)
    assert (
        main(["fit", str(csv), "--graph", "a -> b", "--out", str(tmp_path / "m"), "--no-progress"])
        == 1
    )
    assert "'b'" in capsys.readouterr().err
    assert main(["sample", "m", "--do", "x1", "--out", "o.csv"]) == 1
