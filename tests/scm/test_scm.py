"""DeepSCM: the three rungs against simulators with exact answers, persistence and bad input."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest

from deepcausal.datasets import load_scm
from deepcausal.errors import (
    DataError,
    GraphError,
    ModelFileError,
    NotFittedError,
    NotIdentifiable,
    SchemaError,
)
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM

N = 1500
FAST = TrainConfig(max_epochs=40, patience=8, lr=5e-3, batch_size=256)


@pytest.fixture(scope="module")
def chain() -> tuple[object, pd.DataFrame, DeepSCM]:
    sim = load_scm("chain-linear")
    data = cast(pd.DataFrame, sim.sample(N, random_state=0))
    scm = DeepSCM(sim.graph, random_state=0, progress=False, training=FAST).fit(data)
    return sim, data, scm


@pytest.fixture(scope="module")
def mixed() -> tuple[object, pd.DataFrame, DeepSCM]:
    sim = load_scm("mixed")
    data = cast(pd.DataFrame, sim.sample(N, random_state=1))
    scm = DeepSCM(sim.graph, random_state=0, progress=False, training=FAST).fit(data)
    return sim, data, scm


def test_interventional_mean_matches_truth(chain: tuple) -> None:
    sim, data, scm = chain
    last = sim.graph.topological_order()[-1]
    first = sim.graph.topological_order()[0]
    value = float(data[first].quantile(0.8))
    truth = sim.interventional_mean(last, {first: value}, n=50_000, random_state=0)
    model = scm.do({first: value}).sample(20_000, random_state=0)[last]
    # Monte Carlo error of the model's mean plus the estimation error of a model fitted on N rows:
    # both shrink like sd / sqrt(n); 5 standard errors of an N-row mean bound them generously.
    tolerance = 5 * data[last].std() / math.sqrt(N)
    assert abs(model.mean() - truth) < tolerance


def test_abduction_then_prediction_reproduces_the_factual_rows(chain: tuple) -> None:
    sim, data, scm = chain
    rows = data.iloc[:50]
    root = sim.graph.topological_order()[0]
    same = scm.counterfactual(rows, do={root: lambda x: x})
    np.testing.assert_allclose(same.to_numpy(float), rows.to_numpy(float), rtol=1e-4, atol=1e-4)
    assert same.index.equals(rows.index)


def test_counterfactuals_close_to_exact(chain: tuple) -> None:
    sim, data, scm = chain
    rows = data.iloc[:200]
    root = sim.graph.topological_order()[0]
    shift = {root: lambda x: x + 1.0}
    predicted = scm.counterfactual(rows, do=shift)
    exact = sim.counterfactual(rows, do=shift)
    for col in sim.graph.nodes:
        error = np.sqrt(np.mean((predicted[col] - exact[col]) ** 2))
        # within a tenth of the column's observational sd: drawing fresh noise instead of abducting
        # it would give an error near one sd for the noisy nodes
        assert error < 0.1 * float(data[col].std()), col


def test_non_descendants_unchanged(mixed: tuple) -> None:
    sim, data, scm = mixed
    rows = data.iloc[:100]
    order = sim.graph.topological_order()
    target = order[len(order) // 2]
    keep = [n for n in sim.graph.nodes if n not in sim.graph.descendants(target, inclusive=True)]
    value = rows[target].iloc[0]
    cf = scm.counterfactual(rows, do={target: value}, n_samples=3, random_state=0)
    assert cf.index.nlevels == 2 and len(cf) == 300
    for n in keep:
        repeated = np.repeat(rows[n].to_numpy(), 3)
        assert (cf[n].to_numpy() == repeated).all(), n


def test_averaged_counterfactual_reduces_each_rows_draws(mixed: tuple) -> None:
    sim, data, scm = mixed
    rows = data.iloc[:60]
    root = sim.graph.topological_order()[0]
    do = {root: rows[root].iloc[0]}
    draws = scm.counterfactual(rows, do=do, n_samples=7, random_state=3)
    cf = scm.counterfactual(rows, do=do, n_samples=7, random_state=3, average=True)
    assert cf.index.equals(rows.index) and list(cf.columns) == list(draws.columns)
    assert cf.attrs["draws_averaged"] == 7 and cf.attrs["abduction"] == draws.attrs["abduction"]
    by_row = draws.groupby(level=0, sort=False)
    for col in sim.graph.nodes:
        if sim.schema[col].kind == "continuous":
            np.testing.assert_allclose(cf[col].to_numpy(), by_row[col].mean().to_numpy())
        else:  # the most frequent draw of each row
            counts = by_row[col].value_counts()
            for row, value in cf[col].items():
                assert counts.loc[(row, value)] == counts.loc[row].max(), (col, row)
    untouched = set(sim.graph.nodes) - sim.graph.descendants(root, inclusive=True)
    for col in untouched:
        assert (cf[col].to_numpy() == rows[col].to_numpy()).all(), col
    with pytest.raises(DataError, match="average"):
        scm.counterfactual(rows, do=do, average="yes")  # type: ignore[arg-type]


def test_counterfactuals_in_chunks_match_one_pass(
    chain: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows x draws beyond one pass are split into chunks (with their per-row intervention
    values); with exact abduction the result is the one pass's, index and all."""
    import deepcausal.scm._counterfactual as engine

    sim, data, scm = chain
    rows = data.iloc[:50]
    root = sim.graph.topological_order()[0]
    do = {root: rows[root].to_numpy() + np.linspace(-1, 1, 50)}
    whole = scm.counterfactual(rows, do=do, n_samples=2, random_state=0)
    monkeypatch.setattr(engine, "DRAWS_PER_PASS", 7)  # 3 rows x 2 draws per pass
    chunked = scm.counterfactual(rows, do=do, n_samples=2, random_state=0)
    assert chunked.index.equals(whole.index)
    np.testing.assert_allclose(chunked.to_numpy(float), whole.to_numpy(float), rtol=1e-6)
    with pytest.raises(DataError, match=r"gives 49 values for 50 rows"):
        scm.counterfactual(rows, do={root: rows[root].to_numpy()[:49]})


