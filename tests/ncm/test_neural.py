"""Neural causal models: exact probabilities, the identification decision on an identified and a
non-identified graph, neural bounds beside the LP's, and the random discrete SCMs they are checked on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from deepcausal import bounds, neural_identify
from deepcausal.datasets import random_discrete_scm
from deepcausal.errors import DataError
from deepcausal.graph import CausalGraph
from deepcausal.ncm import DiscreteNCM, NCMConfig

FAST = NCMConfig(steps=600)


def test_model_probabilities_are_distributions_and_latents_follow_cliques() -> None:
    g = CausalGraph("M <-> X; M <-> Y; X -> Y")
    model = DiscreteNCM(g, g.topological_order(), (2, 2, 3))
    assert len(model.cliques) == 2  # X and Y share no latent
    with torch.no_grad():
        assert float(torch.exp(model.log_prob()).sum()) == pytest.approx(1.0, abs=1e-5)
        probs, configs = model.interventional({"X": 1})
        assert float(probs.sum()) == pytest.approx(1.0, abs=1e-5)
        assert bool((configs[:, model.index["X"]] == 1).all())


def test_simulator_is_exact_on_every_rung() -> None:
    scm = random_discrete_scm("Z -> X; X -> Y; X <-> Y", random_state=0)
    df = scm.sample(200_000, random_state=1)
    table = scm.distribution()
    assert table.sum() == pytest.approx(1.0)
    empirical = df.groupby(["Z", "X", "Y"]).size().to_numpy() / len(df)
    assert np.abs(empirical - table.reshape(-1)).max() < 0.01
    do = scm.sample(200_000, random_state=2, do={"X": 1})
    assert do.Y.mean() == pytest.approx(scm.mean("Y", {"X": 1}), abs=0.01)
    # Consistency: the counterfactual at the factual value is the conditional.
    cf = scm.counterfactual("Y", do={"X": 1}, given={"X": 1})
    cond = table[:, 1, :].sum(axis=0) / table[:, 1, :].sum()
    assert cf == pytest.approx(cond, abs=1e-9)


def test_identified_effect_is_identified_and_estimated() -> None:
    graph = "Z -> X; Z -> Y; X -> Y"
    scm = random_discrete_scm(graph, random_state=1)
    df = scm.sample(10_000, random_state=0)
    res = neural_identify(graph, df, "X", "Y", n_seeds=2, config=FAST)
    assert res.symbolic is True and res.identifiable
    assert res.estimate is not None and abs(res.estimate - scm.ate("X", "Y")) < 0.05
    assert "agrees" in res.summary()


def test_bow_is_not_identified() -> None:
    graph = "X -> Y; X <-> Y"
    scm = random_discrete_scm(graph, random_state=1)
    res = neural_identify(
        graph, scm.sample(10_000, random_state=0), "X", "Y", n_seeds=2, config=FAST
    )
    assert res.symbolic is False and not res.identifiable
    assert res.estimate is None and res.gap > 0.2
    assert res.lower <= scm.ate("X", "Y") <= res.upper


def test_neural_bounds_sit_near_the_lp_bounds_on_an_instrument() -> None:
    graph = "Z -> X; X -> Y; X <-> Y"
    df = random_discrete_scm(graph, random_state=2).sample(20_000, random_state=0)
    lp = bounds(graph, df, "X", "Y")
    nb = bounds(graph, df, "X", "Y", method="neural", n_seeds=1)
    assert nb.method == "neural" and len(nb.per_seed) == 1
    assert abs(nb.lower - lp.lower) < 0.06 and abs(nb.upper - lp.upper) < 0.06


def test_bad_input() -> None:
    df = pd.DataFrame({"X": [0, 1] * 50, "Y": np.linspace(0, 1, 100)})
    with pytest.raises(DataError, match="'Y' looks continuous"):
        neural_identify("X -> Y; X <-> Y", df, "X", "Y")
    with pytest.raises(DataError, match="same node"):
        bounds("X -> Y", df, "X", "X", method="neural")
    wide = pd.DataFrame({f"V{i}": np.arange(100) % 3 for i in range(9)})
    chain = "; ".join(f"V{i} -> V{i + 1}" for i in range(8))
    with pytest.raises(DataError, match="joint configuration"):
        neural_identify(chain, wide, "V0", "V8")
    with pytest.raises(ValueError, match="tau"):
        neural_identify("X -> Y", df.assign(Y=df.X), "X", "Y", tau=0)


def test_continuous_neural_bounds_surround_an_instrumented_effect() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    z, u = rng.normal(size=n), rng.normal(size=n)
    x = z + u + 0.5 * rng.normal(size=n)
    y = x + 1.5 * u + 0.5 * rng.normal(size=n)  # the effect of x from 0 to 1 is 1
    df = pd.DataFrame({"Z": z, "X": x, "Y": y})
    b = bounds("Z -> X; X -> Y; X <-> Y", df, "X", "Y", treated=1.0, control=0.0,
               method="neural", n_seeds=1)  # fmt: skip
    naive = np.polyfit(x, y, 1)[0]  # about 1.8: the confounded regression
    assert b.lower < b.upper and b.width < 0.5
    assert b.lower - 0.1 < 1.0 < b.upper + 0.1 and not b.contains(naive)
    assert "DeepSCMs of the ADMG" in b.notes
