"""The graph-aware entry point ``estimate_effect`` and the ``deepcausal effect`` command."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from deepcausal.cli import effect as effect_cli
from deepcausal.cli.main import EXIT_ERROR, EXIT_NOT_IDENTIFIABLE, run_command
from deepcausal.errors import DataError, DeepCausalError, GraphError, NotIdentifiable
from deepcausal.estimators import AIPW, METHODS, EffectEstimate, estimate_effect
from deepcausal.graph import CausalGraph


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 800
    z = rng.normal(size=n)
    w = rng.normal(size=n)  # a cause of the outcome only: not needed for adjustment
    group = rng.choice(["a", "b", "c"], size=n)
    t = rng.binomial(1, 1 / (1 + np.exp(-0.6 * z)))
    m = t + 0.1 * rng.normal(size=n)
    y = 1.5 * t + z + w + rng.normal(size=n)
    return pd.DataFrame({"Z": z, "W": w, "G": group, "T": t, "M": m, "Y": y})


GRAPH = "Z -> T; Z -> Y; W -> Y; T -> Y; G -> Y"


def test_backdoor_adjustment_with_a_minimal_set(frame) -> None:
    res = estimate_effect(frame, GRAPH, "T", "Y", method="aipw", random_state=0)
    assert isinstance(res, EffectEstimate)
    assert res.adjustment_set == ("Z",)
    assert isinstance(res.estimator, AIPW)
    assert res.estimator.n_features_in_ == 1
    assert res.effect.covers(1.5)
    text = str(res)
    assert text.splitlines()[0].startswith("Estimand: ")
    assert "Adjustment set: {Z}" in text and "ATE = " in text and "AIPW" in text


def test_categorical_adjustment_columns_are_encoded(frame) -> None:
    g = CausalGraph("G -> T; G -> Y; T -> Y")
    res = estimate_effect(frame, g, "T", "Y", method="regression", n_bootstrap=5, random_state=0)
    assert res.adjustment_set == ("G",)
    assert list(res.estimator.feature_names_in_) == ["G_b", "G_c"]


def test_empty_adjustment_set(frame) -> None:
    res = estimate_effect(frame, "T -> Y", "T", "Y", method="ipw", random_state=0)
    assert res.adjustment_set == ()
    assert "Adjustment set: {}" in str(res)


def test_frontdoor_is_used_where_no_backdoor_set_exists(frame) -> None:
    res = estimate_effect(frame, "T -> M; M -> Y; T <-> Y", "T", "Y", n_bootstrap=20)
    assert res.strategy == "front-door" and res.adjustment_set == ("M",)
    text = str(res).splitlines()
    assert text[1] == "Front-door set: {M} (the mediators)"
    assert text[2].startswith("Rests on: every directed path from T to Y runs through {M}")


def test_identified_by_neither_adjustment_says_so(frame) -> None:
    # Z confounds M and Y, T and Y share a hidden cause: identified, but by neither criterion;
    # the plug-in needs discrete columns, and the frame's are continuous.
    g = "T -> M; M -> Y; T <-> Y; Z -> M; Z <-> Y"
    with pytest.raises(DeepCausalError, match=r"(?s)neither back-door nor\s+front-door.*bin them"):
        estimate_effect(frame, g, "T", "Y")


def test_napkin_effect_by_the_id_plug_in() -> None:
    from deepcausal.datasets import random_discrete_scm

    g = "W -> R; R -> X; X -> Y; W <-> X; W <-> Y"
    scm = random_discrete_scm(g, random_state=0)
    res = estimate_effect(scm.sample(20_000, random_state=0), g, "X", "Y", n_bootstrap=50,
                          random_state=0)  # fmt: skip
    assert res.strategy == "ID plug-in" and res.adjustment_set == ("R", "W")
    truth = scm.ate("X", "Y")
    assert res.effect.ci_low - 0.01 < truth < res.effect.ci_high + 0.01
    assert "Plug-in of the ID estimand over {R, W}" in str(res)


def test_not_identifiable(frame) -> None:
    with pytest.raises(NotIdentifiable):
        estimate_effect(frame, "T -> Y; T <-> Y", "T", "Y")


def test_bad_arguments(frame) -> None:
    with pytest.raises(ValueError, match="unknown method 'forest'"):
        estimate_effect(frame, GRAPH, "T", "Y", method="forest")
    with pytest.raises(DataError, match="no column 'Q'"):
        estimate_effect(frame, GRAPH + "; Q -> Y", "T", "Q")
    with pytest.raises(DataError, match=r"lacks \['U'\]"):
        estimate_effect(frame, "U -> T; U -> Y; T -> Y", "T", "Y")
    with pytest.raises(GraphError):
        estimate_effect(frame, "T -> Y; Y -> T", "T", "Y")
    assert {"dragonnet", "cfr", "aipw", "dml", "matching"} <= set(METHODS)


def _args(tmp_path, frame, **overrides):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    ns = {
        "data": str(path),
        "graph": GRAPH,
        "treatment": "T",
        "outcome": "Y",
        "method": "dml",
        "level": 0.9,
        "att": True,
        "seed": 0,
        "debug": False,
        "na": [],
        "func": effect_cli.run,
    }
    ns.update(overrides)
    return argparse.Namespace(**ns)


def test_cli_prints_estimand_set_and_effect(tmp_path, frame, capsys) -> None:
    parser = argparse.ArgumentParser()
    effect_cli.add_parser(parser.add_subparsers())
    parsed = parser.parse_args(
        [
            "effect",
            "x.csv",
            "--graph",
            GRAPH,
            "--treatment",
            "T",
            "--outcome",
            "Y",
            "--method",
            "cfr",
        ]
    )
    assert parsed.func is effect_cli.run and parsed.method == "cfr" and parsed.level == 0.95

    assert effect_cli.run(_args(tmp_path, frame)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Estimand: Σ_{")
    assert out[1] == "Adjustment set: {Z} (back-door criterion, minimal)"
    assert out[2].startswith("Rests on: no unobserved confounder")
    assert out[3].startswith("ATE = ") and "(90% CI" in out[3] and "DML" in out[3]
    assert out[4].startswith("ATT = ")


def test_cli_errors(tmp_path, frame, capsys) -> None:
    code = run_command(_args(tmp_path, frame, graph="T -> Y; T <-> Y"))
    assert code == EXIT_NOT_IDENTIFIABLE
    assert "not identifiable" in capsys.readouterr().err
    code = run_command(_args(tmp_path, frame, outcome="nope"))
    assert code == EXIT_ERROR
    assert "no column 'nope'" in capsys.readouterr().err
    code = run_command(_args(tmp_path, frame, data=str(tmp_path / "missing.csv")))
    assert code == EXIT_ERROR