def test_discrete_counterfactual_identity_is_exact(mixed: tuple) -> None:
    sim, data, scm = mixed
    rows = data.iloc[:200]
    root = sim.graph.topological_order()[0]
    same = scm.counterfactual(rows, do={root: rows[root].to_numpy()}, random_state=0)
    for col in sim.graph.nodes:
        if sim.schema[col].kind != "continuous":
            assert (same[col].astype(str).to_numpy() == rows[col].astype(str).to_numpy()).all(), col


def test_samples_keep_user_categories(mixed: tuple) -> None:
    sim, _, scm = mixed
    out = scm.sample(500, random_state=0)
    for col in sim.graph.nodes:
        var = sim.schema[col]
        if var.kind != "continuous":
            assert set(out[col].unique()) <= set(var.categories), col


def test_ate_close_to_truth(mixed: tuple) -> None:
    sim, data, scm = mixed
    t = next(n for n in sim.graph.nodes if sim.schema[n].kind == "binary")
    y = sim.graph.topological_order()[-1]
    categories = sim.schema[t].categories
    truth = sim.ate(t, y, categories[1], categories[0], n=50_000, random_state=0)
    model = scm.ate(t, y, treated=categories[1], control=categories[0], n=20_000, random_state=0)
    tolerance = 6 * data[y].std() / math.sqrt(N)
    assert abs(model.value - truth) < tolerance
    # the interval is the Monte Carlo error of 20,000 draws: about sd(y) * sqrt(2 / n) wide / 2
    assert model.n == 20_000 and "Monte Carlo" in model.method
    assert 0.5 < model.std_error / (data[y].std() * math.sqrt(2 / 20_000)) < 2.0
    assert model.ci_low < model.value < model.ci_high
    assert model.contrast == f"do({t}={categories[1]}) vs do({t}={categories[0]})"


def test_save_load_round_trip(chain: tuple, tmp_path: Path) -> None:
    _, data, scm = chain
    scm.save(tmp_path / "model")
    loaded = DeepSCM.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=4), scm.sample(50, random_state=4))
    root = scm.graph.topological_order()[0]
    pd.testing.assert_frame_equal(
        loaded.counterfactual(data.iloc[:5], do={root: 0.5}),
        scm.counterfactual(data.iloc[:5], do={root: 0.5}),
    )


def _model_file(model: Path, role: str) -> Path:
    manifest = json.loads((model / "manifest.json").read_text())
    return model / manifest["files"][role]["file"]


