"""Counterfactual queries by NCM min/max, against exact values and Tian & Pearl's bounds."""

from __future__ import annotations

import numpy as np
import pytest

from deepcausal.datasets import random_discrete_scm
from deepcausal.errors import NotIdentifiable
from deepcausal.ncm import neural_counterfactual


def test_effect_on_the_treated_is_identified_behind_a_back_door() -> None:
    graph = "Z -> X; Z -> Y; X -> Y"
    scm = random_discrete_scm(graph, random_state=3)
    df = scm.sample(20_000, random_state=0)
    truth = float(
        scm.counterfactual("Y", {"X": 1}, {"X": 1}) @ np.arange(2)
        - scm.counterfactual("Y", {"X": 0}, {"X": 1}) @ np.arange(2)
    )
    # Identified: the min/max NCMs agree up to their optimisation error, a gap of 0.04-0.055 per
    # seed at the default budget (it varies with the CPU's arithmetic), far below the gap of an
    # unidentified query such as the necessity below (Tian & Pearl: 0 to 0.52); tau = 0.1 sits between
    res = neural_counterfactual(graph, df, "X", "Y", kind="ett", n_seeds=2, tau=0.1)
    assert res.identifiable and res.estimate is not None
    assert abs(res.estimate - truth) < 0.03
    assert res.text.startswith("E[Y_1 - Y_0 | X=1]")


def test_necessity_is_bounded_as_tian_and_pearl_say_and_refused_without_bounds() -> None:
    graph = "X -> Y"
    scm = random_discrete_scm(graph, random_state=3)
    df = scm.sample(20_000, random_state=0)
    with pytest.raises(NotIdentifiable, match=r"not identifiable.*bounds=True"):
        neural_counterfactual(graph, df, "X", "Y", kind="necessity", n_seeds=1)
    res = neural_counterfactual(graph, df, "X", "Y", kind="necessity", n_seeds=1, bounds=True)
    truth = scm.counterfactual("Y", {"X": 0}, {"X": 1, "Y": 1})[0]
    p1 = df.Y[df.X == 1].mean()
    p0 = df.Y[df.X == 0].mean()
    low, high = max(0.0, p1 - p0) / p1, min(p1, 1 - p0) / p1  # exogenous X: PNS / P(y | x)
    assert not res.identifiable and res.estimate is None
    assert res.lower - 0.03 <= truth <= res.upper + 0.03
    assert abs(res.lower - low) < 0.06 and abs(res.upper - high) < 0.06


def test_unknown_kind() -> None:
    df = random_discrete_scm("X -> Y", random_state=0).sample(100, random_state=0)
    with pytest.raises(ValueError, match="kind"):
        neural_counterfactual("X -> Y", df, "X", "Y", kind="regret")
