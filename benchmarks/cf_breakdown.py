"""Where a DeepSCM's counterfactual error comes from: per query and per node, on one ladder SCM.

``benchmarks/scm_ladder.py`` scores rung 3 by one RMSE over every counterfactual query (``do(node =
80th percentile)`` and ``node + 1 sd`` on the first and last non-sink node) and every descendant.
This script splits that RMSE by query and node, and beside it prints the median absolute error, the
share of the squared error carried by the five worst units, and how far out of the training data
those units' true counterfactuals lie (in observational sd from the mean). A large RMSE with a small
median and a large top-five share means a few units whose counterfactual leaves the data's support,
not a misfit of the bulk. Last, ``scm.selection_``: the families fitted for each node, their
held-out scores and which one was kept.

Usage::

    nice .venv/bin/python benchmarks/cf_breakdown.py --scm chain-nonadditive --family flow
    nice .venv/bin/python benchmarks/cf_breakdown.py --scm triangle-nonadditive --family auto --seed 1

Same sizes as the ladder (5,000 training rows, 500 factual rows), torch on one thread.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scm", default="chain-nonadditive")
    parser.add_argument("--family", default="auto", help="mechanisms= of DeepSCM")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sys.path.append(str(HERE))  # scm_ladder's helpers, after every installed package
    from deepcausal import DeepSCM
    from deepcausal.datasets import load_scm
    from scm_ladder import Settings, counterfactual_actions, descendants, intervention_nodes

    torch.set_num_threads(1)
    settings = Settings()
    sim = load_scm(args.scm)
    data, noise = sim.sample(settings.n_train, random_state=args.seed, return_noise=True)
    factual = data.iloc[: settings.n_factual]
    mean, sd = data.mean(), data.std()
    model = DeepSCM(sim.graph, mechanisms=args.family, random_state=args.seed, progress=False)
    model.fit(data)

    print(f"{args.scm}, mechanisms={args.family!r}, seed {args.seed}")
    print(
        "| query | node | RMSE (sd) | median abs (sd) | top-5 share | top-5 truth (sd from mean) |"
    )
    print("|---|---|---|---|---|---|")
    squared = []
    for node in intervention_nodes(sim):
        below = [v for v in descendants(sim, node) if sim.schema[v].kind == "continuous"]
        for label, action in counterfactual_actions(sim, data, node):
            truth = sim.counterfactual(factual, {node: action}, noise=noise.loc[factual.index])
            pred = model.counterfactual(factual, do={node: action}, random_state=0)
            for v in below:
                err = (pred[v] - truth[v]).to_numpy(float) / sd[v]
                squared.append(err**2)
                worst = np.argsort(-np.abs(err))[:5]
                share = float(np.sum(err[worst] ** 2) / max(np.sum(err**2), 1e-300))
                out = np.round((truth[v].to_numpy(float)[worst] - mean[v]) / sd[v], 1)
                print(
                    f"| {label} | {v} | {np.sqrt(np.mean(err**2)):.3f} | "
                    f"{np.median(np.abs(err)):.3f} | {share:.2f} | {', '.join(map(str, out))} |"
                )
    print(f"\nall queries: RMSE {np.sqrt(np.mean(np.concatenate(squared))):.3f} sd")
    print("\nfamilies fitted per node (held-out score, the chosen one marked):")
    print(model.selection_.to_string())


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]
    main()
