"""Causally fair synthetic data on UCI Adult (sex protected, income the target), as DECAF reports it.

For each seed the table (rows with a missing value dropped) is split 80/20; every generator is
fitted on the 80% and draws as many rows; a downstream classifier (scikit-learn's histogram
gradient boosting) is trained on each table and tested on the real 20%:

* deepcausal ``FairSynthesizer`` — one conditional WGAN per column on a graph learned by PC
  (G² test; sex, age, race and native-country exogenous roots), generating with no edge removed
  and under FTU, CF and DP (van Breugel et al. 2021);
* a non-causal baseline — the same generators on a complete DAG in the table's column order (an
  autoregressive GAN that knows no causal structure; nothing can be removed);
* the real training rows.

Metrics: precision and recall (Kynkäänniemi et al. 2019), AUROC, FTU and DP of the classifier
(``deepcausal.metrics.downstream_fairness``), and fit plus generation time. synthcity's DECAF
plugin cannot be installed beside this torch and numpy (../shared/PEERS.md: synthcity 0.2.12 needs
torch<2.3 and numpy<2; 0.2.4 fails to import), so it is not run.

Usage::

    .venv/bin/python benchmarks/fair_adult.py                 # seeds 0,1,2
    .venv/bin/python benchmarks/fair_adult.py --seeds 0 --rows 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from deepcausal.datasets import load_adult
from deepcausal.errors import DataWarning
from deepcausal.graph import CausalGraph
from deepcausal.metrics import downstream_fairness, precision_recall
from deepcausal.synthetic import FairSynthesizer

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "adult" / "adult.data.gz"
RESULTS = HERE / "results"
FIRST = ["age", "race", "native-country"]


def complete_dag(columns: list[str], first: str) -> CausalGraph:
    order = [first, *[c for c in columns if c != first]]
    return CausalGraph(
        nodes=order, directed=[(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    )


def score(name: str, table: pd.DataFrame, test: pd.DataFrame, seconds: float, seed: int) -> dict:
    metrics = downstream_fairness(table, test, "income", "sex")
    precision, recall = precision_recall(test, table, random_state=seed)
    return {
        "generator": name,
        "precision": precision,
        "recall": recall,
        **metrics,
        "seconds": seconds,
    }


def run_seed(data: pd.DataFrame, seed: int) -> list[dict]:
    rows = np.random.default_rng(seed).permutation(len(data))
    cut = int(0.8 * len(data))
    train = data.iloc[rows[:cut]].reset_index(drop=True)
    test = data.iloc[rows[cut:]].reset_index(drop=True)
    out = [score("real data", train, test, 0.0, seed)]
    start = time.perf_counter()
    synth = FairSynthesizer(
        protected="sex", target="income", first=FIRST, random_state=seed, progress=False
    ).fit(train)
    fit_seconds = time.perf_counter() - start
    print(f"seed {seed}: graph {synth.graph_.to_string()} ({fit_seconds:.0f} s)", file=sys.stderr)
    for fairness in (None, "ftu", "cf", "dp"):
        tick = time.perf_counter()
        table = synth.generate(len(train), fairness=fairness, random_state=seed)
        seconds = fit_seconds + time.perf_counter() - tick
        out.append(score(f"deepcausal DECAF-{fairness or 'none'}", table, test, seconds, seed))
        out[-1]["removed"] = ", ".join(f"{a}->{b}" for a, b in table.attrs["removed_edges"])
    start = time.perf_counter()
    base = FairSynthesizer(
        complete_dag(list(train.columns), "sex"), protected="sex", target="income",
        random_state=seed, progress=False,
    ).fit(train)  # fmt: skip
    table = base.generate(len(train), random_state=seed)
    out.append(
        score("non-causal GAN (complete DAG)", table, test, time.perf_counter() - start, seed)
    )
    for row in out:
        row["seed"] = seed
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--rows", type=int, default=None, help="subsample the table (default: all)")
    parser.add_argument("--data", default=str(ADULT))
    parser.add_argument("--out", default=str(RESULTS / "fair_adult.md"))
    args = parser.parse_args(argv)
    if not Path(args.data).is_file():
        print(f"skipped: UCI Adult not found at {args.data}", file=sys.stderr)
        return 0
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", DataWarning)
    data = load_adult(args.data, missing="drop")
    if args.rows:
        data = data.sample(args.rows, random_state=0).reset_index(drop=True)
    load, start = os.getloadavg()[0], time.perf_counter()
    rows = [r for seed in (int(s) for s in args.seeds.split(",")) for r in run_seed(data, seed)]
    frame = pd.DataFrame(rows)
    frame.to_csv(Path(args.out).with_suffix(".csv"), index=False)
    order = list(dict.fromkeys(frame["generator"]))
    lines = [
        f"UCI Adult, {len(data)} rows without missing values, 80/20 split per seed, seeds "
        f"{args.seeds}; load average {load:.2f}; total {(time.perf_counter() - start) / 60:.1f} "
        f"min. Command: `python benchmarks/fair_adult.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        "| generator | precision | recall | AUROC | FTU | DP | fit + generate s | edges removed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in order:
        g = frame[frame["generator"] == name]

        def ms(col: str, digits: int = 3, g: pd.DataFrame = g) -> str:
            v = g[col].to_numpy(dtype=float)
            return (
                f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"
                if len(v) > 1
                else f"{v[0]:.{digits}f}"
            )

        removed = (
            g["removed"].iloc[0] if "removed" in g and isinstance(g["removed"].iloc[0], str) else ""
        )
        lines.append(
            f"| {name} | {ms('precision')} | {ms('recall')} | {ms('auroc')} | {ms('ftu')} | "
            f"{ms('dp')} | {ms('seconds', 0)} | {removed} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    from deepcausal._atomic import atomic_write_text

    atomic_write_text(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
