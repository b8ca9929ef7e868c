"""Linear DAGMA as d grows, side by side with the reference implementation (the ``dagma`` package,
Bello, Aragam & Ravikumar 2022) on the same data in one run.

Data: ER2 linear-Gaussian SEMs (``simulate_dag(d, 2, "ER")``, edge weights in ±[0.5, 2], unit
noise), raw scale, n rows. Both run their defaults (λ1 = 0.03, T = 5, 30,000/60,000 Adam steps,
lr 3e-4, threshold 0.3), one after the other on the same machine; the reference runs in a child
process and is stopped after ``--timeout`` seconds (its row then says "> timeout"). Reported: wall seconds, SHD
against the true DAG, SHD/d, and the speed ratio (reference time / ours; above 1 means ours is
faster).

Usage::

    nice .venv/bin/python benchmarks/dagma_scale.py                  # d = 50 100 200, n = 1000
    nice .venv/bin/python benchmarks/dagma_scale.py --ds 500 --n 10000   # the issue's larger sizes
    python benchmarks/dagma_scale.py --ds 1000 2000 5000 10000 --n 10000 --device cuda \
        --timeout 0 --output dagma_gpu                 # on a GPU: float32, no reference

Needs the ``dagma`` package (in the ``bench`` extra: ``make bench-install``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


REFERENCE = """
import sys, time, numpy as np
from dagma.linear import DagmaLinear
X = np.load(sys.argv[1])
start = time.perf_counter()
W = DagmaLinear(loss_type="l2").fit(X, lambda1=0.03)
print(time.perf_counter() - start)
np.save(sys.argv[2], W)
"""


def _reference(X: np.ndarray, timeout: float) -> tuple[float, np.ndarray | None]:
    """The reference fit in a child process: the wall time of its fit alone and W, or
    (timeout, None) when it did not finish in time."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "X.npy", Path(tmp) / "W.npy"
        np.save(data, X)
        env = {**os.environ, "TQDM_DISABLE": "1"}
        try:
            done = subprocess.run([sys.executable, "-c", REFERENCE, str(data), str(out)],
                                  check=True, timeout=timeout, env=env, capture_output=True,
                                  text=True)  # fmt: skip
        except subprocess.TimeoutExpired:
            return timeout, None
        return float(done.stdout.strip().splitlines()[-1]), np.load(out)


def run(
    d: int,
    n: int,
    seed: int,
    timeout: float,
    device: str = "auto",
    precision: str = "auto",
    standardize: bool = False,
    options: dict[str, float] | None = None,
) -> dict[str, float | int | bool | str]:
    from deepcausal.discovery import discover
    from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights
    from deepcausal.graph import CausalGraph
    from deepcausal.metrics import shd

    names = [f"x{i}" for i in range(d)]
    B = simulate_dag(d, 2, "ER", random_state=seed)
    X = simulate_sem(simulate_weights(B, random_state=seed), n, random_state=seed)
    truth = CausalGraph.from_adjacency(B, names)

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = discover(pd.DataFrame(X, columns=names), method="dagma", random_state=seed,
                        device=device, precision=precision, standardize=standardize,
                        **(options or {}))  # fmt: skip
    ours_s = time.perf_counter() - start

    ref_s, W = _reference(X, timeout) if timeout > 0 else (float("nan"), None)
    ref = None if W is None else CausalGraph.from_adjacency((np.abs(W) > 0).astype(int), names)

    row = {
        "d": d,
        "n": n,
        "seed": seed,
        "deepcausal_s": ours_s,
        "dagma_s": ref_s,
        "speed_ratio": ref_s / ours_s,
        "deepcausal_shd": int(shd(truth, ours.graph)),
        "dagma_shd": -1 if ref is None else int(shd(truth, ref)),
        "dagma_finished": ref is not None,
        "edges": int(B.sum()),
        "device": device,
        "precision": precision,
        "standardized": standardize,
        "iterations": int(ours.diagnostics["iterations"]),
        "options": json.dumps(options or {}),
    }
    print(json.dumps(row), flush=True)
    return row


def table(rows: list[dict[str, float | int | bool | str]]) -> str:
    lines = [
        "| d | n | edges | deepcausal s | iterations | dagma s | speed ratio | deepcausal SHD (SHD/d) "
        "| dagma SHD | our options |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d = int(r["d"])
        opts = ", ".join(f"{k}={v}" for k, v in json.loads(str(r["options"])).items()) or "defaults"
        if r["dagma_s"] != r["dagma_s"]:  # NaN: the reference was not run
            lines.append(
                f"| {d} | {int(r['n']):,} | {r['edges']} | {float(r['deepcausal_s']):.1f} | "
                f"{r['iterations']} | not run | - | {r['deepcausal_shd']} ({int(r['deepcausal_shd']) / d:.3f}) | - | {opts} |"
            )
            continue
        lines.append(
            f"| {d} | {int(r['n']):,} | {r['edges']} | {float(r['deepcausal_s']):.1f} | "
            f"{r['iterations']} | {'' if r['dagma_finished'] else '> '}{float(r['dagma_s']):.1f} | "
            f"{'' if r['dagma_finished'] else '> '}{float(r['speed_ratio']):.2f} | "
            f"{r['deepcausal_shd']} ({int(r['deepcausal_shd']) / d:.3f}) | "
            f"{r['dagma_shd'] if r['dagma_finished'] else 'stopped'} | {opts} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ds", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds the reference may take per d before it is stopped; "
                        "0 skips the reference (e.g. for a GPU run)")  # fmt: skip
    parser.add_argument("--device", default="auto", help="ours: auto, cpu or cuda")
    parser.add_argument("--precision", default="auto", help="ours: auto, float32 or float64")
    parser.add_argument("--standardize", action="store_true", help="ours on standardised data")
    parser.add_argument("--output", default="dagma_scale", help="name of the result files")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option of ours (e.g. tol=1e-5), repeatable; the reference "
                        "keeps its defaults")  # fmt: skip
    args = parser.parse_args()
    options = {k: json.loads(v) for k, v in (o.split("=", 1) for o in args.option)}
    run(5, 200, args.seed, 0, args.device)  # imports and first-call set-up, outside the timings
    rows = [run(d, args.n, args.seed, args.timeout, args.device, args.precision,
                args.standardize, options) for d in args.ds]  # fmt: skip
    text = table(rows)
    print(text)
    from deepcausal._atomic import atomic_write_text

    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(RESULTS / f"{args.output}.json", json.dumps(rows, indent=1))
    atomic_write_text(RESULTS / f"{args.output}.md", text + "\n")


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
