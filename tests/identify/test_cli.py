"""The ``deepcausal identify`` subcommand, driven through its own argparse parser."""

from __future__ import annotations

import argparse

import pytest

from deepcausal.cli.identify import add_parser, run
from deepcausal.cli.main import run_command


def invoke(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="deepcausal")
    parser.add_argument("--debug", action="store_true")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["identify", *argv])
    assert args.func is run
    return run_command(args)


def test_prints_the_estimand(capsys: pytest.CaptureFixture[str]) -> None:
    code = invoke(["--graph", "Z -> X; X -> Y; Z -> Y", "--treatment", "X", "--outcome", "Y"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out == "Σ_{Z} P(Y | X, Z) P(Z)\n"
    assert err == ""


def test_latex_given_and_name_lists(capsys: pytest.CaptureFixture[str]) -> None:
    graph = "X1 -> M; M -> Y; X1 <-> Y; X2 -> Y; W -> Y"
    code = invoke(
        ["--graph", graph, "--treatment", "X1,X2", "--outcome", "Y", "--given", "W", "--latex"]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert r"\sum_{M}" in out and r"\mid" in out
    code = invoke(["--graph", graph, "--treatment", "X1", "--treatment", "X2", "--outcome", "Y"])
    repeated, _ = capsys.readouterr()
    code_comma = invoke(["--graph", graph, "--treatment", "X1, X2", "--outcome", "Y"])
    comma, _ = capsys.readouterr()
    assert code == code_comma == 0
    assert repeated == comma


def test_not_identifiable_exits_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = invoke(["--graph", "X -> Y; X <-> Y", "--treatment", "X", "--outcome", "Y"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "not identifiable" in err and "F = {X, Y} and F' = {Y}" in err


@pytest.mark.parametrize(
    ("graph", "treatment", "match"),
    [
        ("X -> Y; Y -> X", "X", "cycle"),
        ("X -> -> Y", "X", "cannot parse"),
        ("X -> Y", "Q", "unknown treatment 'Q'"),
    ],
)
def test_graph_errors_exit_with_1(
    capsys: pytest.CaptureFixture[str], graph: str, treatment: str, match: str
) -> None:
    code = invoke(["--graph", graph, "--treatment", treatment, "--outcome", "Y"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and match in err
