"""``deepcausal identify``: print the estimand of a causal query, or why it is not identifiable.

Example::

    deepcausal identify --graph "Z -> X; X -> Y; Z -> Y" --treatment X --outcome Y
    Σ_{Z} P(Y | X, Z) P(Z)

With ``--data data.csv --neural`` it also decides from the data, by neural causal models (Xia et
al. 2021), and prints the range of the effect over the models that fit.
"""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    GRAPH_HELP,
    _number,
    add_seed_argument,
    add_table_arguments,
    read_table_args,
    symbolic_verdict,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the ``identify`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "identify",
        help="identify P(outcome | do(treatment)[, given]) from a causal graph (ID / IDC)",
        description=(
            "Run the complete ID / IDC algorithm (Shpitser & Pearl 2006) on a causal graph and "
            "print the estimand, or the hedge that makes the query not identifiable (exit code 2)."
        ),
    )
    parser.add_argument("--graph", required=True, help=GRAPH_HELP)
    names = "node name(s); repeat the option or separate names with commas"
    parser.add_argument("--treatment", action="append", required=True, help=f"intervened {names}")
    parser.add_argument("--outcome", action="append", required=True, help=f"outcome {names}")
    parser.add_argument("--given", action="append", default=None, help=f"conditioning {names}")
    parser.add_argument("--latex", action="store_true", help="print the estimand as LaTeX")
    parser.add_argument("--data", help="data table, for --neural")
    parser.add_argument(
        "--neural",
        action="store_true",
        help="also decide from --data by NCM min/max (one treatment and one outcome, discrete data)",
    )
    parser.add_argument("--treated", default="1", help="treated value for --neural (default 1)")
    parser.add_argument("--control", default="0", help="control value for --neural (default 0)")
    parser.add_argument(
        "--seeds", type=int, default=4, help="min/max pairs for --neural (default 4)"
    )
    add_seed_argument(parser)
    add_table_arguments(parser)
    parser.set_defaults(func=run)


def _split(values: list[str] | None) -> list[str]:
    if not values:
        return []
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def run(args: argparse.Namespace) -> int:
    """Run ``deepcausal identify``; returns 0 (a bad graph and a query that is not identifiable
    raise, and :func:`deepcausal.cli.main.run_command` reports them with exit codes 1 and 2)."""
    from deepcausal.graph import as_graph
    from deepcausal.identify import identify

    graph = as_graph(args.graph)
    if getattr(args, "neural", False):
        return _neural(args, graph)
    estimand = identify(
        graph,
        _split(args.treatment),
        _split(args.outcome),
        _split(getattr(args, "given", None)) or None,
    )
    print(estimand.to_latex() if args.latex else estimand.to_text())
    return 0


def _neural(args: argparse.Namespace, graph: Any) -> int:
    """``--neural``: the ID algorithm's verdict, then the data's (exit 2 when not identifiable)."""
    from deepcausal.errors import DataError
    from deepcausal.ncm import neural_identify

    if not args.data:
        raise DataError("--neural needs --data: the table the models are fitted to")
    treatment, outcome = _split(args.treatment), _split(args.outcome)
    if len(treatment) != 1 or len(outcome) != 1 or args.given:
        raise DataError("--neural takes one --treatment, one --outcome and no --given")
    symbolic = symbolic_verdict(graph, treatment, outcome)
    if symbolic.startswith("identified: "):
        print(symbolic.removeprefix("identified: "))
    else:
        print(f"ID algorithm: {symbolic}")
    result = neural_identify(
        graph,
        read_table_args(args.data, args),
        treatment[0],
        outcome[0],
        treated=_number(args.treated),
        control=_number(args.control),
        n_seeds=args.seeds,
        random_state=args.seed,
    )
    print(result.summary())
    if getattr(args, "report", None):
        from deepcausal.report import bounds_report

        print(f"report: {bounds_report(result, graph, symbolic, args.report, seed=args.seed)}")
    return 0 if result.identifiable else 2
