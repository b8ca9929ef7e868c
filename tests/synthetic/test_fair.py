"""Causally fair synthetic data (DECAF on DeepSCM): the edge sets, generation that honours them,
the input's schema kept, missing values reported, and bad input named."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepcausal.errors import DataWarning, GraphError, NotFittedError, SchemaError
from deepcausal.graph import CausalGraph
from deepcausal.metrics import downstream_fairness, precision_recall
from deepcausal.nn import TrainConfig
from deepcausal.synthetic import FairSynthesizer, biased_edges, learn_graph

GRAPH = "sex -> hours; sex -> income; hours -> income; age -> hours; age -> income; hours -> job"
ADULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "adult" / "adult.data.gz"
FAST = TrainConfig(max_epochs=30, batch_size=256, progress=False)


def simulate(n: int, seed: int) -> pd.DataFrame:
    """sex -> hours -> income <- sex, age -> {hours, income}, hours -> job: the income gap between
    the sexes runs both directly and through hours."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n)
    male = sex == "Male"
    age = rng.integers(18, 70, size=n)
    hours = 35 + 8 * male + 0.1 * (age - 40) + rng.normal(0, 4, size=n)
    logit = 0.25 * (hours - 40) + 1.2 * male + 0.03 * (age - 40) - 0.5
    income = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")
    job = np.where(hours + rng.normal(0, 3, size=n) > 42, "full", "part")
    return pd.DataFrame({"age": age, "sex": sex, "hours": hours, "income": income, "job": job})


def test_edge_sets_of_each_criterion() -> None:
    g = CausalGraph(GRAPH)
    assert biased_edges(g, ["sex"], "income", None) == []
    assert biased_edges(g, ["sex"], "income", "ftu") == [("sex", "income")]
    assert biased_edges(g, ["sex"], "income", "cf") == [("sex", "income"), ("hours", "income")]
    # dp also cuts sex -> hours: hours is an ancestor of income; hours -> job reaches no income
    assert biased_edges(g, ["sex"], "income", "dp") == [
        ("sex", "hours"),
        ("sex", "income"),
        ("hours", "income"),
    ]
    with pytest.raises(ValueError, match="unknown fairness criterion 'eo'"):
        biased_edges(g, ["sex"], "income", "eo")
    with pytest.warns(DataWarning, match="removes every edge into 'income'"):
        biased_edges(CausalGraph("sex -> income"), ["sex"], "income", "ftu")


@pytest.fixture(scope="module")
def fitted() -> tuple[FairSynthesizer, pd.DataFrame, pd.DataFrame]:
    train, test = simulate(3000, 0), simulate(2000, 1)
    synth = FairSynthesizer(
        GRAPH, protected="sex", target="income", mechanisms="auto", training=FAST,
        random_state=0, progress=False,
    ).fit(train)  # fmt: skip
    return synth, train, test


def _gap(frame: pd.DataFrame) -> float:
    rate = frame.groupby("sex")["income"].apply(lambda s: float((s == ">50K").mean()))
    return float(rate["Male"] - rate["Female"])


def test_generation_keeps_columns_levels_and_dtypes(fitted) -> None:  # type: ignore[no-untyped-def]
    synth, train, _ = fitted
    out = synth.generate(500, random_state=0)
    assert list(out.columns) == list(train.columns)
    assert dict(out.dtypes) == dict(train.dtypes)
    for column in ("sex", "income", "job"):
        assert set(out[column]) <= set(train[column])
    assert out.attrs["removed_edges"] == [] and out.attrs["fairness"] is None


def test_demographic_parity_removes_the_gap_that_unfair_generation_keeps(fitted) -> None:  # type: ignore[no-untyped-def]
    synth, train, _ = fitted
    n = 6000
    se = 4 * math.sqrt(0.25 / (n / 2) * 2)  # four standard errors of a difference of two shares
    real = _gap(train)
    unfair = _gap(synth.generate(n, random_state=1))
    fair = _gap(synth.generate(n, fairness="dp", random_state=2))
    assert real > 0.2
    assert abs(unfair - real) < 0.06 + se, (unfair, real)
    assert abs(fair) < se, fair
    ftu = synth.generate(n, fairness="ftu", random_state=3)
    # unaware of sex, income still differs through hours: between the fair and the unfair gap
    assert se < _gap(ftu) < unfair


def test_downstream_metrics_of_fair_data(fitted) -> None:  # type: ignore[no-untyped-def]
    synth, train, test = fitted
    real = downstream_fairness(train, test, "income", "sex")
    fair = downstream_fairness(synth.generate(3000, fairness="dp", random_state=4), test,
                               "income", "sex")  # fmt: skip
    # the classifier trained on real rows predicts by sex; on fair rows sex carries no signal,
    # and what is left is the noise of a classifier fitted to 3,000 rows
    assert real["dp"] > 0.5 and fair["dp"] < 0.1 and fair["ftu"] < 0.1
    # still better than chance (0.5) by about four standard errors of an AUROC on 2,000 test rows
    # (~0.013); measured 0.597-0.61 on different CPUs, so 0.6 itself was too tight a floor
    assert fair["auroc"] > 0.55
    precision, recall = precision_recall(test, synth.generate(2000, random_state=5))
    assert precision > 0.5 and recall > 0.5


def test_the_gan_family_generates_every_column_kind() -> None:
    train = simulate(800, 2)
    synth = FairSynthesizer(
        GRAPH, protected="sex", target="income", random_state=0, progress=False,
        training=TrainConfig(max_epochs=3, batch_size=256, progress=False),
    ).fit(train)  # fmt: skip
    assert {m.name for m in synth.scm_.mechanisms_.values()} == {"gan"}
    out = synth.generate(100, fairness="cf", random_state=0)
    assert list(out.columns) == list(train.columns)
    assert out.attrs["removed_edges"] == [("sex", "income"), ("hours", "income")]


