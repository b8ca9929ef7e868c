"""DeepSCM against DoWhy's gcm on the three rungs of Pearl's ladder, on simulators with exact answers.

For every simulated SCM of :mod:`deepcausal.datasets` (``--n`` training rows, several seeds) both
libraries are fitted to the same data in the same process and asked the same questions:

* rung 1 — observational MMD² between 5,000 model samples and 5,000 fresh simulator samples, next to
  the noise floor (MMD² between two simulator samples of the same size);
* rung 2 — interventional MMD² of the joint of the intervened node's descendants, model against
  simulator, under ``do(node = v)`` at the 20th, 50th and 80th percentile of the node (its categories
  for a discrete node), for the first and the last non-sink node in topological order;
* rung 3 — counterfactual RMSE against the simulator's exact counterfactuals of 500 factual training
  rows, under ``do(node = 80th percentile)`` and under a shift ``node + 1 sd``, over the continuous
  descendants, each divided by its observational standard deviation so that SCMs are comparable;

with the wall time of each fit. deepcausal is :class:`deepcausal.scm.DeepSCM` with its defaults
(``mechanisms="auto"``: an additive noise model per continuous node with parents, replaced by a
conditional neural spline flow where the residuals' spread depends on the parents and the flow's
held-out likelihood is clearly higher: Pawlowski, Castro & Glocker 2020; Javaloy et al. 2023;
``--mechanisms flow`` puts a flow on every continuous node); gcm is
``InvertibleStructuralCausalModel`` with ``gcm.auto.assign_causal_mechanisms`` at the default quality (additive noise models; Blöbaum et al., JMLR 2024). gcm's fit time includes the
automatic model selection, which is part of its fitting recipe as the flow's early stopping is of
ours.

The "goals" columns check: counterfactual RMSE no worse than gcm's (clearly lower where the noise is
not additive), interventional MMD² no worse, fit time within 2x of gcm's. "No worse" is judged on
the mean over seeds: ✓ when deepcausal's mean is at most gcm's, ≈ when it is above by less than the
tolerance (two standard errors of the seed-paired difference; for MMD² at least two standard
errors of the mean simulator-vs-simulator noise floor), = when the two agree on every seed to
float32 precision (both fitted the same least-squares regression), ✗ otherwise.

Usage::

    .venv/bin/python benchmarks/scm_ladder.py                   # every SCM, seeds 0,1,2, n=5000
    .venv/bin/python benchmarks/scm_ladder.py --quick           # smoke run: 2 SCMs, 1 seed, n=1000
    .venv/bin/python benchmarks/scm_ladder.py --scms chain-linear,mixed --seeds 0 --n 2000
    .venv/bin/python benchmarks/scm_ladder.py --mechanisms flow   # a conditional flow per node

The table is printed and written to ``benchmarks/results/scm_ladder.md``; the per-seed numbers go to
``benchmarks/results/scm_ladder.csv``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scm_peers import Action, GcmLadderModel, as_float_frame
from deepcausal.datasets import SimulatedSCM, available_scms, load_scm
from deepcausal.graph import CausalGraph
from deepcausal.metrics import mmd
from deepcausal.nn import TrainConfig
from deepcausal.scm import DeepSCM

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_SCMS = ("chain-linear", "triangle-nonadditive")
QUANTILES = (0.2, 0.5, 0.8)
#: Seed offsets that keep the training, evaluation and model draws of one seed apart.
_FRESH, _FLOOR, _TRUTH, _TRUTH2, _MODEL = 10_000, 20_000, 30_000, 40_000, 50_000


# ------------------------------------------------------------------------------------- models
class LadderModel(Protocol):
    """What the benchmark asks of a library."""

    name: str
    fit_seconds_: float

    @property
    def supports_counterfactuals(self) -> bool: ...

    def fit(self, data: pd.DataFrame) -> Any: ...

    def sample(self, n: int, random_state: int) -> pd.DataFrame: ...

    def do_sample(
        self, interventions: Mapping[str, Action], n: int, random_state: int
    ) -> pd.DataFrame: ...

    def counterfactual(self, factual: pd.DataFrame, do: Mapping[str, Action]) -> pd.DataFrame: ...


ModelFactory = Callable[[SimulatedSCM, int], LadderModel]


class DeepLadderModel:
    """deepcausal's :class:`DeepSCM` (its defaults unless told otherwise)."""

    name = "deepcausal"
    supports_counterfactuals = True

    def __init__(
        self,
        graph: CausalGraph,
        random_state: int,
        training: TrainConfig | None = None,
        mechanisms: str | Mapping[str, str] = "auto",
        mechanism_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
        particles: int = 1,
    ) -> None:
        self.particles = particles
        self.scm = DeepSCM(
            graph,
            mechanisms=mechanisms,
            mechanism_kwargs=mechanism_kwargs,
            training=training,
            random_state=random_state,
            progress=False,
        )

    def fit(self, data: pd.DataFrame) -> DeepLadderModel:
        start = time.perf_counter()
        self.scm.fit(data)
        self.fit_seconds_ = time.perf_counter() - start
        self.epochs_ = {k: len(h.train_loss) for k, h in self.scm.history_.items()}
        return self

    def sample(self, n: int, random_state: int) -> pd.DataFrame:
        return self.scm.sample(n, random_state=random_state)

    def do_sample(
        self, interventions: Mapping[str, Action], n: int, random_state: int
    ) -> pd.DataFrame:
        return self.scm.do(dict(interventions)).sample(n, random_state=random_state)

    def counterfactual(self, factual: pd.DataFrame, do: Mapping[str, Action]) -> pd.DataFrame:
        # with particles > 1, each row's mean over its posterior draws (Deep SCM's particles)
        return self.scm.counterfactual(
            factual, do=dict(do), n_samples=self.particles, random_state=0, average=True
        )


