"""Discovery regression check: the continuous methods' SHD and weighted adjacency on the benchmark
seeds, saved by one commit and compared by another.

The datasets are those of ``benchmarks/discovery.py`` (its builders, so the same data): linear ER2
d = 20 (seeds 0-2) and d = 50 (seed 0) for NOTEARS and DAGMA; linear ER2 d = 10 and nonlinear ER1
d = 10 (seed 0) for the neural methods; Sachs in both pairings (from ../shared/data/sachs, skipped
with a message where absent). Every method runs its defaults, single-threaded.

Usage::

    python benchmarks/discovery_regression.py --save before.npz      # on the old commit
    python benchmarks/discovery_regression.py --compare before.npz   # on the new one

``--compare`` prints, per run, the SHD before and after and whether the adjacency is bit-identical,
and exits 1 when any SHD differs.
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

HERE = Path(__file__).resolve().parent

LINEAR = ("notears", "dagma")
NEURAL = ("notears_mlp", "dagma_mlp", "grandag", "daggnn")


def _plan() -> list[tuple[tuple, tuple[str, ...]]]:
    plan: list[tuple[tuple, tuple[str, ...]]] = []
    plan += [(("linear", "ER", 2, 20, 1000, seed), LINEAR) for seed in (0, 1, 2)]
    plan.append((("linear", "ER", 2, 50, 1000, 0), LINEAR))
    plan.append((("linear", "ER", 2, 10, 1000, 0), NEURAL))
    plan.append((("nonlinear", "ER", 1, 10, 1000, 0), NEURAL))
    plan.append((("sachs", "853"), LINEAR + NEURAL))
    plan.append((("sachs", "7466"), LINEAR))
    return plan


def run() -> dict[str, tuple[np.ndarray, int]]:
    """``{key: (adjacency, SHD)}`` for every run of the plan."""
    sys.path.insert(0, str(HERE))
    import discovery as grid  # the benchmark's dataset builders
    from deepcausal.discovery import discover

    out: dict[str, tuple[np.ndarray, int]] = {}
    for spec, methods in _plan():
        ds = grid._sachs(spec[1]) if spec[0] == "sachs" else grid._synthetic(*spec)
        if ds is None:
            continue
        for method in methods:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = discover(ds.data, method, random_state=ds.seed)
            shd = int(grid._metrics(ds.truth, result.edges, method, list(ds.data.columns))["shd"])
            key = f"{ds.key}/d={ds.d}/seed={ds.seed}/{method}"
            out[key] = (result.adjacency.to_numpy(), shd)
            print(f"{key}: SHD {shd} ({time.perf_counter() - start:.1f} s)", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the adjacencies and SHDs to this .npz")
    group.add_argument("--compare", type=Path, help="compare with a file written by --save")
    args = parser.parse_args()
    results = run()
    if args.save:
        arrays = {f"{k}|W": w for k, (w, _) in results.items()}
        arrays |= {f"{k}|shd": np.array(s) for k, (_, s) in results.items()}
        np.savez(args.save, **arrays)  # type: ignore[arg-type]
        return
    before = np.load(args.compare)
    changed = 0
    for key, (W, shd) in results.items():
        if f"{key}|W" not in before:
            print(f"{key}: not in {args.compare}")
            continue
        old_shd = int(before[f"{key}|shd"])
        same = np.array_equal(before[f"{key}|W"], W)
        changed += old_shd != shd
        print(f"{key}: SHD {old_shd} -> {shd}, adjacency {'identical' if same else 'differs'}")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
