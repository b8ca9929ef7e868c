"""Every mechanism family of DeepSCM on the ladder, side by side with DoWhy's gcm in the same run.

The rungs and their scores are those of ``benchmarks/scm_ladder.py`` (its ``run_case``): rung 1
observational MMD², rung 2 interventional MMD², rung 3 counterfactual RMSE in observational sd,
and the fit time. Each deepcausal column puts one family on every continuous node (``auto`` is the
default selection; discrete nodes keep Gumbel-max); gcm is ``InvertibleStructuralCausalModel`` with
auto-assigned mechanisms. A GAN cannot abduct, so it has no counterfactual column.

Goals (docs/benchmarks.md):

* ``auto``: counterfactual RMSE ≤ 0.08 sd on the non-additive SCMs; on additive ones no more than
  10% above the previous default's (``benchmarks/results/scm_ladder.csv``);
* ``diffusion``: counterfactual RMSE at most gcm's on every non-linear SCM, fit time ≤ 20x gcm's;
* ``vae``: counterfactual RMSE ≤ 0.25 sd on every non-linear SCM;
* ``gan``: observational and interventional MMD² within 2x of the best family's (or within the noise
  floor of the simulator: two standard errors of the floor, where the best is below it).

Usage::

    .venv/bin/python benchmarks/scm_families.py                       # every SCM, seeds 0,1,2
    .venv/bin/python benchmarks/scm_families.py --scms chain-nonadditive --seeds 0
    .venv/bin/python benchmarks/scm_families.py --families auto,diffusion --n 2000
    .venv/bin/python benchmarks/scm_families.py --families vae --particles 32  # averaged CFs

Results go to ``benchmarks/results/scm_families.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scm_peers import GcmLadderModel
from deepcausal.datasets import SimulatedSCM, available_scms
from scm_ladder import (
    CaseResult,
    DeepLadderModel,
    ModelFactory,
    Settings,
    _categories,
    _continuous_family,
    per_seed_frame,
    run_case,
)

RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = ("auto", "flow", "diffusion", "vae", "gan")
NONLINEAR = ("nonlinear", "nonadditive", "heteroscedastic")


def factories(families: Sequence[str], n_jobs: int, particles: int = 1) -> dict[str, ModelFactory]:
    """One deepcausal model per family (counterfactuals averaged over ``particles`` draws per
    row), then gcm."""
    out: dict[str, ModelFactory] = {}
    for family in families:

        def make(sim: SimulatedSCM, seed: int, family: str = family) -> DeepLadderModel:
            model = DeepLadderModel(
                sim.graph, seed, mechanisms=_continuous_family(sim, family), particles=particles
            )
            model.supports_counterfactuals = family != "gan"  # type: ignore[misc]
            return model

        out[family] = make
    out["gcm"] = lambda sim, seed: GcmLadderModel(
        sim.graph, seed, n_jobs=n_jobs, discrete=_categories(sim)
    )
    return out


def _ms(values: pd.Series, scale: float = 1.0, digits: int = 3) -> str:
    v = values.to_numpy(dtype=float) * scale
    if np.isnan(v).all():
        return "n/a"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{np.mean(v):.{digits}f} ± {np.std(v, ddof=1):.{digits}f}"


def tables(data: pd.DataFrame, libs: Sequence[str]) -> str:
    """Per SCM: every model's scores (mean ± sd over seeds), the winner of each rung, and the goals."""
    out = []
    head = ["SCM", "noise", "metric", *libs, "best family"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    families = [lib for lib in libs if lib != "gcm"]
    goals = []
    for scm, rows in data.groupby("scm", sort=False):
        noise = "additive" if bool(rows["additive"].iloc[0]) else "non-additive"
        by = {lib: rows[rows["library"] == lib] for lib in libs}
        for metric, label, scale in (
            ("obs_mmd2", "obs MMD² ×10³", 1e3),
            ("int_mmd2", "int MMD² ×10³", 1e3),
            ("cf_rmse_sd", "CF RMSE (sd)", 1.0),
            ("fit_seconds", "fit s", 1.0),
        ):
            cells = [
                _ms(by[lib][metric], scale, 1 if metric == "fit_seconds" else 3) for lib in libs
            ]
            means = {f: float(by[f][metric].mean()) for f in families}
            valid = {f: v for f, v in means.items() if not np.isnan(v)}
            best = min(valid, key=lambda f: valid[f]) if valid else "n/a"
            out.append(f"| {scm} | {noise} | {label} | " + " | ".join(cells) + f" | {best} |")
        goals.append(_goals(str(scm), noise, by, families))
    goal_head = ["SCM", "auto CF ≤ 0.08 (non-additive)", "diffusion CF ≤ gcm", "diffusion time ≤ 20x",
                 "vae CF ≤ 0.25", "gan obs MMD² ≤ 2x best", "gan int MMD² ≤ 2x best"]  # fmt: skip
    lines = ["| " + " | ".join(goal_head) + " |", "|" + "---|" * len(goal_head)]
    lines += goals
    return "\n".join(out) + "\n\n" + "\n".join(lines) + "\n"


def _goals(scm: str, noise: str, by: dict[str, pd.DataFrame], families: Sequence[str]) -> str:
    def mean(lib: str, metric: str) -> float:
        return float(by[lib][metric].mean()) if lib in by else float("nan")

    def mark(ok: bool | None, value: str) -> str:
        return "n/a" if ok is None else ("✓ " if ok else "✗ ") + value

    nonlinear = any(tag in scm for tag in NONLINEAR)
    auto_cf = mean("auto", "cf_rmse_sd")
    cells = [
        mark(auto_cf <= 0.08, f"{auto_cf:.3f}")
        if noise == "non-additive" and "auto" in by and not np.isnan(auto_cf)
        else "n/a"
    ]
    if "diffusion" in by and "gcm" in by and nonlinear:
        d, g = mean("diffusion", "cf_rmse_sd"), mean("gcm", "cf_rmse_sd")
        cells.append(mark(d <= g, f"{d:.3f} vs {g:.3f}") if not np.isnan(g) else "n/a")
        ratio = mean("diffusion", "fit_seconds") / mean("gcm", "fit_seconds")
        cells.append(mark(ratio <= 20, f"{ratio:.1f}x"))
    else:
        cells += ["n/a", "n/a"]
    if "vae" in by and nonlinear:
        v = mean("vae", "cf_rmse_sd")
        cells.append(mark(v <= 0.25, f"{v:.3f}") if not np.isnan(v) else "n/a")
    else:
        cells.append("n/a")
    for metric, floor in (("obs_mmd2", "obs_floor"), ("int_mmd2", "int_floor")):
        if "gan" not in by:
            cells.append("n/a")
            continue
        others = [mean(f, metric) for f in families if f != "gan"]
        best = min(others) if others else float("nan")
        floor_se = float(by["gan"][floor].std(ddof=1)) if len(by["gan"]) > 1 else 0.0
        gan = mean("gan", metric)
        threshold = max(2 * best, best + 2 * floor_se, 2 * abs(mean("gan", floor)))
        cells.append(mark(gan <= threshold, f"{gan * 1e3:.3f} vs {best * 1e3:.3f}"))
    return f"| {scm} | " + " | ".join(cells) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scms", help="comma-separated SCM names (default: all)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--n", type=int, default=5000, help="training rows")
    parser.add_argument("--families", default=",".join(FAMILIES), help="families to run")
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads, gcm n_jobs")
    parser.add_argument(
        "--particles",
        type=int,
        default=1,
        help="score each counterfactual as the mean of this many posterior draws per row",
    )
    parser.add_argument("--out", default=str(RESULTS / "scm_families.md"), help="markdown output")
    args = parser.parse_args(argv)
    names = args.scms.split(",") if args.scms else available_scms()
    seeds = [int(s) for s in args.seeds.split(",")]
    families = args.families.split(",")
    libs = [*families, "gcm"]
    settings = Settings(n_train=args.n)
    torch.set_num_threads(args.threads)
    load_start, start = os.getloadavg(), time.perf_counter()
    results: list[CaseResult] = []
    with threadpool_limits(args.threads):
        for name in names:
            for seed in seeds:
                r = run_case(
                    name, seed, settings, factories(families, args.threads, args.particles)
                )
                results.append(r)
                print(
                    f"[{time.perf_counter() - start:7.0f}s] {name} seed {seed}: "
                    + ", ".join(
                        f"{k} CF {r.cf_rmse[k]:.3f} ({r.fit_seconds[k]:.1f}s)" for k in libs
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    data = per_seed_frame(results, libs)
    command = "python benchmarks/scm_families.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    header = (
        f"`{command.strip()}` — {args.n} training rows, seeds {seeds}; counterfactuals "
        f"averaged over {args.particles} draw(s) per row; torch "
        f"{torch.__version__}, {args.threads} thread(s), Python {platform.python_version()}; load "
        f"average {load_start[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end; total "
        f"{(time.perf_counter() - start) / 60:.1f} min.\n\n"
    )
    text = header + tables(data, libs)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    data.to_csv(out.with_suffix(".csv"), index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