def _continuous_family(sim: SimulatedSCM, family: str) -> str | dict[str, str]:
    """``family`` for the continuous nodes, ``"auto"`` (Gumbel-max) for the discrete ones."""
    if family == "auto":
        return family
    cats = _categories(sim)
    return {v: family for v in sim.nodes if v not in cats}


def default_factories(n_jobs: int, mechanisms: str = "auto") -> dict[str, ModelFactory]:
    """deepcausal (its defaults, or one mechanism family for every node) and gcm with
    auto-assigned mechanisms."""
    return {
        "deepcausal": lambda sim, seed: DeepLadderModel(
            sim.graph, seed, mechanisms=_continuous_family(sim, mechanisms)
        ),
        "gcm": lambda sim, seed: GcmLadderModel(
            sim.graph, seed, n_jobs=n_jobs, discrete=_categories(sim)
        ),
    }


# ------------------------------------------------------------------------------------ queries
@dataclass(frozen=True)
class Settings:
    """Sizes of one run."""

    n_train: int = 5000
    n_eval: int = 5000
    n_factual: int = 500
    mmd_max_samples: int = 2000


def intervention_nodes(sim: SimulatedSCM) -> tuple[str, ...]:
    """The first and the last node (in topological order) that has descendants."""
    non_sinks = [v for v in sim.graph.topological_order() if sim.graph.descendants(v)]
    return tuple(dict.fromkeys([non_sinks[0], non_sinks[-1]]))


def descendants(sim: SimulatedSCM, node: str) -> list[str]:
    """The strict descendants of ``node`` in declaration order."""
    below = sim.graph.descendants(node)
    return [v for v in sim.nodes if v in below]


def intervention_values(sim: SimulatedSCM, data: pd.DataFrame, node: str) -> list[Any]:
    """Percentiles of a continuous node's training values; a discrete node's categories."""
    var = sim.schema[node]
    if var.kind != "continuous":
        assert var.categories is not None
        return list(var.categories)
    return [float(np.quantile(data[node], q)) for q in QUANTILES]


def counterfactual_actions(
    sim: SimulatedSCM, data: pd.DataFrame, node: str
) -> list[tuple[str, Action]]:
    """``do(node = 80th percentile)`` and ``node + 1 sd`` (every category of a discrete node)."""
    var = sim.schema[node]
    if var.kind != "continuous":
        assert var.categories is not None
        return [(f"do({node}={c})", c) for c in var.categories]
    value = float(np.quantile(data[node], QUANTILES[-1]))
    sd = float(data[node].std())

    def shift(x: Any, sd: float = sd) -> Any:
        return x + sd

    return [(f"do({node}=p80)", value), (f"{node}+1sd", shift)]


def _categories(sim: SimulatedSCM) -> dict[str, tuple[Any, ...]]:
    return {
        v: tuple(sim.schema[v].categories or ())
        for v in sim.nodes
        if sim.schema[v].kind != "continuous"
    }


