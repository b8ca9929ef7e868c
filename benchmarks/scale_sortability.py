"""Raw against standardised scales in continuous discovery: SHD of each method on both, side by side
with gCastle's NOTEARS on the same data in the same run.

Linear-Gaussian SEMs on ER2 DAGs (d = 20, n = 1000, weights uniform on [-2, -0.5] u [0.5, 2], unit
noise), seeds 0-2, as in the NOTEARS and DAGMA papers. Such data are varsortable: the marginal
variance grows along the causal order, and least-squares methods can read the order off the scales
(Reisach, Seiler & Weichwald 2021). Standardising every column removes that cue. PC is
scale-invariant and is scored by the SHD between CPDAGs. The table also gives the varsortability
and R²-sortability of the true DAG, and whether deepcausal raised its ScaleWarning.

Usage::

    python benchmarks/scale_sortability.py [--seeds 0,1,2] [--d 20]

writes ``benchmarks/results/scale_sortability.md`` and prints the table.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # benchmarks/coverage.py
from deepcausal.discovery import discover, r2_sortability, varsortability  # noqa: E402
from deepcausal.discovery._simulate import simulate_dag, simulate_sem, simulate_weights  # noqa: E402
from deepcausal.errors import ScaleWarning  # noqa: E402
from deepcausal.graph import CausalGraph  # noqa: E402
from deepcausal.metrics import shd  # noqa: E402

sys.path.insert(0, str(HERE))
from _peers_discovery import gcastle_available, gcastle_notears  # noqa: E402

METHODS = ("notears", "dagma", "pc")


def _run(seed: int, d: int, n: int, peer: bool, methods: tuple[str, ...]) -> list[dict]:
    names = [f"x{i}" for i in range(d)]
    B = simulate_dag(d, 2, "ER", random_state=seed)
    X = simulate_sem(simulate_weights(B, random_state=seed), n, random_state=seed)
    truth = CausalGraph.from_adjacency(B, names)
    raw = pd.DataFrame(X, columns=names)
    scaled = (raw - raw.mean()) / raw.std(ddof=0)
    common = {
        "seed": seed,
        "varsortability": varsortability(X, B),
        "r2_sortability": r2_sortability(X, B),
    }
    rows = []
    for method in methods:
        row: dict = {"method": f"deepcausal {method}", **common}
        for label, standardize in (("raw", False), ("standardised", True)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start = time.perf_counter()
                result = discover(raw, method=method, random_state=seed, standardize=standardize)
                row[f"time {label}"] = time.perf_counter() - start
            cpdag = method == "pc"
            row[f"SHD {label}"] = shd(truth, result.edges, nodes=names, cpdag=cpdag)
            row[f"warned {label}"] = any(issubclass(w.category, ScaleWarning) for w in caught)
        rows.append(row)
    if peer:
        row = {"method": "gCastle Notears", **common}
        for label, data in (("raw", raw), ("standardised", scaled)):
            out = gcastle_notears(data.to_numpy(), timeout=1800)
            row[f"time {label}"] = out.wall
            row[f"SHD {label}"] = (
                np.nan if out.adjacency is None else shd(truth, out.adjacency, nodes=names)
            )
            row[f"warned {label}"] = False
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--methods", default=",".join(METHODS), help="deepcausal methods to run")
    parser.add_argument("--no-peer", action="store_true", help="leave gCastle's NOTEARS out")
    parser.add_argument("--output", default=str(HERE / "results" / "scale_sortability.md"))
    args = parser.parse_args(argv)
    peer = not args.no_peer and gcastle_available()
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    command = " ".join(["python benchmarks/scale_sortability.py", *(argv or sys.argv[1:])])
    start = time.perf_counter()
    rows = [r for s in args.seeds.split(",") for r in _run(int(s), args.d, args.n, peer, methods)]
    frame = pd.DataFrame(rows)
    summary = frame.groupby("method", sort=False).agg(
        {
            "SHD raw": ["mean", "min", "max"],
            "SHD standardised": ["mean", "min", "max"],
            "time raw": "mean",
            "warned raw": "mean",
            "warned standardised": "mean",
        }
    )
    lines = [
        f"Linear-Gaussian ER2, d = {args.d}, n = {args.n}, seeds {args.seeds}; true DAG's "
        f"varsortability {frame['varsortability'].mean():.2f}, R²-sortability "
        f"{frame['r2_sortability'].mean():.2f}; total {time.perf_counter() - start:.0f} s. "
        f"Command: `{command}`",
        "",
        "| method | SHD raw (min–max) | SHD standardised (min–max) | time raw s | ScaleWarning raw | "
        "ScaleWarning standardised |",
        "|---|---|---|---|---|---|",
    ]
    for method, r in summary.iterrows():
        lines.append(
            f"| {method} | {r[('SHD raw', 'mean')]:.1f} ({r[('SHD raw', 'min')]:.0f}–"
            f"{r[('SHD raw', 'max')]:.0f}) | {r[('SHD standardised', 'mean')]:.1f} "
            f"({r[('SHD standardised', 'min')]:.0f}–{r[('SHD standardised', 'max')]:.0f}) | "
            f"{r[('time raw', 'mean')]:.1f} | {r[('warned raw', 'mean')]:.0%} | "
            f"{r[('warned standardised', 'mean')]:.0%} |"
        )
    text = "\n".join(lines) + "\n"
    from deepcausal._atomic import atomic_write_text

    atomic_write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
