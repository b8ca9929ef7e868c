"""Graphs travel between commands: ``discover --out`` feeds ``--graph`` of identify and effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli.main import main


def test_discover_then_identify_then_effect_from_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    z = rng.normal(size=n)
    t = (0.5 * z + rng.normal(size=n) > 0).astype(float)
    y = 2.0 * t + z + rng.normal(size=n)
    data = tmp_path / "data.csv"
    pd.DataFrame({"z": z, "t": t, "y": y}).to_csv(data, index=False)
    folder = tmp_path / "learned"
    # a complete triangle: only the tiers orient it, and then every edge is decided
    assert main(["discover", str(data), "--tiers", "z | t | y", "--out", str(folder)]) == 0
    assert main(["identify", "--graph", str(folder), "--treatment", "t", "--outcome", "y"]) == 0
    assert "Σ_{z}" in capsys.readouterr().out
    args = ["effect", str(data), "--graph", str(folder), "--treatment", "t", "--outcome", "y"]
    assert main([*args, "--method", "regression", "--json", str(tmp_path / "e.json")]) == 0
    printed = capsys.readouterr().out
    assert "Adjustment set: {z}" in printed
    import json

    ate = json.loads((tmp_path / "e.json").read_text())["effect"]
    assert ate["ci_low"] < 2.0 < ate["ci_high"]


def test_an_undecided_graph_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    data = tmp_path / "data.csv"
    pd.DataFrame({"x": x, "y": x + rng.normal(size=1000)}).to_csv(data, index=False)
    assert main(["discover", str(data), "--out", str(tmp_path / "g")]) == 0
    capsys.readouterr()
    code = main(["identify", "--graph", str(tmp_path / "g"), "--treatment", "x", "--outcome", "y"])
    assert code == 1
    err = capsys.readouterr().err
    assert "graph.dot: 1 edge(s) the data did not orient (x --- y)" in err