# ---------------------------------------------------------------------------------- one case
@dataclass
class CaseResult:
    """The numbers of one SCM, one seed, every library."""

    scm: str
    seed: int
    additive: bool
    obs_floor: float
    int_floor: list[float]
    obs_mmd: dict[str, float] = field(default_factory=dict)
    int_mmd: dict[str, float] = field(default_factory=dict)
    cf_rmse: dict[str, float] = field(default_factory=dict)
    fit_seconds: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def run_case(
    name: str, seed: int, settings: Settings, factories: Mapping[str, ModelFactory]
) -> CaseResult:
    """Fit every library on one simulator draw and score it on the three rungs."""
    sim = load_scm(name)
    cats = _categories(sim)
    data, noise = sim.sample(settings.n_train, random_state=seed, return_noise=True)
    fresh = sim.sample(settings.n_eval, random_state=_FRESH + seed)

    def distance(a: pd.DataFrame, b: pd.DataFrame, cols: Sequence[str]) -> float:
        return mmd(
            as_float_frame(a[list(cols)], cats),
            as_float_frame(b[list(cols)], cats),
            max_samples=settings.mmd_max_samples,
            random_state=seed,
        )

    nodes = list(sim.nodes)
    obs_floor = distance(sim.sample(settings.n_eval, random_state=_FLOOR + seed), fresh, nodes)

    # interventional truth: two independent simulator samples per query (truth, noise floor)
    queries: list[tuple[str, Any, list[str], pd.DataFrame]] = []
    int_floor: list[float] = []
    for i, node in enumerate(intervention_nodes(sim)):
        below = descendants(sim, node)
        for j, value in enumerate(intervention_values(sim, data, node)):
            k = 100 * seed + 10 * i + j
            truth = sim.sample(settings.n_eval, do={node: value}, random_state=_TRUTH + k)
            twin = sim.sample(settings.n_eval, do={node: value}, random_state=_TRUTH2 + k)
            queries.append((node, value, below, truth))
            int_floor.append(distance(twin, truth, below))

    # counterfactual truth on the first factual rows
    factual = data.iloc[: settings.n_factual]
    sds = data[[v for v in nodes if v not in cats]].std()
    cf_queries: list[tuple[dict[str, Action], list[str], pd.DataFrame]] = []
    for node in intervention_nodes(sim):
        below = [v for v in descendants(sim, node) if v not in cats]
        if not below:
            continue
        for _, action in counterfactual_actions(sim, data, node):
            do = {node: action}
            truth = sim.counterfactual(factual, do, noise=noise.loc[factual.index])
            cf_queries.append((do, below, truth))

    result = CaseResult(name, seed, sim.additive_noise, obs_floor, int_floor)
    for lib, factory in factories.items():
        model = factory(sim, seed)
        model.fit(data)
        result.fit_seconds[lib] = model.fit_seconds_
        result.obs_mmd[lib] = distance(
            model.sample(settings.n_eval, random_state=_MODEL + seed), fresh, nodes
        )
        result.int_mmd[lib] = float(
            np.mean(
                [
                    distance(
                        model.do_sample({node: value}, settings.n_eval, _MODEL + seed + q),
                        truth,
                        below,
                    )
                    for q, (node, value, below, truth) in enumerate(queries)
                ]
            )
        )
        if model.supports_counterfactuals and cf_queries:
            errors = []
            for do, below, truth in cf_queries:
                pred = model.counterfactual(factual, do)
                err = (pred[below].to_numpy(float) - truth[below].to_numpy(float)) / sds[
                    below
                ].to_numpy(float)
                errors.append(err.ravel())
            result.cf_rmse[lib] = float(np.sqrt(np.mean(np.square(np.concatenate(errors)))))
        else:
            result.cf_rmse[lib] = float("nan")
            result.notes[lib] = "no counterfactuals (a non-invertible mechanism)"
        if isinstance(model, GcmLadderModel):
            result.notes[f"{lib} mechanisms"] = ", ".join(
                f"{k}: {v}" for k, v in model.mechanisms_.items()
            )
    return result


