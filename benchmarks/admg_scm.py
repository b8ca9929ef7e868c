"""DeepSCM on ADMGs (continuous data): interventional means on the front-door and napkin graphs,
and neural bounds on a linear-Gaussian instrument.

Part A — ``DeepSCM`` fitted to n = 4000 rows of each simulator below (hidden confounders left out
of the data), then ``E[Y | do(X=x)]`` for x in {-1, 0, 1} from 20,000 draws, against the truth:

* front door: ``X = U + e``, ``M = tanh(X) + 0.5 e``, ``Y = 2 M + 1.5 U + 0.5 e``
  (``E[Y | do(x)] = 2 tanh(x)``);
* napkin: ``W = U1 + U2 + e``, ``R = tanh(W) + 0.5 e``, ``X = R + U1 + 0.5 e``,
  ``Y = X + 1.5 U2 + 0.5 e`` (``E[Y | do(x)] = x``).

The error is reported in standard deviations of Y, beside the naive regression's.

Part B — ``bounds(method="neural")`` (``--seeds``, default 4 as in ``bounds``) on ``--ivs`` draws (n = 3000) of the
instrument ``X = Z + U + 0.5 e``, ``Y = X + 1.5 U + 0.5 e``: the effect of X from 0 to 1 is 1, the
naive slope about 1.67. Targets: the interval contains 1 and is narrower than 0.15.

Part C (``--spread``) — how much of the width is disagreement between seeds: four DeepSCMs fitted
to instrument data set 2 with the same objective but no push (``EffectPush(penalty=(0, 0))``),
their effects side by side.

Usage::

    nice .venv/bin/python benchmarks/admg_scm.py            # --ivs 3
    nice .venv/bin/python benchmarks/admg_scm.py --only-b --seeds 2   # part B with 2 seeds
    nice .venv/bin/python benchmarks/admg_scm.py --spread   # part C alone
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


def front_door(n: int, seed: int) -> tuple[str, pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n)
    x = u + rng.normal(size=n)
    m = np.tanh(x) + 0.5 * rng.normal(size=n)
    y = 2 * m + 1.5 * u + 0.5 * rng.normal(size=n)
    return (
        "X -> M; M -> Y; X <-> Y",
        pd.DataFrame({"X": x, "M": m, "Y": y}),
        lambda v: 2 * np.tanh(v),
    )


def napkin(n: int, seed: int) -> tuple[str, pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    u1, u2 = rng.normal(size=n), rng.normal(size=n)
    w = u1 + u2 + rng.normal(size=n)
    r = np.tanh(w) + 0.5 * rng.normal(size=n)
    x = r + u1 + 0.5 * rng.normal(size=n)
    y = x + 1.5 * u2 + 0.5 * rng.normal(size=n)
    graph = "W -> R; R -> X; X -> Y; W <-> X; W <-> Y"
    return graph, pd.DataFrame({"W": w, "R": r, "X": x, "Y": y}), lambda v: v


def part_a() -> list[dict[str, object]]:
    from deepcausal.scm import DeepSCM

    rows = []
    for name, sim in (("front door", front_door), ("napkin", napkin)):
        graph, df, truth = sim(4000, 0)
        start = time.perf_counter()
        scm = DeepSCM(graph, random_state=0, progress=False).fit(df)
        seconds = time.perf_counter() - start
        sd = float(df.Y.std())
        slope = float(np.polyfit(df.X, df.Y, 1)[0])
        for x in (-1.0, 0.0, 1.0):
            mean = float(scm.do(X=x).sample(20_000, random_state=1).Y.mean())
            true = float(truth(x))  # type: ignore[operator]
            naive = float(df.Y.mean() + slope * (x - df.X.mean()))
            row = {"graph": name, "x": x, "truth": true, "deepscm": mean,
                   "error_sd": abs(mean - true) / sd, "naive_error_sd": abs(naive - true) / sd,
                   "fit_seconds": seconds}  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def instrument(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z, u = rng.normal(size=n), rng.normal(size=n)
    x = z + u + 0.5 * rng.normal(size=n)
    y = x + 1.5 * u + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"Z": z, "X": x, "Y": y})


IV_GRAPH = "Z -> X; X -> Y; X <-> Y"


def part_b(ivs: int, seeds: int) -> list[dict[str, object]]:
    from deepcausal import bounds

    rows = []
    for seed in range(ivs):
        df = instrument(seed)
        start = time.perf_counter()
        b = bounds(IV_GRAPH, df, "X", "Y", treated=1.0, control=0.0, method="neural",
                   n_seeds=seeds, random_state=seed)  # fmt: skip
        row = {"data": seed, "lower": b.lower, "upper": b.upper, "width": b.width,
               "contains": b.contains(1.0), "naive": float(np.polyfit(df.X, df.Y, 1)[0]),
               "seconds": time.perf_counter() - start}  # fmt: skip
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def part_c(data: int = 2, seeds: int = 4) -> list[float]:
    """Effects of DeepSCMs fitted without a push (seeds as ``bounds`` uses them)."""
    from deepcausal.scm import DeepSCM, EffectPush

    df = instrument(data)
    effects = []
    for s in range(seeds):
        fit_only = EffectPush("X", "Y", 1.0, 0.0, 1.0, penalty=(0.0, 0.0))
        scm = DeepSCM(IV_GRAPH, random_state=data * 1000 + s, progress=False)
        scm.fit(df, push=fit_only)
        effects.append(scm.ate("X", "Y", 1.0, 0.0, n=20_000, random_state=s).value)
    print(json.dumps({"data": data, "unpushed_effects": effects, "sd": float(np.std(effects))}))
    return effects


def _table(a: list[dict[str, object]], b: list[dict[str, object]]) -> str:
    lines = ["| graph | x | truth | DeepSCM | error (SD of Y) | naive error (SD) | fit s |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in a:
        lines.append(
            f"| {r['graph']} | {r['x']:g} | {r['truth']:.3f} | {r['deepscm']:.3f} | "
            f"{r['error_sd']:.3f} | {r['naive_error_sd']:.3f} | {r['fit_seconds']:.0f} |"
        )
    lines += ["", "| IV data | neural bounds | width | contains 1 | naive slope | s |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in b:
        lines.append(
            f"| {r['data']} | [{r['lower']:.3f}, {r['upper']:.3f}] | {r['width']:.3f} | "
            f"{'yes' if r['contains'] else 'no'} | {r['naive']:.2f} | {r['seconds']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ivs", type=int, default=3, help="instrument data sets for part B")
    parser.add_argument("--seeds", type=int, default=4, help="seeds of the neural bounds (part B)")
    parser.add_argument("--only-b", action="store_true", help="skip part A")
    parser.add_argument("--spread", action="store_true", help="run part C alone")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.spread:
        part_c()
        return
    a = [] if args.only_b else part_a()
    b = part_b(args.ivs, args.seeds)
    table = _table(a, b)
    print(table)
    from deepcausal._atomic import atomic_write_text

    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(RESULTS / "admg_scm.json", json.dumps({"a": a, "b": b}, indent=1))
    atomic_write_text(RESULTS / "admg_scm.md", table + "\n")


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
