"""Cost curves: wall time and peak memory against the number of variables d (discovery) and the
number of rows n (DeepSCM fit, TARNet, DeepIV), with the slope of each on log-log axes.

Every point runs in a fresh process, so that its peak resident memory (``VmHWM``) is its own;
"memory" is that peak minus the process's resident memory just before the fit (after the imports,
the data and a small warm-up fit), so the interpreter, torch and lazy imports are left out. Times are wall seconds of the fit alone.

* discovery: ``dagma`` (linear, least squares) on ER2 linear-Gaussian data, n = 1,000, d in
  ``--ds`` (default 10 20 50 100 200);
* DeepSCM: a 5-node chain (``chain-linear`` extended), additive mechanisms, a fixed 10 epochs
  (early stopping off, so every n does the same number of passes), n in ``--ns``;
* TARNet: the same fixed 10 epochs, no refit on all rows, 10 covariates (the bootstrap runs
  only when an interval is asked for, so not here);
* DeepIV: the demand design (Hartford et al. 2017), 10 epochs per stage, one network in place of
  the ensemble, no bootstrap.

The slope is the least-squares fit of log(cost) on log(size): 1 means linear growth. The figure
goes to ``docs/figures/scaling.png``, the table to ``benchmarks/results/scaling.md``, and the
curves to ``src/deepcausal/report/scaling_reference.json``, which the HTML reports draw in their
cost appendix (``--reference-only`` rewrites that file from the last results without running).

Usage::

    nice .venv/bin/python benchmarks/scaling.py                      # about 10 minutes on 2 cores
    nice .venv/bin/python benchmarks/scaling.py --ds 10 20 --ns 1000 3000   # a quick look
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from _child import STATUS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FIGURE = HERE.parent / "docs" / "figures" / "scaling.png"
REFERENCE = HERE.parent / "src" / "deepcausal" / "report" / "scaling_reference.json"

#: The child's code: build the problem, note the resident memory, fit, report.
CHILD = STATUS + textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd, torch
    torch.set_num_threads(2)

    task, size = sys.argv[1], int(sys.argv[2])
    from deepcausal.nn import TrainConfig
    fixed = TrainConfig(max_epochs=10, validation_fraction=0.2, patience=10**6, progress=False,
                        random_state=0, device="cpu")

    def make(size):
        if task == "discovery":
            from deepcausal.discovery import discover
            from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
            B = simulate_dag(size, 2, "ER", random_state=0)
            X = simulate_sem(simulate_weights(B, random_state=0), 1000, random_state=0)
            data = pd.DataFrame(X, columns=[f"x{i}" for i in range(size)])
            return lambda: discover(data, method="dagma", random_state=0)
        if task == "deepscm":
            from deepcausal.scm import DeepSCM
            rng = np.random.default_rng(0)
            cols = {"x0": rng.normal(size=size)}
            for i in range(1, 5):
                cols[f"x{i}"] = 0.8 * cols[f"x{i-1}"] + rng.normal(size=size)
            data = pd.DataFrame(cols)
            graph = "x0 -> x1; x1 -> x2; x2 -> x3; x3 -> x4"
            return lambda: DeepSCM(graph, mechanisms="additive", training=fixed, random_state=0,
                                   progress=False, device="cpu").fit(data)
        if task == "tarnet":
            from deepcausal.estimators import TARNet
            rng = np.random.default_rng(0)
            X = rng.normal(size=(size, 10))
            t = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
            y = X[:, 0] + np.sin(X[:, 1]) + 2.0 * t + rng.normal(size=size)
            return lambda: TARNet(train_config=fixed, refit=False, random_state=0).fit(X, t, y)
        if task == "deepiv":
            from deepcausal.datasets import simulate_demand
            from deepcausal.estimators import DeepIV
            d = simulate_demand(size, random_state=0).data
            return lambda: DeepIV(train_config=fixed, n_ensemble=1, n_bootstrap=0,
                                  random_state=0).fit(d[["time", "emotion"]], d.price, d.sales,
                                                      instruments=d.cost)
        raise SystemExit(f"unknown task {task}")

    make(min(size, 5) if task == "discovery" else 300)()  # imports and thread pools: not the fit's
    run = make(size)
    before = status("VmRSS:")
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(json.dumps({"task": task, "size": size, "seconds": seconds,
                      "memory_mb": status("VmHWM:") - before, "peak_mb": status("VmHWM:")}))
    """
)


