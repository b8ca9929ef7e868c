"""``deepcausal fit``: fit a DeepSCM to a table and save it."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``fit`` subcommand."""
    parser = subparsers.add_parser(
        "fit",
        help="fit a deep structural causal model to a CSV file",
        description="Fit one neural mechanism per node of a causal DAG and save the model.",
    )
    parser.add_argument("data", help="CSV file with one column per node")
    parser.add_argument(
        "--graph", required=True, help='the causal DAG, e.g. "Z -> X; X -> Y; Z -> Y"'
    )
    parser.add_argument(
        "--out", required=True, help="new or empty folder to save the model to (see --overwrite)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the model saved in --out (only the model's own files are replaced)",
    )
    parser.add_argument(
        "--mechanisms", default="auto", help="auto (default), flow, additive or location_scale"
    )
    parser.add_argument("--epochs", type=int, default=200, help="maximum epochs per node")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: fastest for small networks)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit and save; returns the exit code."""
    from dataclasses import replace

    from deepcausal._modelfolder import check_destination
    from deepcausal.cli._common import read_table
    from deepcausal.nn import torch_threads
    from deepcausal.scm import DeepSCM
    from deepcausal.scm._scm import DEFAULT_TRAINING

    # refuse a bad destination before training, not after
    check_destination(args.out, "DeepSCM", overwrite=args.overwrite)
    with torch_threads(args.threads):
        data = read_table(args.data)
        scm = DeepSCM(
            args.graph,
            mechanisms=args.mechanisms,
            training=replace(DEFAULT_TRAINING, max_epochs=args.epochs),
            random_state=args.seed,
            progress=not args.no_progress,
        ).fit(data)
        scm.save(args.out, overwrite=args.overwrite)
    print(f"fitted {len(scm.graph)} mechanisms on {len(data)} rows; saved to {args.out}")
    for node, mech in scm.mechanisms_.items():
        history = scm.history_[node]
        print(f"  {node:<12} {mech.name:<14} validation NLL {history.best_val_loss:.4f}")
    return 0