def test_a_learned_graph_keeps_the_protected_attribute_a_root() -> None:
    data = simulate(2000, 3)
    graph = learn_graph(data, ["sex"], first=["age"], random_state=0)
    assert graph.parents("sex") == () and set(graph.nodes) == set(data.columns)
    assert "sex" in graph.ancestors("income") or "sex" in graph.parents("hours")


def test_missing_values_are_dropped_or_kept_as_a_level_and_reported() -> None:
    data = simulate(600, 4).astype({"job": object})
    data.loc[[3, 7, 11], "job"] = np.nan
    kwargs = {"protected": "sex", "target": "income", "mechanisms": "auto", "progress": False,
              "training": TrainConfig(max_epochs=1, progress=False)}  # fmt: skip
    with pytest.warns(DataWarning, match=r"dropped 3 of 600 rows .*'job': 3"):
        dropped = FairSynthesizer(GRAPH, **kwargs).fit(data)
    assert dropped.missing_["rows_dropped"] == 3
    with pytest.warns(
        DataWarning, match=r"became the level '\(missing\)' in column\(s\) \{'job': 3\}"
    ):
        level = FairSynthesizer(GRAPH, missing="level", **kwargs).fit(data)
    assert "(missing)" in level.scm_.schema_["job"].categories
    with pytest.raises(SchemaError, match=r"missing values in column\(s\) \{'job': 3\}"):
        FairSynthesizer(GRAPH, missing="error", **kwargs).fit(data)
    hours = simulate(600, 4)
    hours.loc[2, "hours"] = np.nan
    with pytest.raises(SchemaError, match=r"numeric column\(s\) \['hours'\]"):
        FairSynthesizer(GRAPH, missing="level", **kwargs).fit(hours)


def test_bad_input_is_named() -> None:
    data = simulate(300, 5)
    kwargs = {"mechanisms": "auto", "progress": False,
              "training": TrainConfig(max_epochs=1, progress=False)}  # fmt: skip
    with pytest.raises(SchemaError, match=r"\['gender'\] named as protected"):
        FairSynthesizer(GRAPH, protected="gender", target="income", **kwargs).fit(data)
    with pytest.raises(SchemaError, match=r"\['salary'\]"):
        FairSynthesizer(GRAPH, protected="sex", target="salary", **kwargs).fit(data)
    with pytest.raises(GraphError, match=r"protected attribute 'sex' has parent\(s\) \['age'\]"):
        FairSynthesizer(GRAPH + "; age -> sex", protected="sex", target="income", **kwargs).fit(
            data
        )
    with pytest.raises(SchemaError, match=r"column\(s\) \['job'\] are not nodes of the graph"):
        FairSynthesizer("sex -> hours; sex -> income; hours -> income; age -> income",
                        protected="sex", target="income", **kwargs).fit(data)  # fmt: skip
    with pytest.raises(NotFittedError):
        FairSynthesizer(GRAPH, protected="sex", target="income").generate(5)


@pytest.mark.skipif(not ADULT.is_file(), reason=f"UCI Adult not found at {ADULT}")
def test_adult_subsample_end_to_end() -> None:
    from deepcausal.datasets import load_adult

    adult = load_adult(ADULT, missing="drop").sample(1500, random_state=0).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        synth = FairSynthesizer(
            protected="sex", target="income", first=["age", "race", "native-country"],
            mechanisms="auto", training=TrainConfig(max_epochs=5, progress=False),
            random_state=0, progress=False,
        ).fit(adult)  # fmt: skip
    assert synth.graph_.parents("sex") == ()
    out = synth.generate(300, fairness="dp", random_state=0)
    assert list(out.columns) == list(adult.columns)
    assert dict(out.dtypes) == dict(adult.dtypes)


def test_cli_synthesizes_with_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from deepcausal.cli.main import main

    csv = tmp_path / "real.csv"
    simulate(600, 6).to_csv(csv, index=False)
    out = tmp_path / "synthetic.csv"
    argv = ["synthesize", str(csv), "--graph", GRAPH, "--protected", "sex", "--target", "income",
            "--fairness", "dp", "-n", "400", "--mechanisms", "auto", "--epochs", "5",
            "--no-progress", "--out", str(out), "--report", str(tmp_path / "report")]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "removed edges: sex -> hours, sex -> income, hours -> income" in printed
    table = pd.read_csv(out)
    assert list(table.columns) == ["age", "sex", "hours", "income", "job"] and len(table) == 400
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Edges removed at generation: sex -&gt; hours" in page and "precision" in page
    assert (tmp_path / "report" / "marginals.png").is_file()
    assert main([*argv[:-4], "--out", str(csv)]) == 1  # never over its input
    assert "is the input" in capsys.readouterr().err


def test_discretisation_keeps_a_spike_of_zeros_in_one_bin() -> None:
    import numpy as np
    import pandas as pd

    from deepcausal.synthetic._synthesizer import _bins

    rng = np.random.default_rng(0)
    gain = np.where(rng.random(1000) < 0.9, 0.0, rng.exponential(5000, 1000))
    codes = _bins(pd.Series(gain))
    assert set(codes[gain == 0]) == {0}  # the zeros together, never split at random
    assert len(set(codes[gain > 0])) == 4 and 0 not in set(codes[gain > 0])
    plain = _bins(pd.Series(rng.normal(size=1000)))
    assert sorted(set(plain)) == [0, 1, 2, 3, 4]
