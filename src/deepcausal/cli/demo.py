"""``deepcausal demo``: the main job on an embedded default."""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import add_seed_argument


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="walk through the three rungs of the ladder on embedded simulated data",
        description="Identify a query by the do-calculus and refuse a non-identifiable one; then "
        "learn the graph of simulated data, fit a deep SCM, answer one query per rung, compare each "
        "with the simulator's truth and write an HTML report.",
    )
    parser.add_argument("--out", default="deepcausal-report", help="report directory")
    parser.add_argument("--scm", default=None, help="simulator name (see deepcausal.datasets)")
    parser.add_argument("-n", type=int, default=4000, help="training rows (default 4000)")
    parser.add_argument("--epochs", type=int, default=150, help="maximum epochs per node")
    add_seed_argument(parser)
    parser.add_argument(
        "--discovery",
        default=None,
        help="method that learns the graph before fitting (default notears_mlp; 'none' to skip)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: fastest for small networks)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code."""
    from deepcausal.nn import torch_threads
    from deepcausal.pipelines.identification_tour import identification_tour
    from deepcausal.pipelines.ladder_demo import DEFAULT_DISCOVERY, DEFAULT_SCM, run_ladder_demo

    identification_tour()
    print()
    with torch_threads(args.threads):
        run_ladder_demo(
            scm_name=args.scm or DEFAULT_SCM,
            n_train=args.n,
            out=args.out,
            random_state=args.seed,
            max_epochs=args.epochs,
            progress=not args.no_progress,
            discovery=None if args.discovery == "none" else args.discovery or DEFAULT_DISCOVERY,
        )
    return 0
