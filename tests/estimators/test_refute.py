"""Refutation and sensitivity on a simulator with known confounders: the correct model passes every
check, a graph that misses a confounder's edge into the treatment fails at least one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import DataError
from deepcausal.estimators import (
    CHECKS,
    RegressionAdjustment,
    estimate_effect,
    refute,
    robustness_value,
)

TRUE = "Z1 -> T; Z2 -> T; Z1 -> Y; Z2 -> Y; T -> Y"
MISSING = "Z1 -> T; Z1 -> Y; Z2 -> Y; T -> Y"  # forgets that Z2 drives the treatment


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 1500
    z1, z2 = rng.normal(size=(2, n))
    t = rng.binomial(1, 1 / (1 + np.exp(-(0.6 * z1 + 0.9 * z2))))
    y = 1.0 * t + z1 + 1.5 * z2 + rng.normal(size=n)
    return pd.DataFrame({"Z1": z1, "Z2": z2, "T": t, "Y": y})


def _estimate(frame: pd.DataFrame, graph: str):  # type: ignore[no-untyped-def]
    return estimate_effect(
        frame, graph, "T", "Y", method="regression", n_bootstrap=50, random_state=0
    )


def test_the_correct_model_passes_every_check(frame: pd.DataFrame) -> None:
    report = refute(_estimate(frame, TRUE), random_state=1)
    assert [r.name for r in report.results] == list(CHECKS)
    failed = [str(r.name) for r in report.results if not r.passed]
    assert report.passed, f"failed: {failed}\n{report}"
    text = str(report)
    assert "[pass] placebo" in text and "every check passed" in text
    table = report.to_frame()
    assert list(table.columns) == ["check", "result", "value", "reference", "what it means"]


def test_a_graph_missing_a_confounder_fails_a_check(frame: pd.DataFrame) -> None:
    estimate = _estimate(frame, MISSING)
    assert estimate.adjustment_set == ("Z1",)  # Z2 is left out: the estimate is biased
    report = refute(estimate, random_state=1)
    graph = next(r for r in report.results if r.name == "graph")
    assert not graph.passed and "T ⊥ Z2 given {Z1}" in graph.sentence
    assert not report.passed and "at least one check FAILED" in str(report)


def test_an_estimator_alone_gets_every_check_but_the_graph(frame: pd.DataFrame) -> None:
    est = RegressionAdjustment(n_bootstrap=30, random_state=0)
    est.fit(frame[["Z1", "Z2"]], frame["T"], frame["Y"])
    report = refute(est, ["placebo", "sensitivity", "graph"], random_state=0)
    assert [r.name for r in report.results] == ["placebo", "sensitivity"]
    sensitivity = report.results[1]
    assert "strongest observed covariate, Z2" in sensitivity.sentence
    assert 0 < sensitivity.value < 1


def test_a_placebo_finds_an_estimator_that_invents_effects(frame: pd.DataFrame) -> None:
    """An estimator biased by construction (it adds 3 to every effect) fails the placebo and the
    dummy outcome checks: the refuters can fail."""

    class Biased(RegressionAdjustment):
        def _predict_outcomes(self, X: np.ndarray) -> np.ndarray:
            mu = super()._predict_outcomes(X)
            mu[:, 1] += 3.0
            return mu

    est = Biased(n_bootstrap=30, random_state=0).fit(frame[["Z1", "Z2"]], frame["T"], frame["Y"])
    report = refute(est, ["placebo", "dummy_outcome"], random_state=0)
    assert [r.passed for r in report.results] == [False, False]


def test_bad_arguments_are_named(frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="fitted deepcausal estimator"):
        refute(RegressionAdjustment())
    est = RegressionAdjustment(n_bootstrap=5).fit(frame[["Z1"]], frame["T"], frame["Y"])
    with pytest.raises(ValueError, match=r"unknown check\(s\) \['placebos'\]"):
        refute(est, ["placebos"])
    with pytest.raises(ValueError, match="n_refits must be >= 1"):
        refute(est, n_refits=0)


def test_robustness_value_matches_the_published_example() -> None:
    # Cinelli & Hazlett (2020), Darfur: t = 4.18, dof = 783 -> RV = 13.9%, RV at 5% = 7.6%
    assert round(robustness_value(4.18, 783), 3) == 0.139
    assert round(robustness_value(4.18, 783, alpha=0.05), 3) == 0.076
    assert robustness_value(1.0, 783, alpha=0.05) == 0.0  # not significant: nothing to explain


def test_cli_refutes_and_writes_a_report_and_json(
    frame: pd.DataFrame, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from deepcausal.cli.main import main

    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    argv = ["effect", str(csv), "--graph", TRUE, "--treatment", "T", "--outcome", "Y",
            "--method", "ipw", "--refute", "--report", str(tmp_path / "report"),
            "--json", str(tmp_path / "effect.json")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "[pass] placebo" in out and "T=1 vs T=0 (control)" in out
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Refutation and sensitivity" in page and "The question" in page
    assert (tmp_path / "report" / "overlap.png").is_file()
    saved = json.loads((tmp_path / "effect.json").read_text())
    assert saved["effect"]["contrast"] == "T=1 vs T=0 (control)" and len(saved["checks"]) == 7
