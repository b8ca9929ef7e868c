"""``deepcausal bounds``: bounds on an average effect that the data cannot pin down.

Example::

    deepcausal bounds data.csv --graph "Z -> X; X -> Y; X <-> Y" --treatment X --outcome Y
    ATE of X=1 vs 0 on Y: [-0.3126, 0.3563] (width 0.6689; lp bounds, sharp)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from deepcausal.cli._common import (
    GRAPH_HELP,
    _number,
    add_parallel_arguments,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
    read_table_args,
    symbolic_verdict,
    write_output,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the ``bounds`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "bounds",
        help="bound an average effect under hidden confounding (LP or neural)",
        description=(
            "Bound E[Y | do(T=treated)] - E[Y | do(T=control)] on discrete data: --method lp "
            "solves linear programs over response-function models (Balke & Pearl 1997; sharp with "
            "one confounded c-component), --method neural optimises the effect over neural causal "
            "models that fit the data."
        ),
    )
    parser.add_argument("data", help="data table (.csv, .tsv, .parquet, .feather)")
    parser.add_argument("--graph", required=True, help=GRAPH_HELP)
    parser.add_argument("--treatment", required=True, help="treatment node")
    parser.add_argument("--outcome", required=True, help="outcome node (numeric)")
    parser.add_argument("--treated", default="1", help="treated value (default 1)")
    parser.add_argument("--control", default="0", help="control value (default 0)")
    parser.add_argument("--method", choices=("lp", "neural"), default="lp", help="default lp")
    parser.add_argument(
        "--seeds", type=int, default=4, help="min/max pairs of --method neural (default 4)"
    )
    parser.add_argument("--out", metavar="FILE", help="write the result as JSON ('-': stdout)")
    add_report_argument(parser)
    add_seed_argument(parser)
    add_parallel_arguments(parser)
    add_table_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``deepcausal bounds``."""
    from deepcausal.graph import as_graph
    from deepcausal.ncm import bounds

    data = read_table_args(args.data, args)
    options: dict[str, Any] = {}
    if args.method == "neural":
        options = {"n_seeds": args.seeds, "random_state": args.seed}
    result = bounds(
        as_graph(args.graph),
        data,
        args.treatment,
        args.outcome,
        treated=_number(args.treated),
        control=_number(args.control),
        method=args.method,
        **options,
    )
    if args.out:
        write_output(args.out, json.dumps(result.to_dict(), indent=2) + "\n", result.summary())
    else:
        print(result.summary())
    if args.report:
        _report(result, args)
    return 0


def _report(result: Any, args: argparse.Namespace) -> None:
    from deepcausal.graph import as_graph
    from deepcausal.report import bounds_report

    graph = as_graph(args.graph)
    symbolic = symbolic_verdict(graph, args.treatment, args.outcome)
    path = bounds_report(result, graph, symbolic, args.report, seed=args.seed)
    print(f"report: {path}")
