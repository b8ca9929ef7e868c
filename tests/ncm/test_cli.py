"""``deepcausal bounds`` and ``deepcausal identify --neural``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepcausal.cli.main import main
from deepcausal.datasets import random_discrete_scm

IV = "Z -> X; X -> Y; X <-> Y"


@pytest.fixture()
def iv_csv(tmp_path: Path) -> Path:
    path = tmp_path / "iv.csv"
    random_discrete_scm(IV, random_state=0).sample(3000, random_state=0).to_csv(path, index=False)
    return path


def test_bounds_prints_and_writes_json(
    iv_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b.json"
    code = main(
        [
            "bounds",
            str(iv_csv),
            "--graph",
            IV,
            "--treatment",
            "X",
            "--outcome",
            "Y",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    assert result["method"] == "lp" and result["lower"] < result["upper"] and result["tight"]
    assert "lp bounds, sharp" in capsys.readouterr().out


def test_bounds_names_a_continuous_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("X,Y\n" + "\n".join(f"{i % 2},{i / 7:.3f}" for i in range(50)) + "\n")
    code = main(
        ["bounds", str(path), "--graph", "X -> Y; X <-> Y", "--treatment", "X", "--outcome", "Y"]
    )
    assert code == 1
    assert "'Y' looks continuous" in capsys.readouterr().err


def test_identify_neural_refuses_the_instrument(
    iv_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "identify",
            "--graph",
            IV,
            "--treatment",
            "X",
            "--outcome",
            "Y",
            "--data",
            str(iv_csv),
            "--neural",
            "--seeds",
            "1",
            "-q",
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert (
        "ID algorithm: not identifiable" in out and "neural identification: not identifiable" in out
    )
