"""The command line: help, the demo's pieces, and fit -> sample -> counterfactual on a small table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    assert (model / "manifest.json").is_file()
    assert main(args) == 1  # a second fit does not replace the model silently
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0

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


def _table(tmp_path: Path) -> tuple[Path, str]:
    sim = load_scm("chain-linear")
    csv = tmp_path / "data.csv"
    sim.sample(100, random_state=0).to_csv(csv, index=False)
    return csv, sim.graph.to_string()


def test_fit_never_writes_over_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    csv, graph = _table(project)
    before = csv.read_bytes()
    for extra in ([], ["--overwrite"]):
        code = main(["fit", str(csv), "--graph", graph, "--out", str(project), *extra])
        assert code == 1
        err = capsys.readouterr().err
        assert "not a deepcausal model (data.csv)" in err and "Traceback" not in err
    assert csv.read_bytes() == before
    assert [p.name for p in project.iterdir()] == ["data.csv"]


def test_outputs_that_are_inputs_are_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, graph = _table(tmp_path)
    model = tmp_path / "model"
    assert main(["fit", str(csv), "--graph", graph, "--out", str(model), "--epochs", "1",
                 "--no-progress"]) == 0  # fmt: skip
    capsys.readouterr()
    before = csv.read_bytes()
    cases = [
        (["counterfactual", str(model), "--data", str(csv), "--do", "x1=0", "--out", str(csv)],
         "is the input"),
        (["sample", str(model), "--out", str(model / "samples.csv")], "inside the input folder"),
        (["sample", str(model), "--out", str(tmp_path)], "is a folder"),
        (["discover", str(csv), "--out", str(csv)], "is a file"),
        (["fit", str(csv), "--graph", graph, "--out", "."], "not a deepcausal model"),
        (["fit", str(csv), "--graph", graph, "--out", str(csv)], "it is a file"),
    ]  # fmt: skip
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err, (argv, err)
        assert "Traceback" not in err
    assert csv.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "model"]


def test_one_handler_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as info:  # bad usage: argparse's exit code 2
        main(["sample"])
    assert info.value.code == 2
    capsys.readouterr()
    import deepcausal.cli.identify as identify_cli

    def broken(args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(identify_cli, "run", broken)
    argv = ["identify", "--graph", "X -> Y", "--treatment", "X", "--outcome", "Y"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "unexpected KeyError" in err and "--debug" in err and "Traceback" not in err
    assert main(["--debug", *argv]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_fit_chooses_families_per_node_and_counterfactuals_say_what_they_rest_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, graph = _table(tmp_path)
    model = tmp_path / "model"
    argv = ["fit", str(csv), "--graph", graph, "--out", str(model), "--no-progress"]
    code = main([*argv, "--mechanism", "x2=vae", "--mechanism", "x3=additive+location_scale",
                 "--epochs", "3"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "x2           vae" in out and "abduction posterior" in out
    rows = tmp_path / "rows.csv"
    pd.read_csv(csv).head(3).to_csv(rows, index=False)
    cf = tmp_path / "cf.csv"
    assert main(["counterfactual", str(model), "--data", str(rows), "--do", "x1=0",
                 "--out", str(cf)]) == 0  # fmt: skip
    assert "abduction per node: x1: intervened, x2: posterior, x3: exact" in capsys.readouterr().out
    draws, mean = tmp_path / "draws.csv", tmp_path / "mean.csv"
    for out_file, extra in ((draws, []), (mean, ["--average"])):
        assert main(["counterfactual", str(model), "--data", str(rows), "--do", "x1=0",
                     "--samples", "4", "--seed", "1", "--out", str(out_file), *extra]) == 0  # fmt: skip
    averaged = pd.read_csv(mean, index_col=0)
    drawn = pd.read_csv(draws)
    assert len(averaged) == 3 and len(drawn) == 12
    expected = drawn.groupby(drawn.columns[0])["x2"].mean()
    np.testing.assert_allclose(averaged["x2"].to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert main([*argv, "--mechanisms", "diffusion", "--mechanism", "x2=vae"]) == 1
    assert "either --mechanisms" in capsys.readouterr().err
    assert main([*argv, "--mechanisms", "difusion"]) == 1
    assert "unknown mechanism family 'difusion'" in capsys.readouterr().err


def test_na_marks_missing_cells_and_a_mixed_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, graph = _table(tmp_path)
    frame = pd.read_csv(csv).astype({"x2": str})
    frame.loc[[2, 5], "x2"] = "?"
    frame.to_csv(csv, index=False)
    argv = ["fit", str(csv), "--graph", graph, "--out", str(tmp_path / "m"), "--epochs", "1",
            "--no-progress"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "'x2' mixes numbers with text: ['?'] in 2 row(s) (first rows [2, 5])" in err
    assert "--na '?'" in err
    assert main([*argv, "--na", "?"]) == 1  # now missing values, which a fit refuses by name
    again = capsys.readouterr().err
    assert "'x2'" in again and "NaN" in again
