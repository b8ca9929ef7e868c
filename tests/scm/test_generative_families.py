"""DeepSCM with every generative family: the three rungs, what counterfactuals rest on, choosing
among families by a fair score, and the errors a user meets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from deepcausal.datasets import load_scm
from deepcausal.errors import AbductionError, TrainingError
from deepcausal.mechanisms import VAEMechanism
from deepcausal.scm import DeepSCM

N = 1500
SMALL: dict[str, dict[str, Any]] = {
    "diffusion": {},
    "vae": {"hidden": (32, 32)},
    "gan": {"hidden": (32, 32)},
}


@pytest.fixture(scope="module")
def chain() -> tuple[Any, pd.DataFrame]:
    sim = load_scm("chain-nonlinear")
    return sim, sim.sample(N, random_state=0)


_FITTED: dict[tuple[str, str], DeepSCM] = {}


def _fit(sim: Any, data: pd.DataFrame, family: str, **kwargs: Any) -> DeepSCM:
    """One fit per family and settings, shared by the tests of this module (fits are seeded)."""
    key = (family, repr(sorted(kwargs.items())))
    if key not in _FITTED:
        torch.set_num_threads(1)
        _FITTED[key] = DeepSCM(
            sim.graph,
            mechanisms=family,
            mechanism_kwargs={family: {**SMALL[family], **kwargs}},
            random_state=0,
            progress=False,
        ).fit(data)
    return _FITTED[key]


@pytest.mark.parametrize("family", ["diffusion", "vae", "gan"])
def test_each_family_answers_rungs_one_and_two(chain: tuple, family: str) -> None:
    """Observational and interventional means within a tolerance of the simulator's truth: five
    standard errors of the difference of two means of 4,000 draws, plus a model error of 0.15
    observational sd (the units of the ladder benchmark)."""
    sim, data = chain
    scm = _fit(sim, data, family)
    assert {m.name for m in scm.mechanisms_.values()} == {family}
    n = 4000
    for do in (None, {"x1": 1.0}):
        model = (scm.do(do) if do else scm).sample(n, random_state=1)
        truth = sim.sample(n, do=do, random_state=2)
        for node in ("x2", "x3"):
            sd = float(truth[node].std())
            tol = 5 * sd * math.sqrt(2 / n) + 0.15 * sd
            gap = abs(float(model[node].mean() - truth[node].mean()))
            assert gap < tol, f"{family} {do}: mean of {node} off by {gap:.3f} (tol {tol:.3f})"


@pytest.mark.parametrize(("family", "kind"), [("diffusion", "approximate"), ("vae", "posterior")])
def test_counterfactuals_name_the_abduction_they_rest_on(
    chain: tuple, family: str, kind: str
) -> None:
    sim, data = chain
    scm = _fit(sim, data, family)
    rows = data.iloc[:300]
    cf = scm.counterfactual(rows, do={"x1": 0.5}, random_state=0)
    assert cf.attrs["abduction"] == {"x1": "intervened", "x2": kind, "x3": kind}
    shifted = scm.counterfactual(rows, do={"x2": lambda v: v + 0.1}, random_state=0)
    assert shifted.attrs["abduction"] == {"x1": "factual", "x2": kind, "x3": kind}
    exact = sim.counterfactual(rows, do={"x1": 0.5})
    rmse = float(np.sqrt(((cf["x2"] - exact["x2"]) ** 2).mean()) / data["x2"].std())
    assert rmse < 0.25, f"{family}: counterfactual RMSE of x2 {rmse:.3f} sd"


def test_a_counterfactual_through_a_gan_is_refused_with_the_node_and_the_remedy(
    chain: tuple,
) -> None:
    sim, data = chain
    scm = _fit(sim, data, "gan")
    with pytest.raises(
        AbductionError, match=r"recomputes node 'x2' \(and \['x3'\]\).*'gan'"
    ) as info:
        scm.counterfactual(data.iloc[:5], do={"x1": 0.0})
    assert "exact: additive, flow, location_scale" in str(info.value)
    assert "posterior: vae" in str(info.value) and "approximate: diffusion" in str(info.value)
    # population questions need no abduction
    assert len(scm.do(x1=0.0).sample(10, random_state=0)) == 10
    # a counterfactual that recomputes no GAN node is answered
    mixed = DeepSCM(
        sim.graph,
        mechanisms={"x1": "gan", "x2": "additive", "x3": "additive"},
        mechanism_kwargs={"gan": SMALL["gan"]},
        random_state=0,
        progress=False,
    ).fit(data)
    out = mixed.counterfactual(data.iloc[:5], do={"x2": 1.0})
    assert out.attrs["abduction"] == {"x1": "factual", "x2": "intervened", "x3": "exact"}


def test_gan_latent_inversion_is_an_approximate_abduction(chain: tuple) -> None:
    sim, data = chain
    scm = _fit(sim, data, "gan", inversion="optimise")
    rows = data.iloc[:100]
    again = scm.counterfactual(rows, do={"x1": lambda v: v})  # the identity: reconstructs rows
    assert again.attrs["abduction"]["x2"] == "approximate"
    err = float(np.sqrt(((again["x3"] - rows["x3"]) ** 2).mean()) / data["x3"].std())
    assert err < 0.2, f"relative reconstruction error {err:.3f}"


def test_choosing_among_families_without_a_common_likelihood_uses_energy_distance(
    chain: tuple,
) -> None:
    sim, data = chain
    scm = DeepSCM(
        sim.graph,
        mechanisms={"x2": ["location_scale", "vae"], "x3": ["flow", "location_scale"]},
        mechanism_kwargs={"vae": SMALL["vae"], "flow": {"hidden_features": (16,)}},
        random_state=0,
        progress=False,
    ).fit(data)
    table = scm.selection_
    assert set(table.loc["x2", "metric"]) == {"energy"}  # a VAE has no log-density
    assert set(table.loc["x3", "metric"]) == {"nll"}
    assert table.loc["x2", "chosen"].sum() == 1 and table.loc["x3", "chosen"].sum() == 1
    for node in ("x2", "x3"):
        kept = table.loc[node].index[table.loc[node, "chosen"]][0]
        assert scm.mechanisms_[node].name == kept


def test_unknown_and_unsuitable_families_are_named() -> None:
    sim = load_scm("mixed")
    data = sim.sample(200, random_state=0)
    with pytest.raises(ValueError, match=r"unknown mechanism family 'difusion'.*'diffusion'"):
        DeepSCM(sim.graph, mechanisms="difusion")
    with pytest.raises(ValueError, match=r"mechanisms\['y'\]: unknown mechanism family 'x'"):
        DeepSCM(sim.graph, mechanisms={"y": ["flow", "x"]})
    categorical = next(v for v in sim.nodes if sim.schema[v].kind == "categorical")
    with pytest.raises(ValueError, match=rf"node '{categorical}' \(categorical\).*'diffusion'"):
        DeepSCM(sim.graph, mechanisms="diffusion", progress=False).fit(data)
    with pytest.raises(ValueError, match=rf"node '{categorical}' is categorical.*gumbel"):
        DeepSCM(sim.graph, mechanisms=["vae", "diffusion"], progress=False).fit(data)


def test_a_diverging_loss_names_node_epoch_and_term_and_nothing_is_saved(
    chain: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, data = chain
    original = VAEMechanism.elbo_terms

    def broken(self: VAEMechanism, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        terms = original(self, *args, **kwargs)
        return {**terms, "kl": terms["kl"] * float("nan")}

    monkeypatch.setattr(VAEMechanism, "elbo_terms", broken)
    model = tmp_path / "model"
    scm = DeepSCM(sim.graph, mechanisms="vae", random_state=0, progress=False)
    with pytest.raises(TrainingError, match=r"mechanism x1 \(vae\): the elbo loss \(term 'kl'\) "
                       r"became nan at epoch 0, batch 0"):  # fmt: skip
        scm.fit(data).save(model)
    assert not model.exists()