# ------------------------------------------------------------------------------------- tables
def _mean_sd(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> str:
    arr = np.asarray(values, dtype=float) * scale
    if np.isnan(arr).all():
        return "n/a"
    if len(arr) == 1:
        return f"{arr[0]:.{digits}f}"
    return f"{np.mean(arr):.{digits}f} ± {np.std(arr, ddof=1):.{digits}f}"


def _verdict(ours: Sequence[float], peer: Sequence[float], floor_se: float = 0.0) -> str:
    a, b = np.asarray(ours, dtype=float), np.asarray(peer, dtype=float)
    if np.isnan(a).any() or np.isnan(b).any():
        return "n/a"
    diff = a - b
    if np.all(np.abs(diff) <= 1e-5 * np.maximum(np.abs(b), 1e-12)):
        return "="  # equal to float32 precision: the same least-squares fit
    if diff.mean() <= 0:
        return "✓"
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
    return "≈" if diff.mean() <= max(2 * se, 2 * floor_se) else "✗"


def summarise(results: Sequence[CaseResult], libs: Sequence[str]) -> str:
    """Markdown tables: accuracy, then fit time, per SCM (mean ± sd over seeds)."""
    ours, peer = (libs[0], libs[1]) if len(libs) > 1 else (libs[0], None)
    by_scm: dict[str, list[CaseResult]] = {}
    for r in results:
        by_scm.setdefault(r.scm, []).append(r)
    scale = 1e3
    cols = [
        "SCM",
        "noise",
        "seeds",
        *(f"obs MMD² ×10³ {lib}" for lib in libs),
        "obs floor",
        *(f"int MMD² ×10³ {lib}" for lib in libs),
        "int floor",
        *(f"CF RMSE {lib}" for lib in libs),
        "CF ratio",
    ]
    acc = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    tcols = [
        "SCM",
        *(f"fit s {lib}" for lib in libs),
        "time ratio",
        "goal: CF",
        "goal: int MMD²",
        "goal: time ≤ 2x",
        "gcm mechanisms",
    ]
    timing = ["| " + " | ".join(tcols) + " |", "|" + "---|" * len(tcols)]
    for scm, rs in by_scm.items():
        seeds = len(rs)
        noise = "additive" if rs[0].additive else "non-additive"
        obs = [_mean_sd([r.obs_mmd[lib] for r in rs], scale) for lib in libs]
        ints = [_mean_sd([r.int_mmd[lib] for r in rs], scale) for lib in libs]
        cfs = [_mean_sd([r.cf_rmse[lib] for r in rs]) for lib in libs]
        obs_floor = _mean_sd([r.obs_floor for r in rs], scale)
        int_floor = _mean_sd([float(np.mean(r.int_floor)) for r in rs], scale)
        cf_ratio = "n/a"
        verdicts = ["", "", ""]
        time_ratio = "n/a"
        if peer is not None:
            cf_a = [r.cf_rmse[ours] for r in rs]
            cf_b = [r.cf_rmse[peer] for r in rs]
            if not (np.isnan(cf_a).any() or np.isnan(cf_b).any()):
                cf_ratio = f"{np.mean(cf_a) / np.mean(cf_b):.2f}"
            floors = np.concatenate([r.int_floor for r in rs])
            t_a = np.mean([r.fit_seconds[ours] for r in rs])
            t_b = np.mean([r.fit_seconds[peer] for r in rs])
            time_ratio = f"{t_a / t_b:.2f}"
            verdicts = [
                _verdict(cf_a, cf_b),
                _verdict(
                    [r.int_mmd[ours] for r in rs],
                    [r.int_mmd[peer] for r in rs],
                    float(np.std(floors, ddof=1) / np.sqrt(len(floors)))
                    if len(floors) > 1
                    else 0.0,
                ),
                "✓" if t_a <= 2 * t_b else "✗",
            ]
        acc.append(
            f"| {scm} | {noise} | {seeds} | "
            + " | ".join(obs)
            + f" | {obs_floor} | "
            + " | ".join(ints)
            + f" | {int_floor} | "
            + " | ".join(cfs)
            + f" | {cf_ratio} |"
        )
        fits = [_mean_sd([r.fit_seconds[lib] for r in rs], digits=1) for lib in libs]
        mech = rs[0].notes.get(f"{peer} mechanisms", "") if peer else ""
        timing.append(
            f"| {scm} | "
            + " | ".join(fits)
            + f" | {time_ratio} | "
            + " | ".join(verdicts)
            + f" | {mech} |"
        )
    return "\n".join(acc) + "\n\n" + "\n".join(timing) + "\n"


def per_seed_frame(results: Sequence[CaseResult], libs: Sequence[str]) -> pd.DataFrame:
    """One row per SCM, seed and library."""
    rows = []
    for r in results:
        for lib in libs:
            rows.append(
                {
                    "scm": r.scm,
                    "seed": r.seed,
                    "additive": r.additive,
                    "library": lib,
                    "obs_mmd2": r.obs_mmd[lib],
                    "obs_floor": r.obs_floor,
                    "int_mmd2": r.int_mmd[lib],
                    "int_floor": float(np.mean(r.int_floor)),
                    "cf_rmse_sd": r.cf_rmse[lib],
                    "fit_seconds": r.fit_seconds[lib],
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------- CLI
def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 SCMs, 1 seed, n=1000")
    parser.add_argument("--scms", help="comma-separated SCM names (default: all)")
    parser.add_argument("--seeds", help="comma-separated seeds (default: 0,1,2)")
    parser.add_argument("--n", type=int, help="training rows (default 5000)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch / BLAS / OpenMP threads and gcm n_jobs"
    )
    parser.add_argument(
        "--libs", default="deepcausal,gcm", help="libraries to run (deepcausal first)"
    )
    parser.add_argument(
        "--mechanisms",
        default="auto",
        help="deepcausal's mechanism family for every continuous node (default: auto; e.g. flow)",
    )
    parser.add_argument("--out", default=str(RESULTS / "scm_ladder.md"), help="markdown output")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    names = args.scms.split(",") if args.scms else (QUICK_SCMS if args.quick else available_scms())
    unknown = [s for s in names if s not in available_scms()]
    if unknown:
        raise SystemExit(f"unknown SCM(s) {unknown}; available: {', '.join(available_scms())}")
    seeds = (
        [int(s) for s in args.seeds.split(",")]
        if args.seeds
        else ([0] if args.quick else [0, 1, 2])
    )
    n = args.n or (1000 if args.quick else 5000)
    settings = (
        Settings(n_train=n, n_eval=1000, n_factual=200, mmd_max_samples=1000)
        if args.quick
        else Settings(n_train=n)
    )
    libs = args.libs.split(",")
    factories = {
        k: v for k, v in default_factories(args.threads, args.mechanisms).items() if k in libs
    }
    if list(factories) != libs:
        raise SystemExit(f"--libs must name deepcausal and/or gcm, got {args.libs}")

    torch.set_num_threads(args.threads)
    load_start = os.getloadavg()
    start = time.perf_counter()
    results: list[CaseResult] = []
    with threadpool_limits(args.threads):
        for name in names:
            for seed in seeds:
                t0 = time.perf_counter()
                r = run_case(name, seed, settings, factories)
                results.append(r)
                times = ", ".join(f"{k} {v:.1f}s" for k, v in r.fit_seconds.items())
                cfs = ", ".join(f"{k} {v:.3f}" for k, v in r.cf_rmse.items())
                print(
                    f"[{time.perf_counter() - start:7.0f}s] {name} seed {seed}: fit {times}; "
                    f"CF RMSE {cfs} (case {time.perf_counter() - t0:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
    load_end = os.getloadavg()
    elapsed = time.perf_counter() - start

    import dowhy
    import sklearn

    command = "python benchmarks/scm_ladder.py " + " ".join(sys.argv[1:] if argv is None else argv)
    notes = [
        "# DeepSCM vs DoWhy gcm on the three rungs",
        "",
        f"`{command.strip()}` — {settings.n_train} training rows, seeds {seeds}, "
        f"{settings.n_eval} evaluation samples per distribution (MMD² on at most "
        f"{settings.mmd_max_samples} of them, Gaussian kernel, median bandwidth), "
        f"{settings.n_factual} factual rows.",
        f"torch {torch.__version__} ({args.threads} thread(s); BLAS/OpenMP limited to the same), "
        f"dowhy {dowhy.__version__} (n_jobs={args.threads}), scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPU(s); load average "
        f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end; total {elapsed / 60:.1f} min.",
        "",
        "Mean ± sd over seeds. int MMD²: mean over the do-queries of the first and last non-sink "
        "node (20th/50th/80th percentile). CF RMSE: descendants of the same nodes under "
        "do(p80) and +1 sd, in units of each column's observational sd. floor: the same distance "
        "between two simulator samples. CF ratio = deepcausal / gcm.",
        "",
    ]
    for r in results:
        for lib, note in r.notes.items():
            if "mechanisms" not in lib:
                notes.append(f"- {r.scm} seed {r.seed}, {lib}: {note}")
    text = "\n".join(notes).rstrip("\n") + "\n\n" + summarise(results, libs)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    per_seed_frame(results, libs).to_csv(out.with_suffix(".csv"), index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
