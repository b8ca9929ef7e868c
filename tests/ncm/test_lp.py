"""LP bounds: Balke & Pearl's closed form on the binary instrument, Manski's natural bounds on the
confounded pair, validity on random discrete SCMs, and the errors bad input gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepcausal.datasets import random_discrete_scm
from deepcausal.errors import DataError, GraphError, SchemaError
from deepcausal.ncm import bounds

IV = "Z -> X; X -> Y; X <-> Y"


def _balke_pearl(p: np.ndarray) -> tuple[float, float]:
    """Balke & Pearl 1997's eight-term bounds; ``p[z, x, y] = P(y, x | z)``."""

    def P(y: int, x: int, z: int) -> float:
        return float(p[z, x, y])

    lower = max(
        P(0, 0, 0) + P(1, 1, 1) - 1,
        P(0, 0, 1) + P(1, 1, 1) - 1,
        P(1, 1, 0) + P(0, 0, 1) - 1,
        P(0, 0, 0) + P(1, 1, 0) - 1,
        2 * P(0, 0, 0) + P(1, 1, 0) + P(1, 0, 1) + P(1, 1, 1) - 2,
        P(0, 0, 0) + 2 * P(1, 1, 0) + P(0, 0, 1) + P(0, 1, 1) - 2,
        P(1, 0, 0) + P(1, 1, 0) + 2 * P(0, 0, 1) + P(1, 1, 1) - 2,
        P(0, 0, 0) + P(0, 1, 0) + P(0, 0, 1) + 2 * P(1, 1, 1) - 2,
    )
    upper = min(
        1 - P(1, 0, 0) - P(0, 1, 1),
        1 - P(0, 1, 0) - P(1, 0, 1),
        1 - P(0, 1, 0) - P(1, 0, 0),
        1 - P(0, 1, 1) - P(1, 0, 1),
        2 - 2 * P(0, 1, 0) - P(1, 0, 0) - P(1, 0, 1) - P(1, 1, 1),
        2 - P(0, 1, 0) - 2 * P(1, 0, 0) - P(0, 0, 1) - P(0, 1, 1),
        2 - P(1, 0, 0) - P(1, 1, 0) - 2 * P(0, 1, 1) - P(1, 0, 1),
        2 - P(0, 0, 0) - P(0, 1, 0) - P(0, 1, 1) - 2 * P(1, 0, 1),
    )
    return lower, upper


@pytest.mark.parametrize("seed", range(6))
def test_binary_instrument_matches_balke_pearl_and_contains_the_truth(seed: int) -> None:
    scm = random_discrete_scm(IV, random_state=seed)
    df = scm.sample(20_000, random_state=seed)
    b = bounds(IV, df, "X", "Y")
    counts = pd.crosstab([df.Z, df.X], df.Y).reindex(
        pd.MultiIndex.from_product([[0, 1], [0, 1]]), fill_value=0
    )
    p = counts.to_numpy().reshape(2, 2, 2).astype(float)
    p /= p.sum(axis=(1, 2), keepdims=True)
    assert b.violation == 0  # these samples meet the instrumental inequality: the closed form holds
    low, high = _balke_pearl(p)
    assert b.lower == pytest.approx(low, abs=1e-6)
    assert b.upper == pytest.approx(high, abs=1e-6)
    assert b.tight
    assert b.contains(scm.ate("X", "Y"), tol=0.03)  # sampling error of the tables


def test_data_outside_the_instrument_model_are_measured_not_refused() -> None:
    # Z=0 always gives (X=0, Y=0), Z=1 always (X=0, Y=1): the instrumental inequality fails
    # (for x=0, max_z P(0, 0 | z) + max_z P(1, 0 | z) = 2 > 1); the nearest model is at TV 0.5.
    df = pd.DataFrame({"Z": [0, 1] * 50, "X": [0] * 100, "Y": [0, 1] * 50})
    df.loc[0, "X"] = 1  # both treatment values observed
    b = bounds(IV, df, "X", "Y")
    assert b.violation == pytest.approx(0.5, abs=0.02)
    assert -1 <= b.lower <= b.upper <= 1


