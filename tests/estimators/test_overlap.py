"""Overlap diagnostics: the propensity summary and the plot."""

from __future__ import annotations

import numpy as np
import pytest

from deepcausal.errors import DataError
from deepcausal.estimators import IPW, OverlapSummary, overlap_summary, plot_overlap


def test_summary_values() -> None:
    e = np.array([0.01, 0.2, 0.4, 0.5, 0.6, 0.99])
    t = np.array([0, 0, 0, 1, 1, 1])
    s = overlap_summary(e, t)
    assert isinstance(s, OverlapSummary)
    assert (s.n_treated, s.n_control) == (3, 3)
    assert s.treated_quantiles[0] == 0.5 and s.treated_quantiles[-1] == 0.99
    assert s.control_quantiles[2] == pytest.approx(0.2)
    assert s.share_extreme == pytest.approx(2 / 6)
    # Kish ESS of weights 1/e among the treated: (sum w)^2 / sum w^2
    w = 1 / np.array([0.5, 0.6, 0.99])
    assert s.ess_treated == pytest.approx(w.sum() ** 2 / (w**2).sum())
    text = str(s)
    assert "treated" in text and "33.3% of units" in text


def test_summary_of_a_fitted_estimator(sim) -> None:
    d = sim(300, seed=0)
    est = IPW(random_state=0).fit(d.X, d.t, d.y)
    s = overlap_summary(est.propensity_, d.t)
    assert s.n_treated == int(d.t.sum())
    assert s.treated_quantiles[2] > s.control_quantiles[2]  # confounding: treated have higher e


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="binary 0/1"):
        overlap_summary([0.2, 0.3], [0, 2])
    with pytest.raises(DataError, match="probabilities"):
        overlap_summary([0.2, 1.3], [0, 1])
    with pytest.raises(DataError, match="shape"):
        overlap_summary([0.2, 0.3, 0.4], [0, 1])


def test_plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    e = rng.uniform(size=100)
    t = rng.binomial(1, e)
    ax = plot_overlap(e, t, bins=10)
    assert len(ax.patches) == 20  # 10 bars per arm
    assert ax.get_xlim() == (0.0, 1.0)
    plt.close(ax.figure)
