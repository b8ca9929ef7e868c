"""Bias and interval coverage of the estimators for a hidden confounder, over many simulations.

Each simulation draws a fresh data set from a simulator with a known effect (``deepcausal.datasets``)
and fits the estimator built for it, beside the naive back-door adjustment that ignores the hidden
confounder (OLS of y on t and the observed covariates):

* ``proxies`` — ``simulate_proxies`` (ATE 2): ``ProximalTwoStage`` with z and w;
* ``proxies-kpv`` — the same design: ``KernelProxy`` (kernel proxy variable, 100-refit bootstrap);
* ``nonlinear-proxies`` — ``simulate_nonlinear_proxies`` (ATE 2; the effect varies with the hidden
  confounder and the outcome is quadratic in it): ``KernelProxy``;
* ``nonlinear-proxies-linear`` — the same design with the linear ``ProximalTwoStage``, whose bridge
  is then misspecified;
* ``front-door`` — ``simulate_frontdoor`` (ATE 1.752): ``FrontDoor`` on the mediator, 200-refit
  bootstrap;
* ``mismeasured`` — ``simulate_mismeasured`` (ATE 1.5): ``EffectRestoration`` with the known error
  matrix, 200-refit bootstrap;
* ``instrument`` — a linear IV design (ATE 2; u confounds t and y): ``TwoStageLeastSquares``.

Targets (docs/benchmarks.md): |bias| ≤ 10% of the effect, 95% intervals cover in ≥ 90% of the
simulations; the naive estimate is biased by ≥ 30%.

Usage::

    nice .venv/bin/python benchmarks/hidden_coverage.py            # 100 simulations, n = 2000
    .venv/bin/python benchmarks/hidden_coverage.py --sims 10 --only front-door
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

Fitted = tuple[float, float, float, float]  # truth, estimate, low, high


def _ols_t(t: np.ndarray, y: np.ndarray, X: np.ndarray | None) -> float:
    """Naive adjustment: OLS coefficient of t, with the observed covariates."""
    cols = [np.ones_like(t, dtype=float), t.astype(float)]
    if X is not None:
        cols.append(X)
    return float(np.linalg.lstsq(np.column_stack(cols), y, rcond=None)[0][1])


def proxies(n: int, seed: int) -> tuple[Fitted, float]:
    from deepcausal.datasets import simulate_proxies
    from deepcausal.estimators import ProximalTwoStage

    sim = simulate_proxies(n, random_state=seed)
    d = sim.data
    e = ProximalTwoStage().fit(d[["x"]], d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w).ate()
    naive = _ols_t(d.t.to_numpy(), d.y.to_numpy(), d[["x", "z", "w"]].to_numpy())
    return (sim.ate, e.value, e.ci_low, e.ci_high), naive


#: KernelProxy settings for the kernel designs (``--kpv-features`` sets ``n_features``).
KPV_OPTIONS: dict[str, int] = {}


def _nonlinear(n: int, seed: int, kernel: bool) -> tuple[Fitted, float]:
    from deepcausal.datasets import simulate_nonlinear_proxies
    from deepcausal.estimators import KernelProxy, ProximalTwoStage

    sim = simulate_nonlinear_proxies(n, random_state=seed)
    d = sim.data
    est = KernelProxy(random_state=seed, **KPV_OPTIONS) if kernel else ProximalTwoStage()
    e = est.fit(d[["x"]], d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w).ate()
    naive = _ols_t(d.t.to_numpy(), d.y.to_numpy(), d[["x", "z", "w"]].to_numpy())
    return (sim.ate, e.value, e.ci_low, e.ci_high), naive


def nonlinear_kernel(n: int, seed: int) -> tuple[Fitted, float]:
    return _nonlinear(n, seed, kernel=True)


def nonlinear_linear(n: int, seed: int) -> tuple[Fitted, float]:
    return _nonlinear(n, seed, kernel=False)


def linear_kernel(n: int, seed: int) -> tuple[Fitted, float]:
    from deepcausal.datasets import simulate_proxies
    from deepcausal.estimators import KernelProxy

    sim = simulate_proxies(n, random_state=seed)
    d = sim.data
    e = (
        KernelProxy(random_state=seed, **KPV_OPTIONS)
        .fit(d[["x"]], d.t, d.y, treatment_proxy=d.z, outcome_proxy=d.w)
        .ate()
    )
    naive = _ols_t(d.t.to_numpy(), d.y.to_numpy(), d[["x", "z", "w"]].to_numpy())
    return (sim.ate, e.value, e.ci_low, e.ci_high), naive


def frontdoor(n: int, seed: int) -> tuple[Fitted, float]:
    from deepcausal.datasets import simulate_frontdoor
    from deepcausal.estimators import FrontDoor

    sim = simulate_frontdoor(n, random_state=seed)
    d = sim.data
    e = FrontDoor(random_state=seed).fit(None, d.t, d.y, mediators=d[["m"]]).ate()
    return (sim.ate, e.value, e.ci_low, e.ci_high), _ols_t(d.t.to_numpy(), d.y.to_numpy(), None)


def mismeasured(n: int, seed: int) -> tuple[Fitted, float]:
    from deepcausal.datasets import simulate_mismeasured
    from deepcausal.estimators import EffectRestoration

    sim = simulate_mismeasured(n, random_state=seed)
    d = sim.data
    M = sim.truth["error_matrix"]
    e = EffectRestoration(M, random_state=seed).fit(None, d.t, d.y, proxy=d.w).ate()
    naive = _ols_t(d.t.to_numpy(), d.y.to_numpy(), d[["w"]].to_numpy().astype(float))
    return (sim.ate, e.value, e.ci_low, e.ci_high), naive


def instrument(n: int, seed: int) -> tuple[Fitted, float]:
    from deepcausal.estimators import TwoStageLeastSquares

    rng = np.random.default_rng(seed)
    u, z, x = rng.normal(size=(3, n))
    t = z + u + 0.5 * x + rng.normal(size=n)
    y = 2.0 * t + 3.0 * u + x + rng.normal(size=n)
    e = TwoStageLeastSquares().fit(x[:, None], t, y, instruments=z).ate()
    return (2.0, e.value, e.ci_low, e.ci_high), _ols_t(t, y, x[:, None])


SIMULATIONS: dict[str, tuple[str, Callable[[int, int], tuple[Fitted, float]]]] = {
    "proxies": ("ProximalTwoStage", proxies),
    "proxies-kpv": ("KernelProxy", linear_kernel),
    "nonlinear-proxies": ("KernelProxy", nonlinear_kernel),
    "nonlinear-proxies-linear": ("ProximalTwoStage (misspecified)", nonlinear_linear),
    "front-door": ("FrontDoor", frontdoor),
    "mismeasured": ("EffectRestoration", mismeasured),
    "instrument": ("TwoStageLeastSquares", instrument),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sims", type=int, default=100, help="simulations per design")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--only", default=",".join(SIMULATIONS))
    parser.add_argument("--output", default=str(RESULTS / "hidden_coverage.md"))
    parser.add_argument(
        "--kpv-features", type=int, default=None, help="KernelProxy's n_features (default: its own)"
    )
    args = parser.parse_args(argv)
    if args.kpv_features is not None:
        KPV_OPTIONS["n_features"] = args.kpv_features
    names = args.only.split(",")
    if unknown := [n for n in names if n not in SIMULATIONS]:
        parser.error(f"unknown {unknown}; choose from {list(SIMULATIONS)}")
    start, load = time.perf_counter(), os.getloadavg()[0]
    command = (
        f"python benchmarks/hidden_coverage.py {' '.join(sys.argv[1:] if argv is None else argv)}"
    )
    lines = [
        f"{args.sims} simulations of n = {args.n} per design. Command: `{command.strip()}`",
        "",
        "| design | estimator | truth | mean estimate | bias (% of effect) | coverage | "
        "mean CI width | naive bias (% of effect) | s / fit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    misses = []
    for name in names:
        label, run = SIMULATIONS[name]
        rows, naive, secs = [], [], []
        for seed in range(args.sims):
            tick = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted, plain = run(args.n, seed)
            secs.append(time.perf_counter() - tick)
            rows.append(fitted)
            naive.append(plain)
        a = np.asarray(rows)
        truth = float(a[0, 0])
        bias = 100 * (a[:, 1].mean() - truth) / abs(truth)
        cover = float(np.mean((a[:, 2] <= a[:, 0]) & (a[:, 0] <= a[:, 3])))
        naive_bias = 100 * (np.mean(naive) - truth) / abs(truth)
        if abs(bias) > 10 or cover < 0.9 or abs(naive_bias) < 30:
            misses.append(name)
        lines.append(
            f"| {name} | {label} | {truth:.3f} | {a[:, 1].mean():.3f} | {bias:+.1f}% | "
            f"{cover:.0%} | {np.mean(a[:, 3] - a[:, 2]):.3f} | {naive_bias:+.1f}% | "
            f"{np.mean(secs):.2f} |"
        )
        print(f"{name} done", file=sys.stderr, flush=True)
    lines += [
        "",
        "Goals (|bias| ≤ 10%, coverage ≥ 90%, naive bias ≥ 30%): "
        + ("met by every design." if not misses else f"NOT met by {', '.join(misses)}."),
        f"Total {time.perf_counter() - start:.0f} s; load average {load:.2f} at start.",
    ]
    text = "\n".join(lines) + "\n"
    from deepcausal._atomic import atomic_write_text

    atomic_write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