def test_corrupt_files_are_refused(chain: tuple, tmp_path: Path) -> None:
    _, _, scm = chain
    model = tmp_path / "model"
    scm.save(model)
    weights = _model_file(model, "weights.safetensors")
    blob = weights.read_bytes()
    weights.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ModelFileError, match=r"weights.safetensors.*truncated, corrupt or was"):
        DeepSCM.load(model)
    weights.write_bytes(blob)
    DeepSCM.load(model)
    with pytest.raises(ModelFileError, match="not a directory"):
        DeepSCM.load(tmp_path / "nothing-here")


def test_an_edited_encoder_is_refused(chain: tuple, tmp_path: Path) -> None:
    """One digit of a standard deviation used to load cleanly and rescale every sample."""
    _, _, scm = chain
    model = tmp_path / "model"
    scm.save(model)
    encoder = _model_file(model, "encoder.json")
    text = encoder.read_text()
    digit = next(i for i, ch in enumerate(text) if ch.isdigit() and ch != "0")
    encoder.write_text(text[:digit] + "0" + text[digit + 1 :])
    with pytest.raises(ModelFileError, match=rf"{encoder.name} \(encoder.json\) does not match"):
        DeepSCM.load(model)


def _resave(model: Path, role: str, edit: Callable[[dict], None]) -> None:
    """Edit one JSON file of a saved model and record the new checksum, as a deliberate edit would."""
    import hashlib

    path = _model_file(model, role)
    value = json.loads(path.read_text())
    edit(value)
    data = json.dumps(value).encode()
    path.write_bytes(data)
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["files"][role].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (model / "manifest.json").write_text(json.dumps(manifest))


def test_consistent_but_invalid_contents_are_refused(chain: tuple, tmp_path: Path) -> None:
    _, _, scm = chain
    model = tmp_path / "model"
    scm.save(model)
    last = scm.graph.topological_order()[-1]  # a non-root node: its network width is in the weights
    _resave(model, "config.json", lambda c: c["mechanisms"][last].update(parent_dim=2))
    with pytest.raises(
        ModelFileError, match=f"node '{last}' has a mechanism for 2 parent features"
    ):
        DeepSCM.load(model)
    scm.save(model, overwrite=True)
    _resave(model, "config.json", lambda c: c.update(graph="x1 -> x2; x3 -> x2"))
    with pytest.raises(ModelFileError, match=r"config.json.*node order"):
        DeepSCM.load(model)


def test_save_never_deletes_the_users_files(chain: tuple, tmp_path: Path) -> None:
    _, _, scm = chain
    results = tmp_path / "results"
    results.mkdir()
    (results / "notes.txt").write_text("notes")
    (results / "data.csv").write_text("x1,x2,x3\n")
    with pytest.raises(ModelFileError, match="not a deepcausal model"):
        scm.save(results)
    assert sorted(p.name for p in results.iterdir()) == ["data.csv", "notes.txt"]
    model = tmp_path / "model"
    scm.save(model)
    with pytest.raises(ModelFileError, match="overwrite=True"):
        scm.save(model)
    (model / "notes.txt").write_text("kept")
    scm.save(model, overwrite=True)
    assert (model / "notes.txt").read_text() == "kept"


