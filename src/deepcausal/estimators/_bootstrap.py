"""Nonparametric bootstrap intervals for estimators without an influence function.

The estimator is refit on ``n_bootstrap`` resamples of the fit data (rows drawn with replacement
within each treatment arm, so every arm keeps its size); the standard error is the standard
deviation of the re-estimated average effects and the interval is the normal (Wald) interval
around the full-data estimate (Efron & Tibshirani 1993, ch. 6 and 13). The refits are independent:
inside a :func:`deepcausal.parallel.parallel` block they run on its workers, with the same result.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import clone

from deepcausal.errors import OverlapWarning
from deepcausal.estimators._base import Effect, Estimand, normal_effect
from deepcausal.estimators._nuisance import seeds
from deepcausal.parallel import parallel_map

if TYPE_CHECKING:
    from deepcausal.estimators._base import BaseEffectEstimator

logger = logging.getLogger(__name__)


def plug_in_averages(mu: np.ndarray, t: np.ndarray, arm: int) -> tuple[float, float]:
    """ATE and ATT of ``arm`` vs arm 0 from predicted potential outcomes on the fit rows."""
    tau = mu[:, arm] - mu[:, 0]
    return float(tau.mean()), float(tau[t == arm].mean())


def bootstrap_replicates(
    est: BaseEffectEstimator, n_bootstrap: int, random_state: int | None
) -> np.ndarray:
    """Refit ``est`` on stratified resamples; return plug-in ATE/ATT per replicate and arm.

    Returns:
        Array of shape ``(n_bootstrap, 2, n_arms)``: ``[b, 0, a]`` the ATE and ``[b, 1, a]`` the
        ATT of arm ``a`` (column 0 is unused).
    """
    d = est.fit_data_
    k = len(d.classes)
    resample_seed, *refit_seeds = seeds(random_state, n_bootstrap + 1)
    rng = np.random.default_rng(resample_seed)
    arm_rows = [np.nonzero(d.t == a)[0] for a in range(k)]
    jobs = [
        (np.concatenate([rng.choice(r, size=r.size, replace=True) for r in arm_rows]), seed)
        for seed in refit_seeds
    ]
    start = time.perf_counter()
    name = type(est).__name__
    refits = parallel_map(
        partial(_replicate, est), jobs, description=f"{name} bootstrap", progress=True
    )
    out = np.stack(refits) if refits else np.zeros((0, 2, k))
    logger.info("%s: %d bootstrap refits in %.1f s", name, n_bootstrap, time.perf_counter() - start)
    return out


def _replicate(est: BaseEffectEstimator, job: tuple[np.ndarray, int]) -> np.ndarray:
    """One refit on the rows ``job[0]`` with seed ``job[1]``: its ``(2, n_arms)`` ATE/ATT."""
    idx, seed = job
    d = est.fit_data_
    rep = clone(est).set_params(random_state=seed)
    with warnings.catch_warnings():  # the fit on the whole data reported overlap already
        warnings.simplefilter("ignore", OverlapWarning)
        rep._fit_validated(replace(d, X=d.X[idx], t=d.t[idx], y=d.y[idx]), check_overlap=False)
    mu = rep.predict_outcomes(d.X[idx])
    out = np.zeros((2, len(d.classes)))
    for a in range(1, len(d.classes)):
        out[0, a], out[1, a] = plug_in_averages(mu, d.t[idx], a)
    return out


def bootstrap_effect(
    est: BaseEffectEstimator, estimand: Estimand, arm: int, level: float, replicates: np.ndarray
) -> Effect:
    """Plug-in estimate on the fit data with a bootstrap standard error and Wald interval."""
    d = est.fit_data_
    ate, att = plug_in_averages(est.predict_outcomes(d.X), d.t, arm)
    value = ate if estimand == "ATE" else att
    reps = replicates[:, 0 if estimand == "ATE" else 1, arm]
    se = float(np.std(reps, ddof=1)) if reps.size > 1 else math.inf
    return normal_effect(
        value,
        se,
        level=level,
        method=f"{est.method_name}, bootstrap ({reps.size} refits)",
        estimand=est._estimand_label(estimand, arm),
    )
