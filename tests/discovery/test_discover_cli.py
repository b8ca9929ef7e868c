"""The ``deepcausal discover`` subcommand writes edges.csv, graph.dot and graph.png."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli import discover as discover_cli
from deepcausal.cli.main import run_command


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="deepcausal")
    parser.add_argument("--debug", action="store_true")
    discover_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["discover", *argv])
    return run_command(args)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 2000
    a, c, hidden = rng.normal(size=(3, n))
    frame = pd.DataFrame(
        {
            "a": a,
            "b": a + hidden + rng.normal(size=n),
            "c": c,
            "d": c + hidden + rng.normal(size=n),
        }
    )
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_discover_fci_writes_the_pag(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph"
    assert _run([str(data_file), "--method", "fci", "--alpha", "0.01", "--out", str(out)]) == 0
    edges = pd.read_csv(out / "edges.csv")
    assert list(edges.columns) == ["a", "b", "mark_a", "mark_b", "weight"]
    rows = {tuple(r) for r in edges[["a", "b", "mark_a", "mark_b"]].itertuples(index=False)}
    assert rows == {
        ("a", "b", "circle", "arrow"),
        ("b", "d", "arrow", "arrow"),
        ("c", "d", "circle", "arrow"),
    }
    assert "arrowtail=odot" in (out / "graph.dot").read_text()
    assert (out / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "method: fci" in printed and "b <-> d" in printed


def test_discover_pc_with_knowledge(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "pc"
    code = _run(
        [
            str(data_file),
            "--method",
            "pc",
            "--require",
            "a -> b",
            "--forbid",
            "d -> c, b -> d",
            "--tiers",
            "a, c | b, d",
            "--max-cond-size",
            "2",
            "--ci-test",
            "fisherz",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    edges = pd.read_csv(out / "edges.csv")
    directed = {(r.a, r.b) for r in edges.itertuples() if (r.mark_a, r.mark_b) == ("tail", "arrow")}
    assert ("a", "b") in directed and ("c", "d") in directed
    assert ("b", "d") not in directed and ("d", "c") not in directed


def test_discover_reports_errors(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run([str(data_file), "--require", "a -> zz", "--out", str(tmp_path / "x")]) == 1
    assert "unknown node(s) ['zz']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # a usage error that lists the methods
        _run([str(data_file), "--method", "nope", "--out", str(tmp_path / "x")])
    assert usage.value.code == 2
    assert "invalid choice: 'nope' (choose from 'pc', 'fci', 'notears'" in capsys.readouterr().err
    assert _run([str(tmp_path / "missing.csv")]) == 1
    assert "no such data file" in capsys.readouterr().err
    assert _run([str(data_file), "--option", "bogus=1", "--out", str(tmp_path / "x")]) == 1
    assert "bogus" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_discover_boolean_option(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--option refine=true`` reaches the method as a boolean (the order search ran)."""
    out = tmp_path / "graph"
    argv = [str(data_file), "--method", "notears", "--option", "refine=true", "--out", str(out)]
    assert _run(argv) == 0
    assert "refine_superstructure" in capsys.readouterr().out
    assert _run([*argv[:3], "--option", "refine=maybe", "--out", str(tmp_path / "y")]) == 1
    assert "refine must be True or False, got 'maybe'" in capsys.readouterr().err