def test_failed_save_leaves_previous_save_intact(
    chain: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, scm = chain
    model = tmp_path / "model"
    scm.save(model)
    before = {p.name: p.read_bytes() for p in model.iterdir()}

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("deepcausal.scm._io.json.dumps", crash)
    with pytest.raises(OSError, match="disk full"):
        scm.save(model, overwrite=True)
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary left behind


def test_bad_input(chain: tuple) -> None:
    sim, data, scm = chain
    with pytest.raises(NotIdentifiable, match="hedge"):
        DeepSCM("X -> Y; X <-> Y").do(X=1)
    with pytest.raises(NotFittedError, match="not fitted"):
        DeepSCM(sim.graph).sample(3)
    with pytest.raises(SchemaError, match=r"x2"):
        DeepSCM(sim.graph, progress=False).fit(data.drop(columns=["x2"]))
    broken = data.copy()
    broken.loc[[3, 7], "x1"] = np.nan
    with pytest.raises(SchemaError, match="2 NaN"):
        DeepSCM(sim.graph, progress=False).fit(broken)
    with pytest.raises(GraphError, match="unknown intervened node 'zz'"):
        scm.do(zz=1.0)
    with pytest.raises(SchemaError, match="needs a number"):
        scm.do(x1="high")
    with pytest.raises(ValueError, match="unknown mechanism"):
        DeepSCM(sim.graph, mechanisms="magic", progress=False).fit(data)


def test_unseen_category_in_intervention(mixed: tuple) -> None:
    sim, _, scm = mixed
    discrete = next(n for n in sim.graph.nodes if sim.schema[n].kind == "categorical")
    with pytest.raises(SchemaError, match=r"unseen|not one of|unknown|not seen"):
        scm.do({discrete: "no-such-category"})


def test_auto_keeps_the_additive_model_where_the_noise_is_additive(chain: tuple) -> None:
    _, _, scm = chain
    for node in ("x2", "x3"):
        assert scm.mechanisms_[node].name == "additive"
        # White's test saw no need for a flow
        assert list(scm.selection_.loc[node].index) == ["additive"]
    assert set(scm.selection_.columns) >= {"metric", "score", "seconds", "chosen"}


def test_auto_chooses_a_flow_where_the_noise_is_not_additive() -> None:
    """chain-nonadditive: x2 = exp(x1/2) + s(x1) u2 is heteroscedastic, so an additive model's
    counterfactual f(x1') - f(x1) + x2 keeps the unit's residual at the wrong scale; the flow
    chosen by held-out likelihood does not."""
    sim = load_scm("chain-nonadditive")
    data = cast(pd.DataFrame, sim.sample(3000, random_state=2))
    auto = DeepSCM(sim.graph, random_state=0, progress=False, training=FAST).fit(data)
    assert auto.mechanisms_["x2"].name == "flow"
    table = auto.selection_.loc["x2"]
    assert set(table["metric"]) == {"nll"}  # both have a log-density: held-out likelihood
    assert table.loc["flow", "score"] < table.loc["additive", "score"]
    assert bool(table.loc["flow", "chosen"]) and (table["seconds"] > 0).all()
    additive = DeepSCM(
        sim.graph, mechanisms="additive", random_state=0, progress=False, training=FAST
    ).fit(data)
    rows = data.iloc[:300]
    shift = {"x1": lambda x: x + 1.0}
    exact = sim.counterfactual(rows, do=shift)["x2"]

    def rmse(model: DeepSCM) -> float:
        return float(np.sqrt(np.mean((model.counterfactual(rows, do=shift)["x2"] - exact) ** 2)))

    assert rmse(auto) < rmse(additive)
    # auto's flow models the residual of a regression; the user's own hyper-parameters win
    assert auto.mechanisms_["x2"].config()["mean"] == "regression"
    plain = DeepSCM(
        sim.graph,
        mechanism_kwargs={"flow": {"mean": "none"}},
        random_state=0,
        progress=False,
        training=FAST,
    ).fit(data)
    assert plain.mechanisms_["x2"].name == "flow"
    assert plain.mechanisms_["x2"].config()["mean"] == "none"


def test_cut_edges_carry_no_influence_but_keep_marginals(chain: tuple) -> None:
    """Cutting x1 -> x2 at generation makes x2 independent of x1 while x1's and x2's marginals
    stay (DECAF's edge removal); a counterfactual refuses the cut model."""
    _, data, scm = chain
    n = 4000
    cut = scm.without_edges(["x1 -> x2"])
    assert cut.cut_edges == (("x1", "x2"),) and scm.cut_edges == ()
    kept, removed = scm.sample(n, random_state=0), cut.sample(n, random_state=0)
    assert abs(np.corrcoef(kept.x1, kept.x2)[0, 1]) > 0.9
    assert abs(np.corrcoef(removed.x1, removed.x2)[0, 1]) < 4 / math.sqrt(n)
    for node in ("x1", "x2"):
        sd = float(kept[node].std())
        assert abs(float(removed[node].mean() - kept[node].mean())) < 5 * sd / math.sqrt(n)
    with pytest.raises(GraphError, match="x2 -> x1 is not an edge"):
        scm.without_edges([("x2", "x1")])
    with pytest.raises(GraphError, match="write it as 'A -> B'"):
        scm.without_edges(["x1 x2"])
    with pytest.raises(GraphError, match="cut edges apply to sample"):
        cut.counterfactual(data.head(), do={"x1": 0.0})