def test_confounded_pair_gives_manski_natural_bounds() -> None:
    scm = random_discrete_scm("X -> Y; X <-> Y", random_state=3)
    df = scm.sample(5000, random_state=0)
    b = bounds("X -> Y; X <-> Y", df, "X", "Y")
    p_x1 = (df.X == 1).mean()
    p_y1x1 = ((df.Y == 1) & (df.X == 1)).mean()
    p_y1x0 = ((df.Y == 1) & (df.X == 0)).mean()
    assert b.lower == pytest.approx(p_y1x1 - p_y1x0 - p_x1, abs=1e-6)
    assert b.upper == pytest.approx(p_y1x1 + (1 - p_x1) - p_y1x0, abs=1e-6)
    assert b.width == pytest.approx(1.0, abs=1e-6)


def test_an_identified_effect_collapses_the_interval() -> None:
    # Back-door graph: no confounded component, so the program pins the effect down.
    scm = random_discrete_scm("Z -> X; Z -> Y; X -> Y", random_state=0)
    df = scm.sample(50_000, random_state=0)
    b = bounds("Z -> X; Z -> Y; X -> Y", df, "X", "Y")
    assert b.width < 1e-6  # no confounded component: the effect is identified
    assert b.contains(scm.ate("X", "Y"), tol=0.02)
    assert b.tight


def test_front_door_is_pinned_down_and_several_components_are_valid() -> None:
    fd = "X -> M; M -> Y; X <-> Y"
    scm = random_discrete_scm(fd, random_state=2)
    b = bounds(fd, scm.sample(50_000, random_state=0), "X", "Y")
    assert b.tight and b.width < 0.02 and b.contains(scm.ate("X", "Y"), tol=0.02)
    two = "X -> Z; Z -> Y; X <-> Z; Z <-> Y"  # one component {X, Z, Y}
    three = "A -> X; X -> Y; A <-> X; B -> Y; B <-> Y"  # components {A, X} and {B, Y}
    for graph, tight in ((two, True), (three, False)):
        scm = random_discrete_scm(graph, random_state=0)
        res = bounds(graph, scm.sample(20_000, random_state=0), "X", "Y")
        assert res.tight is tight
        assert res.contains(scm.ate("X", "Y"), tol=0.03)


def test_three_valued_instrument_and_string_categories() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    u = rng.random(n) < 0.5
    z = rng.integers(0, 3, n)
    x = (rng.random(n) < 0.1 + 0.35 * z + 0.2 * u).astype(int)
    y = (rng.random(n) < 0.2 + 0.4 * x + 0.3 * u).astype(int)
    df = pd.DataFrame({"Z": np.array(["a", "b", "c"])[z], "X": x, "Y": y})
    b = bounds(IV, df, "X", "Y")
    assert b.contains(0.4, tol=0.02)
    assert b.width < 1.0


def test_bad_input_is_named() -> None:
    scm = random_discrete_scm(IV, random_state=0)
    df = scm.sample(500, random_state=0)
    with pytest.raises(GraphError, match=r"'U'.*bidirected"):
        bounds("U -> X; U -> Y; Z -> X; X -> Y", df, "X", "Y")
    with pytest.raises(GraphError, match="'W' is not a node"):
        bounds(IV, df, "W", "Y")
    with pytest.raises(SchemaError, match="X=2 was never observed"):
        bounds(IV, df, "X", "Y", treated=2)
    cont = df.assign(Y=np.random.default_rng(0).normal(size=len(df)))
    with pytest.raises(DataError, match=r"'Y' looks continuous.*bin it"):
        bounds(IV, cont, "X", "Y")
    with pytest.raises(DataError, match="NaN"):
        bounds(IV, df.assign(Z=np.where(df.index == 3, np.nan, df.Z)), "X", "Y")
    with pytest.raises(ValueError, match="method"):
        bounds(IV, df, "X", "Y", method="magic")


def test_result_values() -> None:
    df = random_discrete_scm(IV, random_state=1).sample(2000, random_state=1)
    b = bounds(IV, df, "X", "Y")
    d = b.to_dict()
    assert d["lower"] == b.lower and d["method"] == "lp" and d["n"] == 2000
    assert "sharp" in b.summary()