def point(task: str, size: int) -> dict[str, float | str]:
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, task, str(size)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(f"{task} at {size} failed:\n{run.stderr[-3000:]}")
    row: dict[str, float | str] = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(row), flush=True)
    return row


def slope(rows: list[dict[str, float | str]], key: str) -> float:
    """The log-log slope over the points where the cost is measurable (memory: at least 1 MB;
    NaN with fewer than two such points)."""
    kept = [r for r in rows if float(r[key]) >= (1.0 if key == "memory_mb" else 1e-4)]
    if len(kept) < 2:
        return float("nan")
    x = np.log([float(r["size"]) for r in kept])
    y = np.log([float(r[key]) for r in kept])
    return float(np.polyfit(x, y, 1)[0])


def table(curves: dict[str, list[dict[str, float | str]]]) -> str:
    lines = [
        "| model | size | seconds | fit memory (MB) | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for task, rows in curves.items():
        axis = "d" if task == "discovery" else "n"
        for r in rows:
            lines.append(
                f"| {task} | {axis} = {int(float(r['size'])):,} | {float(r['seconds']):.2f} | "
                f"{float(r['memory_mb']):.0f} | {float(r['peak_mb']):.0f} |"
            )
    lines += ["", "| model | slope of time | slope of memory |", "|---|---|---|"]
    for task, rows in curves.items():
        if len(rows) > 1:
            lines.append(
                f"| {task} | {slope(rows, 'seconds'):.2f} | {slope(rows, 'memory_mb'):.2f} |"
            )
    return "\n".join(lines)


def plot(curves: dict[str, list[dict[str, float | str]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in zip(axes, ("seconds", "memory_mb"), ("wall time (s)", "fit memory (MB)"),
                              strict=True):  # fmt: skip
        for task, rows in curves.items():
            if len(rows) < 2:
                continue
            sizes = [float(r["size"]) for r in rows]
            values = [max(float(r[key]), 0.1) for r in rows]
            axis = "d" if task == "discovery" else "n"
            ax.loglog(sizes, values, "o-", label=f"{task} ({axis}; slope {slope(rows, key):.2f})")
        ax.set_xlabel("size (d for discovery, n for the rest)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("deepcausal cost curves (2 CPU cores)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def write_reference(curves: dict[str, list[dict[str, float | str]]], measured: str) -> None:
    """The curves the HTML reports draw in their cost appendix (``deepcausal.report``), with the
    date and the machine they were measured on."""
    from deepcausal._atomic import atomic_write_text

    reference = {
        "source": "benchmarks/scaling.py",
        "measured": measured,
        "machine": f"{os.cpu_count()} CPU cores, no GPU",
        "curves": {
            task: [[float(r["size"]), float(r["seconds"]), float(r["memory_mb"])] for r in rows]
            for task, rows in curves.items()
        },
    }
    atomic_write_text(REFERENCE, json.dumps(reference, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ds", type=int, nargs="+", default=[10, 20, 50, 100, 200])
    parser.add_argument("--ns", type=int, nargs="+", default=[1000, 3000, 10_000, 30_000, 100_000])
    parser.add_argument("--only", nargs="+", default=["discovery", "deepscm", "tarnet", "deepiv"])
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="rewrite the reports' reference curves from the last results/scaling.json, no runs",
    )
    args = parser.parse_args()
    if args.reference_only:
        last = RESULTS / "scaling.json"
        measured = datetime.date.fromtimestamp(last.stat().st_mtime).isoformat()
        write_reference(json.loads(last.read_text()), measured)
        return
    curves: dict[str, list[dict[str, float | str]]] = {}
    for task in args.only:
        sizes = args.ds if task == "discovery" else args.ns
        curves[task] = [point(task, s) for s in sizes]
    write_reference(curves, datetime.date.today().isoformat())
    text = table(curves)
    print(text)
    from deepcausal._atomic import atomic_write_text

    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(RESULTS / "scaling.json", json.dumps(curves, indent=1))
    atomic_write_text(RESULTS / "scaling.md", text + "\n")
    plot(curves, FIGURE)


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
